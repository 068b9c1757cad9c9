"""Which schools a child may choose now, with free seats per language (R2, R3)."""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.admission.calendar import stage_at
from portal.admission.campaigns import current_campaign
from portal.admission.family import catchment_school_ids, check_eligibility, family_of, home_district_code, is_teacher_of
from portal.admission.school_kinds import offered_in_registration_sql
from portal.extensions import db
from portal.models import District, School, SeatPool


@dataclass
class SchoolSeats:
    school: School
    pools: list = field(default_factory=list)  # SeatPool rows with seats > 0


def _with_pools(campaign, school_query, language=None, only_free=False):
    query = (
        select(SeatPool)
        .join(School, SeatPool.school_id == School.id)
        .options(joinedload(SeatPool.school).joinedload(School.district))
        # Participating general schools only: a special school is never offered (§23).
        .where(SeatPool.campaign_id == campaign.id, SeatPool.seats > 0, offered_in_registration_sql())
        .where(SeatPool.school_id.in_(school_query))
        .order_by(School.code, SeatPool.language)
    )
    if language:
        query = query.where(SeatPool.language == language)
    if only_free:
        query = query.where(SeatPool.taken < SeatPool.seats)
    grouped = {}
    for pool in db.session.scalars(query):
        grouped.setdefault(pool.school_id, SchoolSeats(pool.school)).pools.append(pool)
    return list(grouped.values())


def school_by_code(code):
    """The school with this code, or None."""
    return db.session.scalars(select(School).where(School.code == code)).first() if code else None


def _district_schools(district_code):
    query = select(School.id)
    if district_code:
        query = query.join(District).where(District.code == district_code)
    return query


def schools_for_child(applicant_pin, child_pin, *, now, language=None, district_code=None):
    """(stage, [SchoolSeats]) open to this child now.

    Before stage 1 (stage 0) the catchment schools are shown, so that parents
    can prepare; in stage 1 only those; in stage 2 every participating school
    with a free seat (optionally in one district); after closing, none.
    """
    campaign = current_campaign()
    if campaign is None:
        return None, []
    stage = stage_at(campaign, now)
    family = family_of(applicant_pin, child_pin)
    check_eligibility(campaign, family)
    if stage is None:
        return None, []
    if stage in (0, 1):
        ids = catchment_school_ids(family)
        return stage, _with_pools(campaign, select(School.id).where(School.id.in_(ids)), language)
    return stage, _with_pools(campaign, _district_schools(district_code), language, only_free=True)


def free_seats(*, district_code=None):
    """Public: free seats per participating school and language (no personal data)."""
    campaign = current_campaign()
    if campaign is None:
        return None, []
    return campaign, _with_pools(campaign, _district_schools(district_code))


@dataclass
class Offer:
    """What the school page offers a child now: the stage, the schools with their
    pools, and the district listed (stage 2 lists one district at a time)."""

    stage: object  # None (closed), 0 (before stage 1), 1 or 2
    choices: list  # [SchoolSeats]
    district_code: object = None

    def options(self, *, leave_out=None):
        """The "CODE:language" values a parent may choose now: a pool with a free
        seat, in an open stage (R2, R3); `leave_out`: the application's own pool (a move)."""
        return [
            value
            for choice in self.choices
            for pool in choice.pools
            if pool.free > 0 and self.stage in (1, 2)
            for value in [f"{choice.school.code}:{pool.language}"]
            if value != leave_out
        ]


def offer_for_child(applicant_pin, child_pin, *, now, district_code=None):
    """The Offer of the school page. Stage 2 starts in the district of the parent's
    registered address and lists one district: without a district, nothing is listed
    (the page asks for one rather than list the country)."""
    if district_code is None:
        district_code = home_district_code(applicant_pin)
    stage, choices = schools_for_child(applicant_pin, child_pin, now=now, district_code=district_code)
    if stage == 2 and district_code is None:
        choices = []
    return Offer(stage, choices, district_code)


def elsewhere_accepted(applicant_pin, offer, value, school_code, *, child_count):
    """Stage 1, "my school is not in the list": a school outside the catchment is
    accepted only where the catchment offers it anyway, or for a teacher's one child
    at the teacher's school wherever the family lives (R7, §24: "about you" then asks
    the teacher question). Otherwise the answer is `outside_microdistrict` (R2, R17)."""
    return value in offer.options() or (child_count == 1 and is_teacher_of(applicant_pin, school_code))
