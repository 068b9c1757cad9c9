"""Names of codes that staff and parents read alike. Wording that differs by
audience (statuses, categories) lives beside its audience: portal/public/labels.py,
admin/labels.py."""
from flask_babel import lazy_gettext as _l

# Languages of instruction (grade_stats.csv, class-sets, seat pools).
LANGUAGE = {
    "ky": _l("Kyrgyz"),
    "ru": _l("Russian"),
    "uz": _l("Uzbek"),
    "tj": _l("Tajik"),
    "en": _l("English"),
}


# Why a director rejected a proof (R7, R9; codes: portal/admission/proofs.py).
PROOF_REJECTION_REASON = {
    "unreadable": _l("The document cannot be read"),
    "other_person": _l("The document is about another person or another child"),
    "not_valid": _l("The document is not valid (not signed, not stamped or out of date)"),
    "not_a_teacher_of_the_school": _l("The document does not show that the parent works as a teacher at this school"),
    "not_an_accepted_act": _l(
        "The document is neither a court act nor an act of the social development body (§21)"),
    "not_shown": _l("The original birth certificate was not shown to the school"),
    "other": _l("Another reason (see the director's note)"),
}
