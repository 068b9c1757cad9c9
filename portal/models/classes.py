"""Class formation (R15): which class-set each admitted child is placed in, and
the school's class list, which the director locks once it is final.

Once a school's list is locked, the database itself refuses any change of its
placements and of the lock (triggers of migration 0004), whatever the code
path; `portal.admission.class_lists` refuses it first with a clear reason.
"""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
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


class ClassListReopening(db.Model):
    """A district (or the ministry) lifted a school's lock, with a reason (R15, issue
    #14): the lock it lifted is kept here, and the database lifts a lock only when
    such a row names it (triggers of migration 0013). Append-only."""

    __tablename__ = "class_list_reopenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_list_id: Mapped[int] = mapped_column(ForeignKey("class_lists.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # The lock lifted: when it was set and by whom.
    lock_lifted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str] = mapped_column(Text)
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))

    class_list: Mapped[ClassList] = relationship()


class EnrolmentOrder(db.Model):
    """The director's order "On enrolment into the first grade" (§19, R11, R15): its
    number and date as issued, and (in its entries) the children it enrolled and
    those it listed apart. The first of a school and campaign is the order; each
    later one is a supplementary order. Never changed once issued (triggers of
    migration 0013)."""

    __tablename__ = "enrolment_orders"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id", "number"),
                      UniqueConstraint("campaign_id", "school_id", "sequence"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # 1 for the order, 2, 3, ... for the supplementary orders.
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(50))
    order_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))

    school: Mapped[School] = relationship()
    campaign: Mapped[Campaign] = relationship()
    entries: Mapped[list["EnrolmentOrderEntry"]] = relationship(
        back_populates="order", order_by="EnrolmentOrderEntry.id")

    @property
    def supplementary(self):
        return self.sequence > 1


class EnrolmentOrderEntry(db.Model):
    """One child of an order: enrolled into a class (`class_set_id`, no reason), or
    listed apart with the reason it was not enrolled (`reason`, a code of
    `portal.admission.enrolment.NOT_TAKEN`)."""

    __tablename__ = "enrolment_order_entries"
    __table_args__ = (UniqueConstraint("order_id", "application_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("enrolment_orders.id"), index=True)
    # The school, repeated from the order: the audit trail's scope reads it from the row.
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    class_set_id: Mapped[Optional[int]] = mapped_column(ForeignKey("class_sets.id"))
    reason: Mapped[Optional[str]] = mapped_column(String(32))

    order: Mapped[EnrolmentOrder] = relationship(back_populates="entries")
    application: Mapped[Application] = relationship()
    class_set: Mapped[Optional[ClassSet]] = relationship()

    @property
    def enrolled(self):
        return self.reason is None
