"""Commission decisions (R12): the secretary of a district Commission on
Children's Affairs records the number, date, grounds and school of a decision;
`portal.admission.commission.record_decision` admits the child, over the quota
where the school is full, and marks it so. Districts, the ministry and the
school concerned read them."""
from flask import current_app, flash
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from flask_babel import lazy_gettext as _l

from admin.choices import school_code_options, school_filter
from admin.forms import CommissionDecisionForm
from admin.labels import LANGUAGE, choices, label_formatter
from admin.scoping import OutOfScope, ScopedModelView
from admin.security import now
from portal.admission.commission import record_decision
from portal.admission.errors import AdmissionError
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import CommissionDecision

SECRETARY = ("commission",)


def _over_quota(view, context, model, name):
    return _l("Over the quota") if model.application is not None and model.application.over_quota else ""


class CommissionDecisionView(ScopedModelView):
    create_roles = SECRETARY
    export_roles = ("commission", "district", "ministry")
    pin_columns = ("child_pin",)

    column_list = ("number", "decided_on", "school", "child_pin", "language", "application", "over_quota",
                   "created_at")
    column_details_list = ("number", "decided_on", "district", "school", "child_pin", "language", "grounds",
                           "application", "over_quota", "created_at")
    column_searchable_list = ("number", "child_pin")
    column_filters = ("decided_on", "language")
    column_choices = {"language": choices(LANGUAGE)}
    column_formatters = {"school": lambda view, context, model, name: model.school.code,
                         "language": label_formatter(LANGUAGE), "over_quota": _over_quota,
                         "application": lambda view, context, model, name: model.application or ""}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("number", "decided_on", "created_at")

    def get_filters(self):
        return [school_filter(CommissionDecision.school_id)] + list(super().get_filters() or [])

    # Recording a decision is the secretary's own form, handed to the domain layer.
    def create_form(self, obj=None):
        form = CommissionDecisionForm()
        form.school_code.choices = school_code_options()
        return form

    def create_model(self, form):
        campaign = current_campaign()
        try:
            if campaign is None:
                raise AdmissionError("registration_closed")
            decision = record_decision(
                campaign, district_id=self.scope.district_id, number=form.number.data.strip(),
                decided_on=form.decided_on.data, child_pin=form.child_pin.data, applicant_pin=form.applicant_pin.data,
                school_code=form.school_code.data, language=form.language.data, grounds=form.grounds.data.strip(),
                now=now(), secret=current_app.config["SECRET_KEY"], recorded_by_id=self.staff_id)
            self.check_in_scope(decision)
        except AdmissionError as error:
            db.session.rollback()
            flash(error.message, "error")
            return False
        except OutOfScope as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        except IntegrityError:
            db.session.rollback()
            flash(_("A decision with this number is already recorded in this district."), "error")
            return False
        db.session.commit()
        if decision.application.over_quota:
            flash(_("The child is admitted over the quota: the school had no free seat in this language."), "info")
        return decision


def register(admin):
    admin.add_view(CommissionDecisionView(CommissionDecision, name=_l("Commission decisions"),
                                          endpoint="commission_decision"))

