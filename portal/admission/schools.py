"""Which schools a child may choose now, with free seats per language (R2, R3)."""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.admission.calendar import stage_at
from portal.admission.registration import (
    catchment_school_ids,
    check_eligibility,
    current_campaign,
    family_of,
)
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
