"""Seat pools of the sample, by school code, for tests that set how many seats are free."""
from sqlalchemy import select

from portal.extensions import db
from portal.models import School, SeatPool


def pool_of(school_code, language="ky"):
    return db.session.scalars(select(SeatPool).join(School).where(School.code == school_code,
                                                                  SeatPool.language == language)).one()


def leave_free(school_code, free, language="ky"):
    """Fill the pool until `free` seats are left (committed)."""
    pool = pool_of(school_code, language)
    pool.taken = pool.issued = pool.seats - free
    db.session.commit()
    return pool
