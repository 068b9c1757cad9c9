"""The status machine of an application (DESIGN.md, data-formats.md).

    registered ──────────────┬─> documents_received ─> enrolled
    admitted_by_commission ──┘        │                   │
       │  (R11: window ended)         │                   │
       └─> documents_missing          └──> transferred_to_special_school (§18, PMPK)
    registered / documents_received ─> cancelled (the applicant, R8)

Terminal statuses release the seat and free the child for a new application
(R10). Every transition writes a history event; the audit trail records the row.
"""
from portal.admission import class_lists, seats
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import ACTIVE_STATUSES, ApplicationEvent

TRANSITIONS = {
    "registered": {"documents_received", "cancelled", "documents_missing", "transferred_to_special_school"},
    "admitted_by_commission": {"documents_received", "documents_missing", "transferred_to_special_school"},
    "documents_received": {"enrolled", "cancelled", "transferred_to_special_school"},
    "enrolled": {"transferred_to_special_school"},
    "cancelled": set(),
    "documents_missing": set(),
    "transferred_to_special_school": set(),
}


def can_change(application, new_status):
    return new_status in TRANSITIONS[application.status]


def change_status(application, new_status, *, by, note=None):
    """Move an application to `new_status`, releasing its seat when it ends."""
    if not can_change(application, new_status):
        raise AdmissionError("not_allowed")
    ending = new_status not in ACTIVE_STATUSES
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
