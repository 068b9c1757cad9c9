"""The director's changes to a draft quota and its confirmation (R5, §11, §18, §19).

Before the quota deadline (3 working days before stage 1) and while the quota
is a draft, the director may:
- raise a class-set's seats, up to the maximum (42), never below what R4 computed;
- add class-sets in the state language (Kyrgyz), and remove the ones added;
- change a class-set's language only towards Kyrgyz (or back to what R4 computed),
  never leaving fewer Kyrgyz class-sets than last year's.
The director confirms; the district approves; a quota not confirmed by the
deadline is confirmed automatically. Once confirmed, nobody changes it here.

The Kyrgyz floor (§11) is checked in one place, `state_language_shortfall`, by
both confirmations: the director's is refused below it; the automatic one
(§19) confirms the quota as it stands all the same (nobody is left to change
it) and the district's staff are told (`portal.jobs.notices`).

Each refusal is a `QuotaChangeRefused` whose message explains the rule.
"""
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.admission.calendar import quota_deadline
from portal.admission.errors import Refusal
from portal.extensions import db
from portal.models import ClassSet, SchoolQuota, SeatPool
from portal.models.quota import LANGUAGES, STATE_LANGUAGE

MESSAGES = {
    "quota_confirmed": _l("The quota is already confirmed and can no longer be changed."),
    "quota_deadline_passed": _l(
        "The quota could be changed only until %(deadline)s (3 working days before stage 1)."
    ),
    "seats_above_max": _l("A class-set has at most %(max)s seats."),
    "seats_below_computed": _l(
        "Seats can only be raised: this class-set was computed with %(computed)s seats."
    ),
    "seats_below_min": _l("A new class-set has at least %(min)s seats."),
    "language_only_towards_state": _l(
        "The language of a class-set can be changed only to Kyrgyz, the state language."
    ),
    "state_language_minimum": _l(
        "The school must keep at least %(min)s class-sets in Kyrgyz (as many as last year)."
    ),
    "not_added_by_director": _l("Only a class-set added by the director can be removed."),
    "not_confirmed_by_director": _l("The director has not confirmed the quota yet."),
    "unknown_language": _l("Unknown language of instruction."),
}


class QuotaChangeRefused(Refusal):
    MESSAGES = MESSAGES


CONFIRMED = ("confirmed_by_director", "confirmed_automatically")


def school_quota(campaign, school_id):
    return db.session.scalars(
        select(SchoolQuota).where(SchoolQuota.campaign_id == campaign.id, SchoolQuota.school_id == school_id)
    ).one()


def _class_sets(quota):
    return db.session.scalars(
        select(ClassSet)
        .where(ClassSet.campaign_id == quota.campaign_id, ClassSet.school_id == quota.school_id)
        .order_by(ClassSet.number)
    ).all()


def may_change(quota, now):
    """R5: the director may still change (and confirm) this quota: a draft, before the deadline."""
    return quota.state == "draft" and now <= quota_deadline(quota.campaign)


def may_approve(quota):
    """§17: the district approves a quota the director (or the deadline) confirmed."""
    return quota.state in CONFIRMED


def _check_open(campaign, quota, now):
    if quota.state != "draft":
        raise QuotaChangeRefused("quota_confirmed")
    deadline = quota_deadline(campaign)
    if now > deadline:
        raise QuotaChangeRefused("quota_deadline_passed", deadline=deadline.strftime("%d.%m.%Y %H:%M"))


def state_language_shortfall(quota, class_sets=None):
    """§11, R5: how many class-sets in Kyrgyz the quota lacks to keep last
    year's number (`min_state_language_class_sets`, counted by R4 on this
    year's 1st grades); 0 when it keeps the floor. The one check of the floor."""
    if class_sets is None:
        class_sets = _class_sets(quota)
    kyrgyz = sum(1 for c in class_sets if c.language == STATE_LANGUAGE)
    return max(0, (quota.min_state_language_class_sets or 0) - kyrgyz)


def _check_state_language_floor(quota, class_sets):
    if state_language_shortfall(quota, class_sets):
        raise QuotaChangeRefused("state_language_minimum", min=quota.min_state_language_class_sets)


def sync_seat_pools(campaign, school_id):
    """Seat pools hold the sum of the class-sets' seats per language."""
    seats = defaultdict(int)
    for class_set in db.session.scalars(
        select(ClassSet).where(ClassSet.campaign_id == campaign.id, ClassSet.school_id == school_id)
    ):
        seats[class_set.language] += class_set.seats
    pools = {
        pool.language: pool
        for pool in db.session.scalars(
            select(SeatPool).where(SeatPool.campaign_id == campaign.id, SeatPool.school_id == school_id)
        )
    }
    for language in set(seats) | set(pools):
        pool = pools.get(language)
        if pool is None:
            pool = SeatPool(campaign_id=campaign.id, school_id=school_id, language=language,
                            seats=0, taken=0, over_quota=0, issued=0)
            db.session.add(pool)
        pool.seats = max(seats.get(language, 0), pool.taken or 0)
    db.session.flush()


