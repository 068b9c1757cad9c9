"""Applicants, applications with their history, documents, commission decisions, appeals."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.campaign import Campaign
from portal.models.geography import District, School
from portal.models.quota import LANGUAGES
from portal.models.types import UTCDateTime, sql_in, utcnow

# The statuses of data-formats.md. An application is active (holds or has held
# its seat and counts for R10) in the first four. `proof_rejected`: the director
# rejected the proof of a teacher's child or of a legal representative and no
# normal seat was due (R7, R9): the seat is released.
ACTIVE_STATUSES = ("registered", "documents_received", "enrolled", "admitted_by_commission")
# Admitted, the documents not yet received (R11, §21): reminded, listed as missing
# after the window, counted as awaited. Those the status machine lets go to
# `documents_received` (an upheld appeal aside).
AWAITING_DOCUMENTS = ("registered", "admitted_by_commission")
STATUSES = ACTIVE_STATUSES + ("cancelled", "documents_missing", "transferred_to_special_school", "proof_rejected")


class Applicant(db.Model):
    """A parent or legal representative who has signed in at least once, or an
    applicant a commission decision names (§3). One without a PIN (a worker of the
    child-protection body, say) holds a stand-in of 14 characters, never all digits
    (`portal.admission.commission`), so that no sign-in can ever reach it.

    How to reach them is in `contacts` (ApplicantContact): every e-mail address
    and mobile number that completed a sign-in, bound to the PIN, never replaced."""

    __tablename__ = "applicants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pin: Mapped[str] = mapped_column(String(14), unique=True)
    locale: Mapped[str] = mapped_column(String(2), default="ky")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by `flask retention run`: the PIN and contacts are gone.
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Raised at sign-out (and sign-out everywhere): every form session holding an
    # older value has ended (`portal.public.edge.current_applicant`).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    contacts: Mapped[list["ApplicantContact"]] = relationship(
        back_populates="applicant", order_by="ApplicantContact.id"
    )

    @property
    def active_contacts(self):
        return [contact for contact in self.contacts if contact.removed_at is None]


CONTACT_CHANNELS = ("email", "sms")


class ApplicantContact(db.Model):
    """An e-mail address or a mobile number (E.164) bound to an applicant's PIN by a
    completed sign-in (or, for an applicant without a PIN whom a commission decision
    names, the contact the commission recorded: nobody can sign in as them). Every notice goes to every active contact; a later sign-in
    through another contact adds a row and tells the earlier ones (trust, DESIGN.md)."""

    __tablename__ = "applicant_contacts"
    __table_args__ = (
        CheckConstraint(sql_in("channel", CONTACT_CHANNELS), name="channel"),
        UniqueConstraint("applicant_id", "channel", "address"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(254))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    applicant: Mapped[Applicant] = relationship(back_populates="contacts")

    def __str__(self):
        return self.address


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(sql_in("status", STATUSES), name="status"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        CheckConstraint("stage IN (1, 2)", name="stage"),
        CheckConstraint("child_sex IN ('M', 'F')", name="child_sex"),
        # R10: one active application per child per campaign, kept by the database.
        Index(
            "uq_applications_active_child",
            "campaign_id",
            "child_pin",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
        Index("ix_applications_school_order", "school_id", "language", "queue_no"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    language: Mapped[str] = mapped_column(String(2))
    stage: Mapped[int] = mapped_column(Integer)
    # teacher, twin, commission, or a campaign's further category; null for the normal flow.
    category: Mapped[Optional[str]] = mapped_column(String(32))
    over_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), default="registered")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The school's first-come-first-served order: the seat pool's `issued` at commit.
    queue_no: Mapped[int] = mapped_column(Integer)
    # The contact the applicant had signed in with when registering: a cancel or a
    # move from another contact needs a code sent to this one (trust, DESIGN.md).
    contact_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applicant_contacts.id"))
    # The applicant acts as a legal representative (R9), not as a parent.
    as_representative: Mapped[bool] = mapped_column(Boolean, default=False)
    twin_group: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    # What the registry said of the child at registration, kept for the school.
    child_pin: Mapped[str] = mapped_column(String(14), index=True)
    child_last_name: Mapped[str] = mapped_column(String(100))
    child_first_name: Mapped[str] = mapped_column(String(100))
    child_patronymic: Mapped[str] = mapped_column(String(100), default="")
    child_sex: Mapped[str] = mapped_column(String(1))
    child_birth_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    documents_received_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # R7, R9: the uploaded proof this admission rests on, which the director checks
    # (a teacher not in the teacher registry, a legal representative's act); null
    # when nothing is to be checked. Twins registered together share one act.
    proof_document_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("documents.id", use_alter=True), index=True
    )

    campaign: Mapped[Campaign] = relationship()
    applicant: Mapped[Applicant] = relationship()
    contact: Mapped[Optional[ApplicantContact]] = relationship()
    school: Mapped[School] = relationship()
    history: Mapped[list["ApplicationEvent"]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id"
    )
    # post_update: documents and applications point at each other; this link is
    # written after both rows exist (as the migration adds it after both tables).
    proof_document: Mapped[Optional["Document"]] = relationship(foreign_keys=[proof_document_id], post_update=True)

    # Not stored: what the registration that created this application already
    # knows (its place in the order, the child's cancellations so far), so the
    # answer to the parent costs no further queries. None: ask the database.
    known_position = None
    known_cancellations_used = None
    # The claim of a child the parent added that the registration rested on; False:
    # it rested on the registry's link (portal.admission.claims.claim_of_application).
    known_claim = None

    def __str__(self):
        return self.number


class ApplicationEvent(db.Model):
    """One step of an application's status history."""

    __tablename__ = "application_events"
    __table_args__ = (CheckConstraint(sql_in("status", STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))  # applicant, school, district, commission, system
    note: Mapped[Optional[str]] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="history")


