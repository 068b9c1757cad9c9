"""The audit trail (R13) and the notification outbox."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, sql_in, utcnow

AUDIT_ACTIONS = ("insert", "update", "delete", "import", "command", "sign_in", "view")


class AuditEntry(db.Model):
    """Who did what to which record, when, with the values before and after.

    Written only by `portal.audit` (never by a view); the application refuses
    to change or delete an entry, and on PostgreSQL a trigger refuses it too.
    """

    __tablename__ = "audit_entries"
    __audit__ = False
    __table_args__ = (
        CheckConstraint(sql_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_entries_entity", "entity", "entity_id"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "staff:12", "applicant:3", "command:demo"
    actor_user_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    # The scope the change belongs to, so districts and schools see their own trail.
    district_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    school_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[Optional[str]] = mapped_column(String(64))
    before: Mapped[Optional[dict]] = mapped_column(JSON)
    after: Mapped[Optional[dict]] = mapped_column(JSON)
    note: Mapped[Optional[str]] = mapped_column(Text)
    # Set when the retention command erased `before` and `after` (personal data
    # past retention); the seal's payload digest still vouches for what was there.
    erased_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


OUTBOX_STATES = ("pending", "queued", "sent", "failed")
CHANNELS = ("email", "sms")


class OutboxMessage(db.Model):
    """A message written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_messages"
    __audit__ = False
    __table_args__ = (
        CheckConstraint(sql_in("state", OUTBOX_STATES), name="state"),
        CheckConstraint(sql_in("channel", CHANNELS), name="channel"),
        Index("ix_outbox_messages_due", "state", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(2), default="ky")
    template: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The application the message is about (none: staff notices, sign-in codes); its
    # page lists them for the staff (migration 0015_notify).
    application_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)


class AuditSeal(db.Model):
    """The hash chain over the audit trail (tamper evidence).

    Entry n's seal is sha256(seal of entry n-1 + the entry's canonical JSON
    without its payload + the payload's digest), so that the payload of an old
    entry can be erased at the end of retention without breaking the chain
    (seals written before migration 0005 have no digest and hash the payload).
    Seals are written after the fact, in id order, by `portal.audit_chain.seal`
    (so that opening-day transactions never queue behind one "last hash" row);
    like the entries, they can only be added.
    """

    __tablename__ = "audit_seals"
    __audit__ = False
    entry_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("audit_entries.id"), primary_key=True
    )
    hash: Mapped[str] = mapped_column(String(64))
    payload_digest: Mapped[Optional[str]] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditAnchor(db.Model):
    """Where the hash chain's head stood at each seal run (R13: tamper evidence
    for the end of the trail).

    The chain alone shows an edited or deleted entry *between* seals, but not a
    cut-off end: remove the newest entries with their seals and what remains is
    a shorter chain that verifies. Each run of `portal.audit_chain.seal` adds
    one anchor: the head (the last sealed entry's id and hash) and the entries
    after it that existed then (the newest id seen, and how many). `verify`
    compares the chain with every anchor. The same line goes to the log (and to
    AUDIT_ANCHOR_FILE), outside these tables, for an owner who cuts the
    anchors too (docs/security.md, "The end of the audit trail"). Append-only,
    like the entries and seals.
    """

    __tablename__ = "audit_anchors"
    __audit__ = False  # else each run's anchor would itself be an entry waiting for a seal
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # The chain's head: the last sealed entry (0 and the genesis hash before any seal).
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    # Entries after the head that existed at the anchor: the newest id and how many.
    newest_entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    unsealed: Mapped[int] = mapped_column(Integer)
    anchored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

