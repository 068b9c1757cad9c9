"""Class formation (R15): which class-set each admitted child is placed in, and
the school's class list, which the director locks once it is final.

Once a school's list is locked, the database itself refuses any change of its
placements and of the lock (triggers of migration 0004), whatever the code
path; `portal.admission.class_lists` refuses it first with a clear reason.
"""
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.applications import Application
from portal.models.campaign import Campaign
from portal.models.geography import School
from portal.models.quota import ClassSet
from portal.models.types import UTCDateTime, utcnow


class ClassList(db.Model):
    """The first-grade class list of one school in one campaign, and its lock."""

    __tablename__ = "class_lists"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    distributed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    locked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))

    school: Mapped[School] = relationship()
    campaign: Mapped[Campaign] = relationship()

    @property
    def locked(self):
        return self.locked_at is not None


class ClassAssignment(db.Model):
    """One child (its application) placed in one class-set of its school and language."""

    __tablename__ = "class_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    # The school, repeated from the class-set: the lock trigger and the audit
    # trail's scope read it from the row itself.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_set_id: Mapped[int] = mapped_column(ForeignKey("class_sets.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    # False when the distribution placed the child, true when the director moved it.
    by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    class_set: Mapped[ClassSet] = relationship()
    application: Mapped[Application] = relationship()
