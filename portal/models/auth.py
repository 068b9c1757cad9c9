"""Parent sign-in: one-time codes by mail and bearer tokens for the API."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.applications import Applicant
from portal.models.types import UTCDateTime, utcnow


class SignInCode(db.Model):
    """A six-digit code mailed to a parent. Only its keyed hash is kept.

    A row is written for every request, whether or not the PIN is in the
    registry, so that the limits behave the same and reveal nothing.
    """

    __tablename__ = "sign_in_codes"
    __audit__ = False  # attempts churn; sign-ins are audited as events instead
    __table_args__ = (
        Index("ix_sign_in_codes_pin_created", "pin", "created_at"),
        Index("ix_sign_in_codes_email_created", "email", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pin: Mapped[str] = mapped_column(String(14))
    email: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[Optional[str]] = mapped_column(String(64))  # None: PIN unknown, nothing sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
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

    applicant: Mapped[Applicant] = relationship()
