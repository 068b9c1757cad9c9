"""Commission decisions (R12, §9, §26, §3): the secretary of a district
Commission on Children's Affairs records the protocol number and date, the
grounds, the school, the child (with a PIN, or without one: name, date of birth
and sex, under a temporary identifier) and the applicant the commission names
(name, role, contact; a PIN only where they have one);
`portal.admission.commission.record_decision` admits the child, over the quota
where the school is full, and tells the applicant. Once the registry knows a
child recorded without a PIN, the secretary joins the record to the PIN.
Districts, the ministry and the school concerned read them."""
from flask import current_app, flash, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin.choices import school_code_options, school_filter
from admin.forms import CommissionDecisionForm, JoinChildPinForm
from admin.labels import LANGUAGE, choices, label_formatter
from admin.scoping import OutOfScope, ScopedModelView
from admin.security import now
from portal.admission import commission, quota_changes
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import ClassSet, CommissionDecision, School
from portal.unit_of_work import attempt

SECRETARY = ("commission",)


def _over_quota(view, context, model, name):
    return _l("Over the quota") if model.application is not None and model.application.over_quota else ""


def _applicant_role(view, context, model, name):
    return {"parent": _l("Parent"), "legal_representative": _l("Legal representative (guardian, trustee)"),
            "child_protection": _l("Worker of the child-protection body"),
            "other": _l("Another person")}.get(model.applicant_role, model.applicant_role or "")


def _child_pin(view, context, model, name):
    if model.child_temp_id is not None and model.child_joined_at is None:
        return _("%(identifier)s (temporary: no PIN yet)", identifier=model.child_pin)
    return model.child_pin


def show_refusal(form, refusal):
    """A refusal under the field it is about (and at the top of the page)."""
    field = getattr(form, getattr(refusal, "field", None) or "", None)
    if field is not None:
        field.errors = list(field.errors) + [refusal.message]
    flash(refusal.message, "error")


class CommissionDecisionView(ScopedModelView):
    create_roles = SECRETARY
    export_roles = ("commission", "district", "ministry")
    pin_columns = ("child_pin",)

    column_list = ("number", "decided_on", "school", "child_pin", "language", "application", "over_quota",
                   "created_at")
    column_details_list = ("number", "decided_on", "district", "school", "child_pin", "child_temp_id",
                           "child_joined_at", "language", "grounds", "applicant_name", "applicant_role",
                           "applicant_phone", "applicant_email", "application", "over_quota", "created_at")
    column_labels = {**ScopedModelView.column_labels, "number": _l("Protocol number"),
                     "decided_on": _l("Date of the protocol"), "child_temp_id": _l("Temporary identifier"),
                     "child_joined_at": _l("Joined to the PIN"), "applicant_name": _l("Applicant"),
                     "applicant_role": _l("Applicant is"), "applicant_phone": _l("Applicant's mobile number"),
                     "applicant_email": _l("Applicant's e-mail")}
    column_searchable_list = ("number", "child_pin")
    column_filters = ("decided_on", "language")
    column_choices = {"language": choices(LANGUAGE)}
    column_formatters = {"school": lambda view, context, model, name: model.school.code,
                         "language": label_formatter(LANGUAGE), "over_quota": _over_quota,
                         "application": lambda view, context, model, name: model.application or "",
                         "applicant_role": _applicant_role}
    column_formatters_detail = {"child_pin": _child_pin}
    column_default_sort = ("created_at", True)
    column_sortable_list = ("number", "decided_on", "created_at")
    details_template = "admin/commission_details.html"

    def get_filters(self):
        return [school_filter(CommissionDecision.school_id)] + list(super().get_filters() or [])

    # Recording a decision is the secretary's own form, handed to the domain layer.
    def create_form(self, obj=None):
        form = CommissionDecisionForm()
        form.school_code.choices = school_code_options()
        campaign = current_campaign()
        if campaign is not None:
            # Only the languages the district's schools teach (issue 16): no Tajik or English
            # where no first grade is taught in them; the domain refuses a school's own gaps.
            taught = quota_changes.languages_taught(
                campaign, within=ClassSet.school_id.in_(select(School.id).where(School.district_id ==
                                                                                self.scope.district_id)))
            form.language.choices = [(code, LANGUAGE[code]) for code in taught]
        return form

    def create_model(self, form):
        def record():
            decision = commission.record_decision(
                current_campaign(), district_id=self.scope.district_id, number=form.number.data,
                decided_on=form.decided_on.data, school_code=form.school_code.data, language=form.language.data,
                grounds=form.grounds.data, now=now(), secret=current_app.config["SECRET_KEY"],
                recorded_by_id=self.staff_id,
                child=commission.ChildRecord(
                    pin=form.child_pin.data, last_name=form.child_last_name.data,
                    first_name=form.child_first_name.data, patronymic=form.child_patronymic.data,
                    birth_date=form.child_birth_date.data, sex=form.child_sex.data or None),
                applicant=commission.NamedApplicant(
                    name=form.applicant_name.data, role=form.applicant_role.data, pin=form.applicant_pin.data,
                    phone=form.applicant_phone.data, email=form.applicant_email.data,
                    locale=form.message_locale.data),
            )
            self.check_in_scope(decision)  # an OutOfScope here is a bug: the domain keeps the district
            return decision

        try:
            decision, refusal = attempt(record)
        except OutOfScope as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        if refusal is not None:
            show_refusal(form, refusal)
            return False
        if decision.application.over_quota:
            flash(_("The child is admitted over the quota: the school had no free seat in this language."), "info")
        if decision.child_temp_id:
            flash(_("The child has no PIN and is recorded under the temporary identifier %(identifier)s. Once the "
                    "population registry knows the child, join the record to the PIN from the decision's page.",
                    identifier=decision.child_temp_id), "info")
        return decision

    # --- joining a child recorded without a PIN to the PIN ---------------------------
    def may_join(self, decision):
        return self.role_may(SECRETARY) and decision.child_temp_id is not None and decision.child_joined_at is None

    @expose("/join-pin/", methods=("GET", "POST"))
    def join_pin(self):
        decision = self.get_one(request.values.get("id"))  # 404 outside the scope
        if not self.may_join(decision):
            flash(commission.CommissionRefused("already_joined").message if self.role_may(SECRETARY)
                  else _("Only the commission's secretary joins a record to a PIN."), "error")
            return self.back_to(".details_view", id=decision.id)
        form = JoinChildPinForm()
        if form.validate_on_submit():
            application, refusal = attempt(lambda: commission.join_child_to_pin(decision, form.pin.data, now=now()))
            if refusal is None:
                flash(_("Decision %(number)s: the child's record is joined to the PIN; application %(application)s "
                        "now carries it.", number=decision.number, application=application.number), "success")
                return self.back_to(".details_view", id=decision.id)
            show_refusal(form, refusal)
        child = decision.application
        name = " ".join((child.child_last_name, child.child_first_name))
        intro = _("Decision %(number)s recorded the child %(name)s, born %(born)s, under the temporary identifier "
                  "%(identifier)s. The population registry is asked whether it knows the PIN, with the same date "
                  "of birth; the application then carries the PIN and the registry's record of the child.",
                  number=decision.number, name=name, born=child.child_birth_date.strftime("%d.%m.%Y"),
                  identifier=decision.child_temp_id)
        return self.render_form_page(form, submit=_("Join the record to the PIN"), intro=intro)


def register(admin):
    admin.add_view(CommissionDecisionView(CommissionDecision, name=_l("Commission decisions"),
                                          endpoint="commission_decision"))