def change_seats(campaign, class_set, seats, *, now):
    quota = school_quota(campaign, class_set.school_id)
    _check_open(campaign, quota, now)
    maximum = campaign.setting("class_set_max_seats")
    if seats > maximum:
        raise QuotaChangeRefused("seats_above_max", max=maximum)
    floor = class_set.computed_seats if class_set.computed_seats is not None else campaign.setting("class_set_min_seats")
    if seats < floor:
        if class_set.computed_seats is not None:
            raise QuotaChangeRefused("seats_below_computed", computed=class_set.computed_seats)
        raise QuotaChangeRefused("seats_below_min", min=floor)
    class_set.seats = seats
    sync_seat_pools(campaign, class_set.school_id)
    return class_set


def languages_taught(campaign, *, within):
    """The languages of instruction of the first grades (class-sets) of the
    campaign at the schools `within` selects (a condition on ClassSet), in the
    order of LANGUAGES: what a choice of language offers, and nothing more."""
    taught = set(db.session.scalars(select(ClassSet.language).distinct().where(
        ClassSet.campaign_id == campaign.id, ClassSet.seats > 0, within)))
    return [code for code in LANGUAGES if code in taught]


def languages_for(class_set):
    """The languages a class-set may be taught in (R5, §11, §18): the language of
    the first grade it was computed from (what the school teaches), or Kyrgyz.
    A change offers these and nothing else: no Tajik or English to a school that
    does not teach them."""
    taught = class_set.computed_language or class_set.language
    return [STATE_LANGUAGE] + ([taught] if taught != STATE_LANGUAGE else [])


def change_language(campaign, class_set, language, *, now):
    quota = school_quota(campaign, class_set.school_id)
    _check_open(campaign, quota, now)
    if language not in LANGUAGES:
        raise QuotaChangeRefused("unknown_language")
    if language not in languages_for(class_set):
        raise QuotaChangeRefused("language_only_towards_state")
    class_set.language = language
    _check_state_language_floor(quota, _class_sets(quota))
    sync_seat_pools(campaign, class_set.school_id)
    return class_set


def add_state_language_class_set(campaign, school_id, *, seats=None, now):
    quota = school_quota(campaign, school_id)
    _check_open(campaign, quota, now)
    minimum, maximum = campaign.setting("class_set_min_seats"), campaign.setting("class_set_max_seats")
    seats = minimum if seats is None else seats
    if seats > maximum:
        raise QuotaChangeRefused("seats_above_max", max=maximum)
    if seats < minimum:
        raise QuotaChangeRefused("seats_below_min", min=minimum)
    number = (db.session.scalar(
        select(func.max(ClassSet.number)).where(ClassSet.campaign_id == campaign.id, ClassSet.school_id == school_id)
    ) or 0) + 1
    class_set = ClassSet(campaign_id=campaign.id, school_id=school_id, number=number,
                         language=STATE_LANGUAGE, seats=seats, added_by_director=True)
    db.session.add(class_set)
    db.session.flush()
    sync_seat_pools(campaign, school_id)
    return class_set


def remove_added_class_set(campaign, class_set, *, now):
    quota = school_quota(campaign, class_set.school_id)
    _check_open(campaign, quota, now)
    if not class_set.added_by_director:
        raise QuotaChangeRefused("not_added_by_director")
    school_id = class_set.school_id
    db.session.delete(class_set)
    db.session.flush()
    _check_state_language_floor(quota, _class_sets(quota))
    sync_seat_pools(campaign, school_id)


def confirm_by_director(campaign, quota, user_id, *, now):
    _check_open(campaign, quota, now)
    _check_state_language_floor(quota, _class_sets(quota))
    quota.state = "confirmed_by_director"
    quota.director_confirmed_at, quota.director_confirmed_by_id = now, user_id
    db.session.flush()
    return quota


def approve_by_district(campaign, quota, user_id, *, now):
    """§17: the district confirms the quota the director (or the deadline) confirmed."""
    if not may_approve(quota):
        raise QuotaChangeRefused("not_confirmed_by_director")
    quota.state = "approved_by_district"
    quota.district_approved_at, quota.district_approved_by_id = now, user_id
    db.session.flush()
    return quota


def confirm_overdue_quotas(campaign, *, now):
    """§19: a quota not confirmed by the deadline is confirmed automatically.

    The Kyrgyz floor is checked as at the director's confirmation; a quota
    below it is confirmed as it stands all the same (the regulation confirms
    it, and after the deadline nobody may change it) and shows in
    `automatically_confirmed_below_floor`, whose district is told.

    Idempotent: only drafts past the deadline change. Returns the quotas
    confirmed now, each with its shortfall: [(SchoolQuota, shortfall)].
    """
    if now <= quota_deadline(campaign):
        return []
    drafts = db.session.scalars(
        select(SchoolQuota)
        .where(SchoolQuota.campaign_id == campaign.id, SchoolQuota.state == "draft")
        .with_for_update(skip_locked=True)
    ).all()
    confirmed = []
    for quota in drafts:
        quota.state, quota.auto_confirmed_at = "confirmed_automatically", now
        confirmed.append((quota, state_language_shortfall(quota)))
    db.session.flush()
    return confirmed


def automatically_confirmed_below_floor(campaign):
    """The quotas of `campaign` confirmed automatically below the Kyrgyz floor
    and not yet approved by the district: [(SchoolQuota, shortfall)]."""
    quotas = db.session.scalars(
        select(SchoolQuota)
        .where(SchoolQuota.campaign_id == campaign.id, SchoolQuota.state == "confirmed_automatically")
        .order_by(SchoolQuota.school_id)
    ).all()
    return [(quota, shortfall) for quota in quotas if (shortfall := state_language_shortfall(quota))]
