"""R11: after admission the applicant brings the documents within the window
(2026: 4 August - 5 September, §21); the director marks them received, and
reminders go out before the window ends.

When the window has ended and the documents of a child did not come, the 2026
text says nothing of a release (DESIGN.md, R11): the director sees the children
whose documents are missing and decides per child (`release_for_missing_documents`,
with a reason; the parent is told and may appeal). Only where the campaign's
policy `release_without_documents` is on are those seats released automatically
the day after the window (`release_missing`), as the 2024 texts had it.

Applications admitted by a commission decision are not released
automatically: the decision stands on its own grounds (R12).
"""
from datetime import timedelta

from sqlalchemy import select

from portal.admission.calendar import documents_deadline_passed, local_date
from portal.admission.errors import AdmissionError
from portal.admission.status import change_status
from portal.extensions import db
from portal.models import AWAITING_DOCUMENTS, Application
from portal.notifications import notify_applicant, notify_contacts


def mark_received(application, *, by, now):
    """The director marks the documents received; the applicant is told at every contact."""
    change_status(application, "documents_received", by=by)
    application.documents_received_at = now
    db.session.flush()
    notify_applicant(application.applicant, "documents_received", application)
    return application


def documents_missing(campaign, *, within, now, limit=None):
    """R11: the list after the window: the children `within` the caller's scope (an
    SQL condition on Application) whose documents did not come, by school and order;
    empty before the window ends."""
    if not documents_deadline_passed(campaign, now):
        return []
    return db.session.scalars(
        select(Application)
        .where(Application.campaign_id == campaign.id, Application.status.in_(AWAITING_DOCUMENTS), within)
        .order_by(Application.school_id, Application.language, Application.queue_no)
        .limit(limit)
    ).all()


def may_release_for_missing_documents(application, now):
    """Whether the director may release this seat now (R11, 2026)."""
    return application.status in AWAITING_DOCUMENTS and documents_deadline_passed(application.campaign, now)


def release_for_missing_documents(application, *, reason, by, now):
    """R11 (2026): the director releases one child's seat after the window, with a
    reason the parent reads; the parent is told how to appeal (R16)."""
    reason = (reason or "").strip()
    if not reason:
        raise AdmissionError("validation_error")
    if not may_release_for_missing_documents(application, now):
        raise AdmissionError("not_allowed")
    change_status(application, "documents_missing", by=by, note=reason)
    notify_applicant(application.applicant, "documents_missing", application, extra={"reason": reason})
    return application


def release_missing(campaign, *, now):
    """Where the campaign's policy `release_without_documents` is on (off for
    2026): release every seat still waiting for documents once the window has ended.

    Idempotent: a second run finds nothing left in `registered`. A commission's
    admission (R12) is never released by the job: the commission decided on the
    child's own grounds, so only the director's per-child decision, with its
    reason and the parent's appeal, can end it.
    """
    if not campaign.setting("release_without_documents") or not documents_deadline_passed(campaign, now):
        return []
    waiting = db.session.scalars(
        select(Application)
        .where(Application.campaign_id == campaign.id, Application.status == "registered")
        .order_by(Application.id)
        .with_for_update(skip_locked=True)
    ).all()
    for application in waiting:
        change_status(application, "documents_missing", by="system", note="R11")
        notify_applicant(application.applicant, "documents_missing", application)
    return waiting


def send_reminders(campaign, *, now):
    """Remind applicants N days before the end of the window (policy
    `document_reminder_days`). Idempotent through the outbox key."""
    today = local_date(now)
    due = [days for days in campaign.setting("document_reminder_days")
           if today == campaign.documents_until - timedelta(days=days)]
    if not due or today < campaign.documents_from - timedelta(days=max(due)):
        return 0
    waiting = db.session.scalars(
        select(Application).where(Application.campaign_id == campaign.id, Application.status.in_(AWAITING_DOCUMENTS))
    ).all()
    sent = 0
    for days in due:
        for application in waiting:
            applicant = application.applicant
            # The outbox's key makes a second run (or a second worker) write nothing.
            ids = notify_contacts(
                applicant.active_contacts, "documents_reminder", locale=applicant.locale,
                key=f"documents_reminder:{application.number}:{days}",
                application_id=application.id,
                context={
                    "number": application.number,
                    "child_first_name": application.child_first_name,
                    "until": campaign.documents_until.strftime("%d.%m.%Y"),
                    "release_without_documents": bool(campaign.setting("release_without_documents")),
                },
            )
            sent += any(message_id is not None for message_id in ids)
    db.session.flush()
    return sent
