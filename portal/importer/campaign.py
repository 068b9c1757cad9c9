"""campaign.json: one admission campaign, upserted by its year.

Times carry their UTC offset (+06:00 for Bishkek) and are stored as aware
datetimes; holidays stay ISO date strings in their JSON column.
"""
import json
import re
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.admission.calendar import proof_check_day
from portal.extensions import db
from portal.importer.spec import CAMPAIGN_FILE, ISO_DATE
from portal.models import DEFAULT_POLICY, Campaign

YEAR = re.compile(r"(\d{4})-(\d{4})")
CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,31}")
DATES = ("birth_from", "birth_to", "documents_from", "documents_until")
MOMENTS = ("stage1_opens", "stage2_opens", "registration_closes")


def _line_of(text, key):
    """The line where `"key"` first appears, to point the operator at it; else 1."""
    for number, line in enumerate(text.splitlines(), 1):
        if f'"{key}"' in line:
            return number
    return 1


def _date(value):
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    return None


def _moment(value):
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def read_campaign(path, problems):
    """The campaign's values, checked; None if the file has problems (they are reported)."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(CAMPAIGN_FILE, 1, _("the file is not valid UTF-8"))
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.add(CAMPAIGN_FILE, error.lineno, _("not valid JSON: %(error)s", error=error.msg))
        return None
    if not isinstance(data, dict):
        problems.add(CAMPAIGN_FILE, 1, _("the file must hold one JSON object"))
        return None

    before = len(problems)

    def bad(key, reason):
        problems.add(CAMPAIGN_FILE, _line_of(text, key), reason)

    values = {}
    year = data.get("year")
    match = YEAR.fullmatch(year) if isinstance(year, str) else None
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        bad("year", _("year must be two consecutive years, like 2026-2027"))
    values["year"] = year
    for key in DATES:
        values[key] = _date(data.get(key))
        if values[key] is None:
            bad(key, _("%(field)s must be a date YYYY-MM-DD", field=key))
    for key in MOMENTS:
        values[key] = _moment(data.get(key))
        if values[key] is None:
            bad(key, _("%(field)s must be a date and time with its UTC offset,"
                       " like 2026-04-01T10:00:00+06:00", field=key))

    holidays = data.get("holidays", [])
    if not isinstance(holidays, list) or any(_date(day) is None for day in holidays):
        bad("holidays", _("holidays must be a list of dates YYYY-MM-DD"))
    else:
        values["holidays"] = sorted(set(holidays))
    categories = data.get("categories", [])
    if not isinstance(categories, list) or not all(
        isinstance(c, str) and CATEGORY.fullmatch(c) for c in categories
    ):
        bad("categories", _("categories must be a list of names like teacher, twin"))
    else:
        values["categories"] = list(dict.fromkeys(categories))
    if "policy" in data:  # optional: the campaign's own choices where the regulation leaves one
        policy = data["policy"]
        if not isinstance(policy, dict):
            bad("policy", _("policy must be an object"))
        else:
            for name, value in policy.items():
                if name not in DEFAULT_POLICY:
                    bad(name, _("%(name)s is not a policy setting", name=name))
                elif type(value) is not type(DEFAULT_POLICY[name]):
                    bad(name, _("%(name)s has the wrong type", name=name))
                elif name == "proof_check_until" and not _proof_check_day(year, value):
                    bad(name, _("%(name)s must be a date YYYY-MM-DD or a day of the year MM-DD", name=name))
            values["policy"] = policy

    if len(problems) == before:
        if values["birth_from"] > values["birth_to"]:
            bad("birth_to", _("birth_to is before birth_from"))
        if not values["stage1_opens"] < values["stage2_opens"] < values["registration_closes"]:
            bad("stage2_opens", _("stage1_opens, stage2_opens and registration_closes must follow each other"))
        if values["documents_from"] > values["documents_until"]:
            bad("documents_until", _("documents_until is before documents_from"))
    return values if len(problems) == before else None


def _proof_check_day(year, value):
    try:
        return proof_check_day(year if isinstance(year, str) else "2000", value)
    except ValueError:
        return None


def apply_campaign(values):
    """Insert the campaign, or update the one of the same year; returns (campaign, new, changed)."""
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == values["year"])).first()
    values = dict(values)
    values.setdefault("holidays", [])
    values.setdefault("categories", [])
    if campaign is None:
        campaign = Campaign(**{"policy": {}, **values})
        db.session.add(campaign)
        db.session.flush()
        return campaign, 1, 0
    changed = False
    for name, value in values.items():
        # Aware datetimes compare by instant, so +06:00 in the file equals UTC in the database.
        if getattr(campaign, name) != value:
            setattr(campaign, name, value)
            changed = True
    db.session.flush()
    return campaign, 0, int(changed)
