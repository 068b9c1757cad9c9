"""Appeals (R16): parents' electronic appeals to the district education
department, due 3 working days after they arrive. The district answers through
`portal.admission.appeals.answer_appeal` (which mails the answer); an appeal
against a rejected proof (R7, R9) it may uphold, which restores the application.
The ministry reads them."""
from flask import flash, request
from flask_admin import expose
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin.forms import AnswerAppealForm
from admin.labels import APPEAL_STATUS, STATUS, choices, label_formatter, mask_pin
from admin.confirmation import confirm_first
from admin.scoping import ScopedModelView
from admin.security import now
from portal.admission import proofs
from portal.admission.appeals import answer_appeal
from portal.labels import PROOF_REJECTION_REASON
from portal.unit_of_work import attempt
from portal.models import Appeal

ANSWERING = ("district",)


def _due(view, context, model, name):
    due = format_datetime(model.due_at, "short")
    if model.status != "answered" and model.due_at < now():
        return _("%(due)s (overdue)", due=due)
    return due


def _short(view, context, model, name):
    text = model.text or ""
    return text if len(text) <= 120 else text[:117] + "..."


class AppealView(ScopedModelView):
    roles = ("district", "ministry")
    export_roles = ("district", "ministry")

    column_list = ("id", "created_at", "due_at", "status", "application", "applicant", "text", "answered_at")
    column_details_list = ("id", "created_at", "due_at", "status", "application", "applicant", "text", "answer",
                           "answered_at", "upheld", "escalated_at")
    column_labels = {**ScopedModelView.column_labels, "id": _l("Number"), "upheld": _l("Upheld")}
    column_filters = ("status", "due_at")
    column_choices = {"status": choices(APPEAL_STATUS)}
    column_formatters = {"due_at": _due, "status": label_formatter(APPEAL_STATUS), "text": _short,
                         "applicant": lambda view, context, model, name: mask_pin(model.applicant.pin),
                         "application": lambda view, context, model, name: model.application or ""}
    column_formatters_export = {"applicant": lambda view, context, model, name: mask_pin(model.applicant.pin)}
    column_default_sort = ("due_at", False)
    column_sortable_list = ("id", "created_at", "due_at", "status")
    details_template = "admin/appeal_details.html"

    def may_answer(self, appeal):
        return self.role_may(ANSWERING) and appeal.status != "answered"

    def may_restore(self, appeal):
        return proofs.may_restore(appeal.application)

    def rejected_proof(self, appeal):
        """(status label, reason label, note) of the application's rejected proof, for the district."""
        application = appeal.application
        document = application.proof_document if application is not None else None
        if document is None or document.rejection_reason is None:
            return None
        return (STATUS.get(application.status, application.status),
                PROOF_REJECTION_REASON.get(document.rejection_reason, document.rejection_reason),
                document.rejection_note)

    def answer_form(self):
        return AnswerAppealForm()

    def _describe_answer(self):
        appeal = self.get_one(request.form.get("id"))
        if not self.may_answer(appeal) or not (request.form.get("answer") or "").strip():
            return None
        points = [_("The answer is final: it is saved and sent to the applicant (R16).")]
        if request.form.get("uphold"):
            points.append(_("The appeal is upheld: the application is restored where it can be."))
        return _("Send the answer"), points

    @expose("/answer/", methods=("POST",))
    @confirm_first(_describe_answer)
    def answer(self):
        appeal = self.get_one(request.form.get("id"))
        form = AnswerAppealForm()
        if not self.may_answer(appeal):
            return self.back_to(".details_view", id=appeal.id)
        if not form.validate():
            flash(_("Write the answer first."), "error")
            return self.back_to(".details_view", id=appeal.id)
        done, refusal = attempt(lambda: answer_appeal(appeal, answer=form.answer.data, user_id=self.staff_id,
                                                      now=now(), uphold=form.uphold.data))
        if refusal is not None:
            flash(refusal.message, "error")
        else:
            flash(_("The answer is saved and sent to the applicant."), "success")
            if appeal.upheld:
                flash(_("The appeal is upheld: application %(number)s is restored.",
                        number=appeal.application.number), "success")
        return self.back_to(".details_view", id=appeal.id)


def register(admin):
    admin.add_view(AppealView(Appeal, name=_l("Appeals"), endpoint="appeal"))
