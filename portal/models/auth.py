"""Parent sign-in: one-time codes by mail or SMS and bearer tokens for the API."""
from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.applications import Applicant, ApplicantContact
from portal.models.types import UTCDateTime, sql_in, utcnow


CODE_PURPOSES = ("sign_in", "confirm")


class SignInCode(db.Model):
    """A six-digit code sent to a parent's contact. Only its keyed hash is kept.

    `purpose` is `sign_in`, or `confirm`: a code sent to the contact that made
    an application, to confirm a cancel or a move asked from another contact
    (`subject` is then the application's number).

    A sign-in row is written for every request, whether or not the PIN is in the
    registry and the document number matches, so that the limits behave the same
    and reveal nothing.

    `requester` is a keyed digest of the address that asked for it (never the
    address itself), for the limits. Tries by whoever asked for it (the form's
    session, which holds the row's id; the API client, which holds the request
    token whose hash is `request_hash`) count in `attempts`, tries by anyone else
    in `other_attempts`, each with its own allowance: a stranger's guesses cannot
    burn the code of the parent who asked for it (portal/admission/sign_in.py).
    """

    __tablename__ = "sign_in_codes"
    __audit__ = False  # attempts churn; sign-ins are audited as events instead
    __table_args__ = (
        Index("ix_sign_in_codes_pin_created", "pin", "created_at"),
        Index("ix_sign_in_codes_contact_created", "contact", "created_at"),
        CheckConstraint(sql_in("purpose", CODE_PURPOSES), name="purpose"),
        CheckConstraint(sql_in("channel", ("email", "sms")), name="channel"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pin: Mapped[str] = mapped_column(String(14))
    channel: Mapped[str] = mapped_column(String(8), default="email")
    contact: Mapped[str] = mapped_column(String(254))  # an e-mail address or an E.164 number
    purpose: Mapped[str] = mapped_column(String(16), default="sign_in")
    subject: Mapped[Optional[str]] = mapped_column(String(32))
    code_hash: Mapped[Optional[str]] = mapped_column(String(64))  # None: PIN unknown, nothing sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requester: Mapped[Optional[str]] = mapped_column(String(32))
    request_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)  # None: asked on the form
    other_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class ApiToken(db.Model):
    """A bearer token of the JSON API; only its hash is kept."""

    __tablename__ = "api_tokens"
    __audit__ = False
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # The contact whose code gave this token (None: signed in with Түндүк).
    contact_id: Mapped[Optional[int]] = mapped_column(ForeignKey("applicant_contacts.id"))

    applicant: Mapped[Applicant] = relationship()
    contact: Mapped[Optional[ApplicantContact]] = relationship()
