"""Schools and their data: the district checks each school's names and address
and marks it verified (§17); directors and commissions see theirs, read-only."""
from flask import flash
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from admin.labels import OWNERSHIP, choices, label_formatter, name_of
from admin.scoping import ScopedModelView
from admin.security import now
from portal.extensions import db
from portal.models import School


# §18, §23: a special school takes children only by referral, never through registration.
SCHOOL_KIND = {"general": _l("General school"), "special": _l("Special school (by PMPK referral only)")}


class SchoolView(ScopedModelView):
    edit_roles = ("district",)
    export_roles = ("district", "ministry")
    action_roles = {"verify": ("district",)}

    column_list = ("code", "name_ky", "name_ru", "district", "address", "ownership", "participates",
                   "kind", "verified_at")
    column_details_list = column_list
    column_searchable_list = ("code", "name_ky", "name_ru")
    column_filters = ("ownership", "participates", "verified_at")
    column_choices = {"ownership": choices(OWNERSHIP), "kind": choices(SCHOOL_KIND)}
    column_labels = {**ScopedModelView.column_labels, "kind": _l("Kind of school")}
    column_formatters = {"district": lambda view, context, model, name: name_of(model.district),
                         "kind": label_formatter(SCHOOL_KIND)}
    column_default_sort = "code"
    # The code and district come from the ministry's data; the district corrects
    # names and the address while checking them, and records a private school's opt-in (§31).
    form_columns = ("name_ky", "name_ru", "address", "participates")

    @action("verify", _l("Names and address verified"),
            _l("Mark the selected schools as verified by the district?"))
    def action_verify(self, ids):
        schools = self.rows_for_ids(ids)
        moment = now()
        for school in schools:
            school.verified_at = moment
        db.session.commit()
        flash(ngettext("%(num)d school marked as verified.", "%(num)d schools marked as verified.",
                       len(schools)), "success")


def register(admin):
    admin.add_view(SchoolView(School, name=_l("Schools"), endpoint="school"))
