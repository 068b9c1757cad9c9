"""The words staff read for columns and codes, and the masked personal number."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.labels import LANGUAGE  # noqa: F401  (shared by staff and parents)

# Column and form labels, shared by every view (Flask-Admin reads `column_labels`
# for lists, details, filters and form fields).
LABELS = {
    "code": _l("Code"),
    "name_ky": _l("Name in Kyrgyz"),
    "name_ru": _l("Name in Russian"),
    "address": _l("Address"),
    "ownership": _l("Ownership"),
    "participates": _l("Takes part"),
    "verified_at": _l("Verified by the district"),
    "district": _l("District"),
    "school": _l("School"),
    "campaign": _l("Campaign"),
    "address_id": _l("Address code"),
    "added_reason": _l("Reason for adding"),
    "added_by_id": _l("Added by (user)"),
    # TRANSLATORS: where a school's quota stands: draft, confirmed, approved
    "state": _l("Confirmation state"),
    "base_grade": _l("Computed from grade"),
    "min_state_language_class_sets": _l("Least class-sets in Kyrgyz"),
    "director_confirmed_at": _l("Confirmed by the director"),
    "auto_confirmed_at": _l("Confirmed automatically"),
    "district_approved_at": _l("Approved by the district"),
    "number": _l("Number"),
    "language": _l("Language of instruction"),
    "seats": _l("Seats"),
    "stage": _l("Stage"),
    "category": _l("Category"),
    "over_quota": _l("Over the quota"),
    "status": _l("Status"),
    "queue_no": _l("Place in the order"),
    "as_representative": _l("Legal representative"),
    "child_pin": _l("Child's PIN"),
    "child_last_name": _l("Last name"),
    "child_first_name": _l("First name"),
    "child_patronymic": _l("Patronymic"),
    "child_sex": _l("Sex"),
    "child_birth_date": _l("Date of birth"),
    "created_at": _l("Created"),
    "documents_received_at": _l("Documents received"),
    "decided_on": _l("Date of the decision"),
    "grounds": _l("Grounds"),
    "application": _l("Application"),
    "text": _l("Appeal"),
    "due_at": _l("Answer due"),
    "answer": _l("Answer"),
    "answered_at": _l("Answered"),
    "escalated_at": _l("Escalated"),
    "at": _l("Time"),
    "actor": _l("Who"),
    "action": _l("Action"),
    "entity": _l("Record type"),
    "entity_id": _l("Record"),
    "before": _l("Before"),
    "after": _l("After"),
    "note": _l("Note"),
    "email": _l("E-mail"),
    "full_name": _l("Full name"),
    "role": _l("Role"),
    "is_enabled": _l("Enabled"),
    "last_login_at": _l("Last sign-in"),
    "locked_until": _l("Locked until"),
    "scope": _l("Scope"),
    "applicant": _l("Applicant"),
}

STATUS = {
    "registered": _l("Registered"),
    "documents_received": _l("Documents received"),
    "enrolled": _l("Enrolled"),
    "cancelled": _l("Cancelled"),
    "documents_missing": _l("Documents not submitted"),
    "admitted_by_commission": _l("Admitted by the commission"),
    "transferred_to_special_school": _l("Transferred to a special school"),
    "proof_rejected": _l("Proof rejected: seat released"),
}

QUOTA_STATE = {
    "draft": _l("Draft: the director may change it"),
    "confirmed_by_director": _l("Confirmed by the director"),
    "confirmed_automatically": _l("Confirmed automatically at the deadline"),
    "approved_by_district": _l("Approved by the district"),
}


ROLE = {
    "ministry": _l("Ministry"),
    "district": _l("District education department"),
    "commission": _l("Commission on Children's Affairs"),
    "director": _l("School director"),
}

OWNERSHIP = {
    "state": _l("State"),
    "municipal": _l("Municipal"),
    "private": _l("Private"),
}

CATEGORY = {
    "teacher": _l("Teacher's child"),
    "twin": _l("Twin"),
    "commission": _l("Commission decision"),
}

DOCUMENT_KIND = {
    "teacher_proof": _l("Proof of work as a teacher"),
    "representative_act": _l("Act appointing the legal representative"),
    "registration_proof": _l("Proof of registered address"),
    "other": _l("Other document"),
}

# A child the parent added (portal.admission.claims): the state of the claim.
CLAIM_STATE = {
    "unverified": _l("Not checked yet"),
    "confirmed": _l("The original certificate matches"),
    "rejected": _l("Rejected"),
    "superseded": _l("Now shown by the registry"),
}

VERIFICATION = {
    "pending": _l("Not checked yet"),
    "accepted": _l("Accepted"),
    "rejected": _l("Rejected"),
}

APPEAL_STATUS = {
    "open": _l("Open"),
    "answered": _l("Answered"),
    "escalated": _l("Overdue: escalated"),
}


def choices(labels):
    """(code, label) pairs for select fields and filters."""
    return [(code, label) for code, label in labels.items()]


def label_formatter(labels):
    """A Flask-Admin column formatter that shows a code by its label."""
    def formatter(view, context, model, name):
        code = getattr(model, name)
        return labels.get(code, code) if code is not None else ""
    return formatter


def name_of(record):
    """Schools and districts have names in Kyrgyz and Russian; English readers get Kyrgyz."""
    if record is None:
        return ""
    return record.name_ru if str(get_locale()) == "ru" else record.name_ky


def mask_pin(pin):
    """A personal number as lists show it: enough to tell children apart, not to use it."""
    if not pin:
        return ""
    return f"{pin[:7]}****{pin[-3:]}" if len(pin) == 14 else "****"
