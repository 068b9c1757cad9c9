"""Grade statistics, class-sets, quota state and the seat pools that hold the count."""
from datetime import datetime
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.campaign import Campaign
from portal.models.geography import School
from portal.models.types import UTCDateTime, sql_in

LANGUAGES = ("ky", "ru", "uz", "tj", "en")
STATE_LANGUAGE = "ky"

QUOTA_STATES = (
    "draft",
    "confirmed_by_director",
    "confirmed_automatically",
    "approved_by_district",
)


class GradeStat(db.Model):
    """Last year's 4th grades and this year's 1st grades of a school (R4)."""

    __tablename__ = "grade_stats"
    __table_args__ = (
        CheckConstraint("grade IN (1, 4)", name="grade"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        CheckConstraint("pupils >= 0", name="pupils"),
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    grade: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(2))
    pupils: Mapped[int] = mapped_column(Integer)


class SchoolQuota(db.Model):
    """The state of a school's quota in a campaign (R5)."""

    __tablename__ = "school_quotas"
    __table_args__ = (
        UniqueConstraint("campaign_id", "school_id"),
        CheckConstraint(sql_in("state", QUOTA_STATES), name="state"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    state: Mapped[str] = mapped_column(String(32), default="draft")
    # Which grade the draft was computed from: 4 (normal) or 1 (a new school).
    base_grade: Mapped[Optional[int]] = mapped_column(Integer)
    # The number of Kyrgyz class-sets may never drop below last year's (§11).
    min_state_language_class_sets: Mapped[int] = mapped_column(Integer, default=0)
    director_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    director_confirmed_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("staff_users.id")
    )
    auto_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    district_approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    district_approved_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("staff_users.id")
    )

    school: Mapped[School] = relationship()
    campaign: Mapped[Campaign] = relationship()

    def __str__(self):
        return str(self.school)


class ClassSet(db.Model):
    """One planned first-grade class with its language and seats."""

    __tablename__ = "class_sets"
    __table_args__ = (
        UniqueConstraint("campaign_id", "school_id", "number"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        CheckConstraint("seats > 0 AND seats <= 42", name="seats"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    seats: Mapped[int] = mapped_column(Integer)
    # What R4 computed, kept to explain and to bound the director's changes (R5).
    computed_language: Mapped[Optional[str]] = mapped_column(String(2))
    computed_seats: Mapped[Optional[int]] = mapped_column(Integer)
    base_pupils: Mapped[Optional[int]] = mapped_column(Integer)
    added_by_director: Mapped[bool] = mapped_column(Boolean, default=False)

    school: Mapped[School] = relationship()
    campaign: Mapped[Campaign] = relationship()


class SeatPool(db.Model):
    """The seats of one school in one language in a campaign, and how many are taken.

    This row is the point of serialisation for R3: a seat is taken by a single
    conditional UPDATE (`taken < seats`), and the database refuses any state
    with more taken than seats. `issued` only grows: it numbers the school's
    first-come-first-served order.
    """

    __tablename__ = "seat_pools"
    __audit__ = False  # a derived counter; the application rows carry the audit
    __table_args__ = (
        UniqueConstraint("campaign_id", "school_id", "language"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        CheckConstraint("taken >= 0 AND taken <= seats", name="not_oversold"),
        CheckConstraint("over_quota >= 0", name="over_quota"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    seats: Mapped[int] = mapped_column(Integer, default=0)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    over_quota: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)

    school: Mapped[School] = relationship()
    campaign: Mapped[Campaign] = relationship()

    @property
    def free(self):
        return max(self.seats - self.taken, 0)
