"""Cancelling and moving an application (R8): at most `cancel_limit`
cancellations per child and campaign, a move included."""
from sqlalchemy import func, select

from portal.admission.applications import own_application
from portal.admission.calendar import stage_at
from portal.admission.errors import AdmissionError
from portal.admission.registration import register
from portal.admission.sign_in import require_confirmation
from portal.admission.status import change_status
from portal.extensions import db
from portal.models import Application
from portal.notifications import notify_applicant

# The applicant may cancel until the school has enrolled the child.
CANCELLABLE = ("registered", "documents_received")


def may_cancel(application):
    """R8: the statuses from which the applicant may cancel (the limit is checked on cancelling)."""
    return application.status in CANCELLABLE


def may_move(application, now):
    """A move is a cancellation and a new registration in stage 2."""
    return may_cancel(application) and stage_at(application.campaign, now) == 2


def cancellations_used(campaign_id, child_pin):
    """R8 counts the cancellations of a child's registrations in a campaign,
    whoever of its parents made them, moves included."""
    return db.session.scalar(
        select(func.count(Application.id)).where(
            Application.campaign_id == campaign_id,
            Application.child_pin == child_pin,
            Application.status == "cancelled",
        )
    )


def cancellations_left(application):
    limit = application.campaign.setting("cancel_limit")
    used = application.known_cancellations_used
    if used is None:
        used = cancellations_used(application.campaign_id, application.child_pin)
    return max(limit - used, 0)


def _cancel(application, *, by, note=None, check_only=False):
    campaign = application.campaign
    limit = campaign.setting("cancel_limit")
    if not may_cancel(application):
        raise AdmissionError("not_allowed")
    if cancellations_used(campaign.id, application.child_pin) >= limit:
        raise AdmissionError("cancel_limit_reached", limit=limit)
    if not check_only:
        change_status(application, "cancelled", by=by, note=note)


def cancel(applicant, number, *, now, contact_id=None, confirmation_code=None, locale="ky"):
    """R8: cancel an application; at most `cancel_limit` times per child. From
    another contact than the one it was made from, only with that contact's code."""
    application = own_application(applicant, number, lock=True)
    _cancel(application, by="applicant", check_only=True)
    require_confirmation(application, acting_contact_id=contact_id, code=confirmation_code, now=now, locale=locale)
    _cancel(application, by="applicant")
    notify_applicant(applicant, "application_cancelled", application)
    return application


def move(applicant, number, school_code, language, *, now, secret, contact_id=None, confirmation_code=None,
         locale="ky"):
    """Stage 2: move to another school. Counts as a cancellation (R8); all or
    nothing. From another contact than the one the application was made from,
    only with that contact's code."""
    application = own_application(applicant, number, lock=True)
    if stage_at(application.campaign, now) != 2:
        raise AdmissionError("registration_closed")
    if application.school.code == school_code and application.language == language:
        raise AdmissionError("validation_error")
    _cancel(application, by="applicant", check_only=True)
    require_confirmation(application, acting_contact_id=contact_id, code=confirmation_code, now=now, locale=locale)
    _cancel(application, by="applicant", note="moved")
    moved = register(applicant, application.child_pin, school_code, language, now=now, secret=secret, notify=None,
                     contact_id=contact_id)
    notify_applicant(applicant, "application_moved", moved, previous=application)
    return moved
