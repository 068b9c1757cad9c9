"""The words staff read for columns and codes, and the masked personal number."""
from flask_babel import get_locale
from flask_babel import gettext as _
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
    "school.code": _l("School code"),
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
    "place": _l("Place in the order"),
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


SEX = {
    "F": _l("Girl"),
    "M": _l("Boy"),
}

# Who made a step of an application's history (ApplicationEvent.by).
HISTORY_ACTOR = {
    "applicant": _l("Parent"),
    "school": _l("School"),
    "district": _l("District education department"),
    "commission": _l("Commission on Children's Affairs"),
    "system": _l("The system, automatically"),
}

# Notes the system writes on a step of the history (the director's own words stay as typed).
HISTORY_NOTE = {
    "moved": _l("Moved to another school by the parent"),
    "R11": _l("The documents did not come by the end of the window"),
}

STAGE = {
    1: _l("Stage 1: the school's microdistrict"),
    2: _l("Stage 2: free seats"),
}

AUDIT_ACTION = {
    "insert": _l("Added"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "import": _l("Imported"),
    "command": _l("Command run"),
    "sign_in": _l("Signed in"),
    "view": _l("Viewed or exported"),
}

# The audit trail names the table of a record; staff read what kind of record it is.
RECORD_TYPE = {
    "addresses": _l("Address"),
    "api_tokens": _l("Sign-in of a parent's app"),
    "appeals": _l("Appeal"),
    "applicant_contacts": _l("Parent's contact"),
    "applicants": _l("Applicant"),
    "application_events": _l("Step of an application's history"),
    "applications": _l("Application"),
    "audit_anchors": _l("Audit trail anchor"),
    "audit_entries": _l("Audit trail entry"),
    "audit_seals": _l("Audit trail seal"),
    "campaigns": _l("Campaign"),
    "claimed_children": _l("Child added by a parent"),
    "class_assignments": _l("Child in a class"),
    "class_lists": _l("Class list"),
    "class_sets": _l("Class-set"),
    "commission_decisions": _l("Commission decision"),
    "districts": _l("District"),
    "documents": _l("Document"),
    "grade_stats": _l("Last year's grades"),
    "microdistrict_addresses": _l("Microdistrict address"),
    "outbox_messages": _l("Message to send"),
    "regions": _l("Region"),
    "registry_links": _l("Population registry link"),
    "registry_persons": _l("Population registry person"),
    "school_quotas": _l("Quota"),
    "schools": _l("School"),
    "seat_pools": _l("Seats of a school in one language"),
    "sign_in_codes": _l("Sign-in code"),
    "staff_sign_in_addresses": _l("Staff sign-in address"),
    "staff_users": _l("Staff account"),
    "teachers": _l("Teacher"),
    "report": _l("Report"),
}

# Who acted, in the audit trail: "staff:12", "applicant:3", "command:demo", "job:...".
AUDIT_COMMAND = {
    "demo": _l("loading the demonstration data"),
    "data import": _l("importing data"),
    "users create": _l("creating staff accounts"),
    "retention run": _l("deleting data past its retention period"),
    "deadlines run": _l("the deadline actions"),
}


def actor_label(actor, staff_email=None):
    """The audit trail's actor code as words."""
    kind, _sep, detail = (actor or "").partition(":")
    if kind == "staff":
        return _("Staff member %(who)s", who=staff_email or detail)
    if kind == "applicant":
        return _("Parent (applicant no. %(id)s)", id=detail)
    if kind == "command":
        return _("Server command: %(what)s", what=AUDIT_COMMAND.get(detail, detail))
    if kind == "job":
        return _("Scheduled job")
    if kind == "staff-sign-in":  # someone typing at the sign-in page, not yet known
        return _("Staff sign-in")
    if kind == "system":
        return _("The system, automatically")
    return actor or ""


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
