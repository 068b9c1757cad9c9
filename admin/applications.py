"""Applications: search by number or PIN, the status history, documents
received (R11), over-quota marks, and the proofs of teachers and legal
representatives (R7, R9) that the director checks (accepted, or rejected with
a reason and a note, through `portal.admission.proofs`). Nobody edits an
application here: a director cannot move a child to another school or change
the first-come-first-served order."""
from flask import flash, g, request, send_file
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from admin.choices import language_filter, school_filter
from admin.labels import (CATEGORY, CLAIM_STATE, DOCUMENT_KIND, HISTORY_ACTOR, HISTORY_NOTE, LANGUAGE, SEX, STAGE,
                          STATUS, VERIFICATION, choices, label_formatter, name_of)
from admin.confirmation import confirm_first
from admin.scoping import ScopedModelView
from admin.security import now
from portal.admission import claims, documents, documents_window, proofs, referrals
from portal.admission.calendar import proof_check_deadline
from portal.admission.order import position, positions
from portal.admission.status import can_change
from portal.extensions import db
from portal.unit_of_work import attempt
from portal.labels import PROOF_REJECTION_REASON
from portal.models import Application, Document
from portal.notifications import masked_recipient, messages_about

DIRECTOR = ("director",)

# What a message to the applicant is about (its template), as the staff read it.
MESSAGE_KIND = {
    "application_registered": _l("Application registered"),
    "application_cancelled": _l("Application cancelled"),
    "application_moved": _l("Application moved to another school"),
    "documents_received": _l("Documents received"),
    "documents_reminder": _l("Reminder: documents due"),
    "documents_missing": _l("Seat released: documents not received"),
    "proof_rejected": _l("Proof rejected"),
    "proof_rejected_seat_kept": _l("Proof rejected, normal seat kept"),
    "proof_restored": _l("Application restored after an appeal"),
    "appeal_answered": _l("Appeal answered"),
    "commission_decision": _l("Admitted by a commission decision"),
}
MESSAGE_CHANNEL = {"email": _l("E-mail"), "sms": _l("SMS")}
MESSAGE_STATE = {"pending": _l("Waiting"), "queued": _l("Being sent"), "sent": _l("Sent"), "failed": _l("Failed")}