DOCUMENT_KINDS = ("teacher_proof", "representative_act", "registration_proof", "other")
VERIFICATIONS = ("pending", "accepted", "rejected")
# Why a director rejects a proof (R7, R9): a fixed list, plus the director's own words.
REJECTION_REASONS = ("unreadable", "other_person", "not_valid", "not_a_teacher_of_the_school",
                     "not_an_accepted_act", "other")


class Document(db.Model):
    """An uploaded file; the bytes live outside the web root under `storage_key`."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(sql_in("kind", DOCUMENT_KINDS), name="kind"),
        CheckConstraint(sql_in("verification", VERIFICATIONS), name="verification"),
        CheckConstraint("size_bytes > 0", name="size"),
        CheckConstraint(sql_in("rejection_reason", REJECTION_REASONS), name="rejection_reason"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("applications.id"), index=True
    )
    owner_pin: Mapped[str] = mapped_column(String(14), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verification: Mapped[str] = mapped_column(String(16), default="pending")
    verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    # R7, R9: the director's reason for a rejection (REJECTION_REASONS) and their words to the parent.
    rejection_reason: Mapped[Optional[str]] = mapped_column(String(32))
    rejection_note: Mapped[Optional[str]] = mapped_column(Text)

    application: Mapped[Optional[Application]] = relationship(foreign_keys=[application_id])


# Who the commission names as the applicant (§3: "родитель/законный представитель ребенка ...,
# при их отсутствии – сотрудник уполномоченного органа по защите детей").
COMMISSION_APPLICANT_ROLES = ("parent", "legal_representative", "child_protection", "other")


class CommissionDecision(db.Model):
    """A decision of a district Commission on Children's Affairs to admit a child (R12).

    `number` and `decided_on` are the protocol number and date of the decision.
    A child the registry does not know (no PIN, §9) is recorded with a temporary
    identifier (`child_temp_id`, 14 characters, never all digits) that stands in
    `child_pin` here and on the application until the registry knows the child
    and the secretary joins the record to the PIN (`child_joined_at`). The
    applicant is whoever the commission names (§3), reached at the contacts it
    records here."""

    __tablename__ = "commission_decisions"
    __table_args__ = (
        UniqueConstraint("campaign_id", "district_id", "number"),
        CheckConstraint(sql_in("language", LANGUAGES), name="language"),
        CheckConstraint(sql_in("applicant_role", COMMISSION_APPLICANT_ROLES), name="applicant_role"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    number: Mapped[str] = mapped_column(String(50))
    decided_on: Mapped[date] = mapped_column(Date)
    # The PIN, or the temporary identifier until the record is joined to the PIN.
    child_pin: Mapped[str] = mapped_column(String(14), index=True)
    child_temp_id: Mapped[Optional[str]] = mapped_column(String(14), unique=True)
    child_joined_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The applicant the commission names (null on decisions recorded before migration 0014).
    applicant_name: Mapped[Optional[str]] = mapped_column(String(200))
    applicant_role: Mapped[Optional[str]] = mapped_column(String(32))
    applicant_pin: Mapped[Optional[str]] = mapped_column(String(14))
    applicant_phone: Mapped[Optional[str]] = mapped_column(String(20))
    applicant_email: Mapped[Optional[str]] = mapped_column(String(254))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    language: Mapped[str] = mapped_column(String(2))
    grounds: Mapped[str] = mapped_column(Text)
    application_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("applications.id"), unique=True
    )
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district: Mapped[District] = relationship()
    school: Mapped[School] = relationship()
    application: Mapped[Optional[Application]] = relationship()


APPEAL_STATUSES = ("open", "answered", "escalated")
OPEN_APPEAL_STATUSES = ("open", "escalated")  # not answered yet
OPEN_APPEAL_WHERE = "application_id IS NOT NULL AND status IN ('open', 'escalated')"


class Appeal(db.Model):
    """A parent's electronic appeal to the district, answered within 3 working days (R16)."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint(sql_in("status", APPEAL_STATUSES), name="status"),
        # At most one appeal not yet answered per application (issue 15, item 8),
        # kept by the database whatever the concurrency (migration 0010).
        Index(
            "uq_appeals_open_per_application",
            "application_id",
            unique=True,
            sqlite_where=text(OPEN_APPEAL_WHERE),
            postgresql_where=text(OPEN_APPEAL_WHERE),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    application_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applications.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    escalated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Set with the answer: true when the district upheld the appeal (an upheld
    # appeal against a rejected proof restores the application, R7, R9).
    upheld: Mapped[Optional[bool]] = mapped_column(Boolean)

    district: Mapped[District] = relationship()
    applicant: Mapped[Applicant] = relationship()
    application: Mapped[Optional[Application]] = relationship()
