"""The audit trail (R13), read-only: the ministry sees all of it, a district
the entries of its district and of its schools. Nobody can change or delete an
entry here (and `portal.audit` refuses it anyway)."""
import json

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from admin.scoping import ScopedModelView
from portal.models import AuditEntry


def _values(view, context, model, name):
    value = getattr(model, name)
    if value is None:
        return ""
    return Markup("<pre>%s</pre>") % escape(json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True))


class AuditTrailView(ScopedModelView):
    roles = ("district", "ministry")
    export_roles = ("district", "ministry")
    can_view_details = True

    column_list = ("at", "actor", "action", "entity", "entity_id", "note")
    column_details_list = ("at", "actor", "action", "entity", "entity_id", "before", "after", "note")
    column_searchable_list = ("actor", "entity", "entity_id")
    column_filters = ("at", "action", "entity", "actor")
    column_formatters_detail = {"before": _values, "after": _values}
    column_default_sort = ("at", True)
    column_sortable_list = ("at", "actor", "action", "entity")
    column_export_list = ("at", "actor", "action", "entity", "entity_id", "before", "after", "note")


def register(admin):
    admin.add_view(AuditTrailView(AuditEntry, name=_l("Audit trail"), endpoint="audit"))