class ApplicationView(ScopedModelView):
    export_roles = ("director", "district", "ministry")
    action_roles = {"documents_received": DIRECTOR}
    pin_columns = ("child_pin",)

    # "place": the child's place in the school's order, the one figure of
    # portal.admission.order (not the pool's counter `queue_no`, which counts
    # cancelled applications too), sorted by the order itself.
    column_list = ("number", "child_last_name", "child_first_name", "child_pin", "school", "language", "status",
                   "category", "over_quota", "place", "created_at")
    column_details_list = ("number", "child_last_name", "child_first_name", "child_patronymic", "child_pin",
                           "child_sex", "child_birth_date", "school", "language", "stage", "status", "category",
                           "over_quota", "as_representative", "place", "created_at", "documents_received_at")
    column_export_list = ("number", "child_last_name", "child_first_name", "child_patronymic", "child_pin",
                          "child_sex", "child_birth_date", "school", "language", "stage", "status", "category",
                          "over_quota", "as_representative", "place", "created_at", "documents_received_at")
    column_sortable_list = ("number", "child_last_name", "child_first_name", "language", "status", "category",
                            "over_quota", ("place", "queue_no"), "created_at")
    column_searchable_list = ("number", "child_pin", "child_last_name")
    column_filters = ("status", "over_quota", "category", "stage")
    column_choices = {"status": choices(STATUS), "category": choices(CATEGORY), "language": choices(LANGUAGE),
                      "stage": list(STAGE.items())}
    column_formatters = {"school": lambda view, context, model, name: f"{model.school.code} {name_of(model.school)}",
                         "status": label_formatter(STATUS), "category": label_formatter(CATEGORY),
                         "language": label_formatter(LANGUAGE), "child_sex": label_formatter(SEX),
                         "stage": lambda view, context, model, name: STAGE.get(model.stage, model.stage),
                         "place": lambda view, context, model, name: view.place_of(model)}
    column_default_sort = ("created_at", True)
    details_template = "admin/application_details.html"

    def get_filters(self):
        return [school_filter(Application.school_id), language_filter(Application.language)] \
            + list(super().get_filters() or [])

    def search_placeholder(self):
        return _("Number, PIN or last name")

    # --- what the details page shows -------------------------------------------------
    status_labels = STATUS
    actor_labels = HISTORY_ACTOR
    kind_labels = DOCUMENT_KIND
    verification_labels = VERIFICATION
    claim_state_labels = CLAIM_STATE

    def documents_of(self, application):
        return db.session.scalars(select(Document).where(Document.application_id == application.id)
                                  .order_by(Document.id)).all()

    def messages_of(self, application):
        """What was sent to whom about this application (R13, trust): kind, channel,
        recipient masked, time, state; never the body (a sign-in code is not shown)."""
        return [{"kind": MESSAGE_KIND.get(message.template, message.template),
                 "channel": MESSAGE_CHANNEL.get(message.channel, message.channel),
                 "recipient": masked_recipient(message),
                 "at": message.sent_at or message.created_at,
                 "state": MESSAGE_STATE.get(message.state, message.state)}
                for message in messages_about(application)]

    def position_of(self, application):
        return position(application)

    def place_of(self, application):
        """The place shown in the list and the export: the same figure as the
        details page and the parent's page, loaded for a whole page at once."""
        known = getattr(g, "application_places", None)
        if known is None or application.id not in known and application.is_active:
            return position(application) or ""
        return known.get(application.id) or ""

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if isinstance(rows, list):
            self.prepare_export(rows)
        return count, rows

    def prepare_export(self, rows):
        g.application_places = positions(rows)

    def history_note(self, event):
        return HISTORY_NOTE.get(event.note, event.note or "")

    def may_mark_received(self, application):
        return self.role_may(DIRECTOR) and can_change(application, "documents_received")

    def may_verify(self, document):
        return self.role_may(DIRECTOR) and document.kind in proofs.PROOF_KINDS and document.verification == "pending"

    def rejection_reasons(self, document):
        return [(code, PROOF_REJECTION_REASON[code]) for code in proofs.REASONS[document.kind]]

    def rejection_reason_label(self, document):
        return PROOF_REJECTION_REASON.get(document.rejection_reason, document.rejection_reason or "")

    def claim_to_check(self, application):
        """The unverified claim of a child the parent added that this admission rests on, or None."""
        return claims.unverified_claim_of(application)

    def claim_of(self, application):
        """The claim this application's child was added with (any state but superseded), or None."""
        return claims.claim_of_application(application)

    def may_check_claim(self, application):
        return self.role_may(DIRECTOR) and self.claim_to_check(application) is not None

    def claim_rejection_reasons(self):
        return [(code, PROOF_REJECTION_REASON[code]) for code in proofs.REASONS[proofs.CLAIMED_CHILD]]

    def claim_check_until(self, application):
        return format_datetime(claims.claim_check_deadline(application.campaign), "short")

    def proof_check(self, application):
        """(awaiting the check, its deadline) of an admission on an uploaded proof."""
        if not proofs.awaiting_check(application):
            return None
        return format_datetime(proof_check_deadline(application.campaign), "short")

    # --- the director's actions (POST, CSRF-checked) ----------------------------------
    def _mark_received(self, application):
        documents_window.mark_received(application, by="school", now=now())

    @expose("/documents-received/", methods=("POST",))
    def documents_received(self):
        application = self.get_one(request.form.get("id"))
        if self.role_may(DIRECTOR):
            done, refusal = attempt(lambda: self._mark_received(application))
            if refusal is not None:
                flash(refusal.message, "error")
            else:
                flash(_("The documents of %(number)s are marked as received.", number=application.number), "success")
        return self.back_to(".details_view", id=application.id)

    @action("documents_received", _l("Documents received"), _l("Mark the documents of the selected applications as received?"))
    def action_documents_received(self, ids):
        marked = 0
        for application in self.rows_for_ids(ids):
            if can_change(application, "documents_received"):
                self._mark_received(application)
                marked += 1
        db.session.commit()
        flash(ngettext("Documents of %(num)d application marked as received.",
                       "Documents of %(num)d applications marked as received.", marked), "success")

    def may_refer_to_special_school(self, application):
        """§18, §23: the director's referral on a ПМПК conclusion (admin/referrals.py)."""
        return self.role_may(DIRECTOR) and referrals.may_refer(application)

    def may_release_for_missing_documents(self, application):
        return self.role_may(DIRECTOR) and documents_window.may_release_for_missing_documents(application, now())

    def _describe_release(self):
        application = self.get_one(request.form.get("id"))
        reason = (request.form.get("reason") or "").strip()
        if not self.role_may(DIRECTOR) or not reason:
            return None  # the handler answers (a refusal, or the reason is asked for)
        return _("Release the seat"), [
            _("Application %(number)s of %(child)s ends and its seat is released: the next child can take it.",
              number=application.number, child=application.child_first_name),
            _("The parent is told the reason and how to appeal."),
            _("Reason: %(reason)s", reason=reason)]

    def _describe_proof_rejection(self):
        document = self.scoped_get(Document, request.form.get("document_id"))
        if not self.role_may(DIRECTOR) or request.form.get("verdict") == "accept":
            return None
        return _("Reject the proof"), [
            _("The proof of application %(number)s is rejected with the reason and the note you wrote; the "
              "parent is told and may appeal.", number=document.application.number if document.application
              else ""),
            _("Where the normal rules give no seat, the application ends and its seat is released.")]

    def _describe_claim_rejection(self):
        application = self.get_one(request.form.get("id"))
        if not self.role_may(DIRECTOR) or request.form.get("verdict") == "accept":
            return None
        return _("Reject the birth certificate"), [
            _("Application %(number)s ends and its seat is released; the parent is told why and how to appeal.",
              number=application.number)]

    @expose("/release-missing-documents/", methods=("POST",))
    @confirm_first(_describe_release)
    def release_for_missing_documents(self):
        """R11 (2026): the director releases one seat whose documents did not come,
        with a reason the parent reads."""
        application = self.get_one(request.form.get("id"))
        if self.role_may(DIRECTOR):
            done, refusal = attempt(lambda: documents_window.release_for_missing_documents(
                application, reason=request.form.get("reason"), by="school", now=now()))
            if refusal is not None:
                flash(refusal.message, "error")
            else:
                flash(_("The seat of %(number)s is released; the parent is told the reason and how to appeal.",
                        number=application.number), "success")
        return self.back_to(".details_view", id=application.id)

    @expose("/verify-proof/", methods=("POST",))
    @confirm_first(_describe_proof_rejection)
    def verify_proof(self):
        """R7, R9: accept the proof, or reject it with a reason and a note for the parent."""
        document = self.scoped_get(Document, request.form.get("document_id"))
        if self.role_may(DIRECTOR):
            def check():
                if request.form.get("verdict") == "accept":
                    proofs.accept_proof(document, user_id=self.staff_id, now=now())
                    return [_("The proof is accepted: the admission stands.")]
                outcomes = proofs.reject_proof(document, reason=request.form.get("reason"),
                                               note=request.form.get("note"), user_id=self.staff_id, now=now())
                return [_("The proof is rejected.")] + [self._outcome(*pair) for pair in outcomes]

            messages, refusal = attempt(check)
            if refusal is not None:
                flash(refusal.message, "error")
            for message in messages or ():
                flash(message, "success")
        return self.back_to(".details_view", id=document.application_id)

    @expose("/verify-claim/", methods=("POST",))
    @confirm_first(_describe_claim_rejection)
    def verify_claim(self):
        """A child the parent added: the director confirms the original birth certificate,
        or rejects it with a reason and a note for the parent (the application ends)."""
        application = self.get_one(request.form.get("id"))  # 404 outside the scope
        if self.role_may(DIRECTOR):
            def check():
                if request.form.get("verdict") == "accept":
                    proofs.confirm_claim(application, user_id=self.staff_id, now=now())
                    return [_("The birth certificate is accepted: the admission stands.")]
                outcomes = proofs.reject_claim(application, reason=request.form.get("reason"),
                                               note=request.form.get("note"), user_id=self.staff_id, now=now())
                return [self._outcome(*pair) for pair in outcomes]

            messages, refusal = attempt(check)
            if refusal is not None:
                flash(refusal.message, "error")
            for message in messages or ():
                flash(message, "success")
        return self.back_to(".details_view", id=application.id)

    @staticmethod
    def _outcome(application, outcome):
        if outcome == proofs.SUPERSEDED:
            return _("The population registry now shows this child as the applicant's: the check is no longer "
                     "needed and the application stays.")
        if outcome == proofs.KEPT_NORMAL_SEAT:
            return _("Application %(number)s keeps a normal seat within the quota; the parent is told.",
                     number=application.number)
        return _("Application %(number)s has ended and its seat is released; the parent is told why and how to "
                 "appeal.", number=application.number)

    @expose("/document/")
    def document(self):
        """The uploaded file itself, for the school that checks it."""
        document = self.scoped_get(Document, request.args.get("id"))
        return send_file(documents.document_path(document), mimetype=document.content_type,
                         download_name=documents.safe_file_name(document.original_name), as_attachment=True,
                         max_age=0)


def register(admin):
    admin.add_view(ApplicationView(Application, name=_l("Applications"), endpoint="application"))
