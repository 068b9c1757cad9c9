"""The status machine of an application (DESIGN.md, data-formats.md).

    registered ──────────────┬─> documents_received ─> enrolled
    admitted_by_commission ──┘        │                   │
       │  (R11: window ended)         │                   │
       └─> documents_missing          └──> transferred_to_special_school (§18, PMPK)
    registered / documents_received ─> cancelled (the applicant, R8)
    registered / documents_received / enrolled ─> proof_rejected (R7, R9: the
       director rejected the proof and no normal seat was due)
    proof_rejected ─> the status it had (an upheld appeal, R16; the caller has
       taken the seat again: `proofs.restore_after_appeal`)

Terminal statuses release the seat and free the child for a new application
(R10). Every transition writes a history event; the audit trail records the row.
"""
from portal.admission import class_lists, seats
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import ACTIVE_STATUSES, ApplicationEvent

TRANSITIONS = {
    "registered": {"documents_received", "cancelled", "documents_missing", "transferred_to_special_school",
                   "proof_rejected"},
    "admitted_by_commission": {"documents_received", "documents_missing", "transferred_to_special_school"},
    "documents_received": {"enrolled", "cancelled", "transferred_to_special_school", "proof_rejected"},
    "enrolled": {"transferred_to_special_school", "proof_rejected"},
    "cancelled": set(),
    "documents_missing": set(),
    "transferred_to_special_school": set(),
    "proof_rejected": {"registered", "documents_received", "enrolled"},
}


def can_change(application, new_status):
    return new_status in TRANSITIONS[application.status]


def change_status(application, new_status, *, by, note=None, seat_taken_again=False):
    """Move an application to `new_status`, releasing its seat when it ends.

    An ended application becomes active again only when the caller says it has
    taken its seat again (`seat_taken_again`): the status machine does not know
    which seat (normal or over the quota) is due.
    """
    if not can_change(application, new_status):
        raise AdmissionError("not_allowed")
    ending = new_status not in ACTIVE_STATUSES
    if not ending and not application.is_active and not seat_taken_again:
        raise AdmissionError("not_allowed")
    if ending and application.is_active:
        seats.release_seat(application)
    if ending:
        class_lists.application_ended(application)  # R15: leaves its class unless the list is locked
    application.status = new_status
    application.is_active = not ending
    application.known_position = application.known_cancellations_used = None  # both may change now
    db.session.add(ApplicationEvent(application=application, status=new_status, by=by, note=note))
    db.session.flush()
    return application
