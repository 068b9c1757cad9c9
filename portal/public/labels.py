"""The words a parent reads for the codes the domain uses (statuses, languages...)."""
from flask_babel import format_date, format_time, gettext
from flask_babel import lazy_gettext as _l

from portal.labels import LANGUAGE, PROOF_REJECTION_REASON  # noqa: F401  (shared by staff and parents)

STATUS = {
    "registered": _l("Registered: a seat is held"),
    "documents_received": _l("Documents received by the school"),
    "enrolled": _l("Enrolled"),
    "cancelled": _l("Cancelled"),
    "documents_missing": _l("Seat released: the documents were not brought in time"),
    "admitted_by_commission": _l("Admitted by a commission decision"),
    "transferred_to_special_school": _l("Transferred to a special school"),
    "proof_rejected": _l("Ended: the school did not accept the uploaded document"),
}


CATEGORY = {
    "teacher": _l("Child of a teacher of this school"),
    "twin": _l("Twin (registered with a brother or sister)"),
    "commission": _l("Commission decision"),
}

# Why an admission comes over the quota: told beside "over the quota", so that a
# parent who sees free seats knows it takes none of them (R6, R7, R12).
OVER_QUOTA_WHY = {
    "teacher": _l("Children of the school's teachers are admitted over the quota: no seat is taken from others."),
    "twin": _l("Twins, triplets and quadruplets are admitted to the same school together: the brother or sister "
               "comes over the quota, which grows for them, so no seat is taken from others."),
    "commission": _l("Admitted by a decision of the commission, over the quota where the school is full."),
}

BY = {
    "applicant": _l("you"),
    "school": _l("the school"),
    "district": _l("the district education department"),
    "commission": _l("the commission"),
    "system": _l("automatically"),
}


def status(code):
    return STATUS.get(code, code)


def language(code):
    return LANGUAGE.get(code, code)


def category(code):
    return CATEGORY.get(code, code) if code else ""


def proof_reason(code):
    return PROOF_REJECTION_REASON.get(code, code) if code else ""


def over_quota_why(code):
    return OVER_QUOTA_WHY.get(code, "") if code else ""


def by(code):
    return BY.get(code, code)


def name_of(record, locale):
    """Schools and districts have names in Kyrgyz and Russian; English readers get Kyrgyz."""
    return record.name_ru if locale == "ru" else record.name_ky


def day(value):
    return format_date(value, format="long")


def moment(value):
    """A stored UTC time as the parent's local (Bishkek) date and time."""
    # TRANSLATORS: a date and a time of day, e.g. "1 April 2026, 10:00"
    return gettext("%(date)s, %(time)s", date=format_date(value, format="long"), time=format_time(value, "HH:mm"))


def install(app):
    app.jinja_env.filters.update(
        status=status, language_name=language, category=category, by=by, day=day, moment=moment,
        proof_reason=proof_reason, over_quota_why=over_quota_why,
    )
