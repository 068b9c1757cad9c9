"""Stages, closing and working days of a campaign (R2, R5, R11, R16). All local
times are Asia/Bishkek; stored times are UTC."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

BEFORE_STAGE1 = 0
CLOSED = None


def local_zone():
    try:
        return ZoneInfo(current_app.config["TIMEZONE"])
    except RuntimeError:  # no app context (pure tests)
        return ZoneInfo("Asia/Bishkek")


def stage_at(campaign, now):
    """0 before stage 1 opens, 1 or 2 while open, None after registration closes."""
    if now >= campaign.registration_closes:
        return CLOSED
    if now >= campaign.stage2_opens:
        return 2
    if now >= campaign.stage1_opens:
        return 1
    return BEFORE_STAGE1


def is_working_day(day, holidays):
    return day.weekday() < 5 and day.isoformat() not in set(holidays or ())


def add_working_days(day, count, holidays):
    """The date `count` working days after (count > 0) or before (count < 0) `day`."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day, holidays):
            remaining -= 1
    return day


def quota_deadline(campaign):
    """The end of the last day on which a director may still change the quota.

    §11/§18/§19: the quota is confirmed "3 working days before the start of
    the first stage"; we read it as: the deadline is the end (23:59:59 local)
    of the working day that lies that many working days before stage 1's date.
    """
    zone = local_zone()
    stage1_day = campaign.stage1_opens.astimezone(zone).date()
    last_day = add_working_days(stage1_day, -campaign.setting("quota_deadline_working_days"), campaign.holidays)
    return datetime.combine(last_day, time(23, 59, 59), zone)


def working_days_later(moment, count, holidays):
    """A deadline `count` working days after `moment`, at the end of that local day (R16)."""
    zone = local_zone()
    day = add_working_days(moment.astimezone(zone).date(), count, holidays)
    return datetime.combine(day, time(23, 59, 59), zone)


def proof_check_day(campaign_year, value):
    """The day a `proof_check_until` setting names: "MM-DD" in the campaign's
    first year ("2026-2027" -> 2026), or a full date. ValueError if it names none."""
    if len(value) == 5:
        value = f"{campaign_year[:4]}-{value}"
    return date.fromisoformat(value)


def proof_check_deadline(campaign):
    """R7, R9 (§18: "until 30 August of the current year"): the end (23:59:59
    local) of the last day on which the director may reject an uploaded proof."""
    day = proof_check_day(campaign.year, campaign.setting("proof_check_until"))
    return datetime.combine(day, time(23, 59, 59), local_zone())


def local_date(moment):
    return moment.astimezone(local_zone()).date()


def documents_window_open(campaign, now):
    """R11: `now` falls within the document window (its days are local days; the
    UTC date is six hours behind Bishkek's)."""
    return campaign.documents_from <= local_date(now) <= campaign.documents_until


def documents_window_opened(campaign, now):
    """R11, R15: the document window has opened (from `documents_from`, local), and may
    have ended since: a class list is locked only from then on (docs/rules.md)."""
    return local_date(now) >= campaign.documents_from


def documents_deadline_passed(campaign, now):
    """R11: the document window has ended (after `documents_until`, local)."""
    return local_date(now) > campaign.documents_until


def today_local(now):
    return local_date(now)


def as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)
