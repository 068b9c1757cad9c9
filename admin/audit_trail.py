"""The audit trail (R13), read-only: the ministry sees all of it, a district
the entries of its district and of its schools. Nobody can change or delete an
entry here (and `portal.audit` refuses it anyway).

Entries store codes (the action, the table, "staff:12", the columns' values);
staff read them as words of their language (issue 16, item 3)."""
import json
import re
from datetime import date, datetime

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from admin.labels import (AUDIT_ACTION, CATEGORY, DOCUMENT_KIND, LABELS, LANGUAGE, OWNERSHIP, QUOTA_STATE,
                          RECORD_TYPE, ROLE, SEX, STATUS, VERIFICATION, HISTORY_ACTOR, actor_label, choices,
                          label_formatter)
from admin.scoping import ScopedModelView
from portal.extensions import db
from portal.models import AuditEntry, StaffUser

# The stored values of these columns are codes with words of their own.
VALUE_WORDS = {"status": STATUS, "language": LANGUAGE, "role": ROLE, "state": QUOTA_STATE, "ownership": OWNERSHIP,
               "category": CATEGORY, "child_sex": SEX, "verification": VERIFICATION, "kind": DOCUMENT_KIND,
               "by": HISTORY_ACTOR}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _value_text(key, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and key in VALUE_WORDS:
        return str(VALUE_WORDS[key].get(value, value))
    if isinstance(value, str) and ISO_DATE.match(value):
        return format_date(date.fromisoformat(value), "short")
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return format_datetime(datetime.fromisoformat(value), "short")
        except ValueError:
            return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _values(view, context, model, name):
    """The record's values before or after, one row per column, in words."""
    values = getattr(model, name)
    if not values:
        return ""
    if not isinstance(values, dict):
        return Markup("<pre>%s</pre>") % escape(json.dumps(values, ensure_ascii=False, indent=1))
    rows = Markup("").join(Markup("<tr><th scope=\"row\">%s</th><td>%s</td></tr>")
                           % (LABELS.get(key, key), _value_text(key, value)) for key, value in sorted(values.items()))
    return Markup('<table class="table table-sm audit-values"><tbody>%s</tbody></table>') % rows


def _staff_email(user_id):
    return db.session.scalar(select(StaffUser.email).where(StaffUser.id == user_id)) if user_id else None


def _actor(view, context, model, name):
    return actor_label(model.actor, _staff_email(model.actor_user_id) if model.actor.startswith("staff:") else None)


def _actor_export(view, context, model, name):
    return str(_actor(view, context, model, name))


class AuditTrailView(ScopedModelView):
    roles = ("district", "ministry")
    export_roles = ("district", "ministry")
    can_view_details = True

    column_list = ("at", "actor", "action", "entity", "entity_id", "note")
    column_details_list = ("at", "actor", "action", "entity", "entity_id", "before", "after", "note")
    column_searchable_list = ("entity_id",)
    column_filters = ("at", "action", "entity")
    column_choices = {"action": choices(AUDIT_ACTION), "entity": choices(RECORD_TYPE)}
    column_formatters = {"actor": _actor, "action": label_formatter(AUDIT_ACTION),
                         "entity": label_formatter(RECORD_TYPE)}
    column_formatters_detail = {"before": _values, "after": _values}
    column_formatters_export = {"actor": _actor_export}
    column_default_sort = ("at", True)
    column_sortable_list = ("at", "actor", "action", "entity")
    column_export_list = ("at", "actor", "action", "entity", "entity_id", "before", "after", "note")

    def search_placeholder(self):
        return _("Record number")


def register(admin):
    admin.add_view(AuditTrailView(AuditEntry, name=_l("Audit trail"), endpoint="audit"))
