"""Seats (R3): taken first come, first served; never more than the quota.

A normal seat is taken by ONE conditional UPDATE on the seat pool row
(`taken < seats`). On PostgreSQL the row lock makes concurrent takers queue
and re-check the condition after the lock is released, so the commit order is
the order of admission; on SQLite the write lock does the same. The CHECK
constraint `taken <= seats` is the last guard. Over-quota admissions (twins,
teachers' children, commission decisions, R6/R7/R12) are counted separately.
"""
from typing import NamedTuple

from sqlalchemy import and_, case, select, update

from portal.admission.school_kinds import offered_in_registration_sql
from portal.extensions import db
from portal.models import SeatPool


def free_seats_sql():
    """The free seats of a pool, as SQL, wherever a figure shows them (the public
    statistics, the reports): seats not taken, and none at a school that does not
    take part in the electronic registration (§31) or is a special school (§23),
    whose seats nobody can take here. Needs School joined to SeatPool."""
    return case((and_(offered_in_registration_sql(), SeatPool.seats > SeatPool.taken),
                 SeatPool.seats - SeatPool.taken), else_=0)


class Seat(NamedTuple):
    """A seat just taken: its pool, its number in the pool's order, and how many
    active applications hold a seat of the pool now, this one included, which is
    this application's place in the order (the row lock orders every taker)."""

    pool_id: int
    queue_no: int
    holders: int


def _pool_filter(campaign_id, school_id, language):
    return (
        SeatPool.campaign_id == campaign_id,
        SeatPool.school_id == school_id,
        SeatPool.language == language,
    )


def take_seat(campaign_id, school_id, language):
    """Take a normal seat. Returns a `Seat`, or None when full."""
    row = db.session.execute(
        update(SeatPool)
        .where(*_pool_filter(campaign_id, school_id, language), SeatPool.taken < SeatPool.seats)
        .values(taken=SeatPool.taken + 1, issued=SeatPool.issued + 1)
        .returning(SeatPool.id, SeatPool.issued, SeatPool.taken + SeatPool.over_quota)
        .execution_options(synchronize_session=False)
    ).first()
    return Seat(*row) if row else None


def admit_over_quota(campaign_id, school_id, language):
    """Admit beyond the quota. Returns a `Seat`, or None without a pool."""
    row = db.session.execute(
        update(SeatPool)
        .where(*_pool_filter(campaign_id, school_id, language))
        .values(over_quota=SeatPool.over_quota + 1, issued=SeatPool.issued + 1)
        .returning(SeatPool.id, SeatPool.issued, SeatPool.taken + SeatPool.over_quota)
        .execution_options(synchronize_session=False)
    ).first()
    return Seat(*row) if row else None


def release_seat(application):
    """Give back the seat an application held (cancellation, move, R11)."""
    counter = SeatPool.over_quota if application.over_quota else SeatPool.taken
    db.session.execute(
        update(SeatPool)
        .where(
            *_pool_filter(application.campaign_id, application.school_id, application.language),
            counter > 0,
        )
        .values({counter.key: counter - 1})
        .execution_options(synchronize_session=False)
    )


def pools_of(campaign_id, school_ids=None):
    query = select(SeatPool).where(SeatPool.campaign_id == campaign_id, SeatPool.seats > 0)
    if school_ids is not None:
        query = query.where(SeatPool.school_id.in_(school_ids))
    return db.session.scalars(query).all()
