"""A child the registry does not show, added by the parent in their cabinet (2026
text, obligations of the applicant: "Если у родителя не отображаются дети
предшкольного возраста, то необходимо добавить их у себя в личном кабинете").

The claim is the parent's word, backed by the birth certificate's series and
number: it counts as a parent link until the director has seen the original
certificate (with the documents, §21), or the registry shows its own link."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.applications import Applicant
from portal.models.types import UTCDateTime, sql_in, utcnow

# unverified: the parent's word; confirmed: the director saw the original certificate;
# rejected: the director did not accept it; superseded: the registry now shows its own link.
CLAIM_STATES = ("unverified", "confirmed", "rejected", "superseded")
# The states in which a claim counts as the applicant's link to the child.
LIVE_CLAIM_STATES = ("unverified", "confirmed")
CLAIM_REJECTION_REASONS = ("not_shown", "other_person", "not_valid", "other")


class ClaimedChild(db.Model):
    __tablename__ = "claimed_children"
    __table_args__ = (
        CheckConstraint(sql_in("state", CLAIM_STATES), name="state"),
        CheckConstraint("child_sex IN ('M', 'F')", name="child_sex"),
        CheckConstraint(sql_in("rejection_reason", CLAIM_REJECTION_REASONS), name="rejection_reason"),
        # One live claim per child, whoever made it: a PIN claimed by one applicant
        # cannot be claimed by another until that claim is rejected.
        Index(
            "uq_claimed_children_live_child",
            "child_pin",
            unique=True,
            sqlite_where=text("state IN ('unverified', 'confirmed')"),
            postgresql_where=text("state IN ('unverified', 'confirmed')"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    child_pin: Mapped[str] = mapped_column(String(14), index=True)
    child_last_name: Mapped[str] = mapped_column(String(100))
    child_first_name: Mapped[str] = mapped_column(String(100))
    child_patronymic: Mapped[str] = mapped_column(String(100), default="")
    child_sex: Mapped[str] = mapped_column(String(1))
    child_birth_date: Mapped[date] = mapped_column(Date)
    # The birth certificate (свидетельство о рождении): the director compares the original.
    certificate_series: Mapped[str] = mapped_column(String(16))
    certificate_number: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="unverified")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the state last changed (confirmed, rejected, superseded) and by which staff user.
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    rejection_reason: Mapped[Optional[str]] = mapped_column(String(32))
    rejection_note: Mapped[Optional[str]] = mapped_column(Text)

    applicant: Mapped[Applicant] = relationship()

    # Not stored: the application a director's check of this claim is about. The audit
    # listener reads it (as for a document) to put the entry in that school's trail.
    application = None

    @property
    def full_name(self):
        return " ".join(part for part in (self.child_last_name, self.child_first_name, self.child_patronymic) if part)

    def __str__(self):
        return self.full_name
