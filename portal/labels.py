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
