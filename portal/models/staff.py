"""Staff users: one role and one scope each."""
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.geography import District, School
from portal.models.types import UTCDateTime, sql_in, utcnow

ROLES = ("ministry", "district", "commission", "director")


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"
    __audit_redact__ = ("password_hash", "totp_secret", "activation_token_hash")
    __table_args__ = (
        CheckConstraint(sql_in("role", ROLES), name="role"),
        # Exactly one scope, matching the role: the nation, a district or a school.
        CheckConstraint(
            "(role = 'ministry' AND district_id IS NULL AND school_id IS NULL)"
            " OR (role IN ('district', 'commission') AND district_id IS NOT NULL"
            " AND school_id IS NULL)"
            " OR (role = 'director' AND school_id IS NOT NULL AND district_id IS NULL)",
            name="one_scope",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    district_id: Mapped[Optional[int]] = mapped_column(ForeignKey("districts.id"), index=True)
    school_id: Mapped[Optional[int]] = mapped_column(ForeignKey("schools.id"), index=True)
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    activation_token_hash: Mapped[Optional[str]] = mapped_column(String(128), unique=True)
    activation_expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(2), default="ky")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Raised at sign-out, a new password and disabling: every session holding an
    # older value has ended (`get_id`, `portal.staff_accounts.end_sessions`).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    district: Mapped[Optional[District]] = relationship()
    school: Mapped[Optional[School]] = relationship()

    @property
    def is_active(self):  # Flask-Login: a disabled or never-activated user cannot sign in
        return self.is_enabled and self.password_hash is not None

    def get_id(self):
        # Flask-Login keeps this in the session (and would in a remember cookie):
        # Flask-Login's "alternative token", so that raising the version ends them.
        return f"{self.id}:{self.session_version or 0}"

    def __str__(self):
        return self.email


class StaffSignInAddress(db.Model):
    """One staff account signing in from one address (`requester`: a keyed digest
    of the address, never the address itself).

    Wrong passwords lock the account for this address only, for longer each time
    (`lockouts`), so that a stranger elsewhere cannot lock the owner out; an
    address where the account signed in successfully (or set its password through
    a mailed link) is the owner's, and the account-wide lock does not apply there
    (admin/security.py).
    """

    __tablename__ = "staff_sign_in_addresses"
    __table_args__ = (UniqueConstraint("user_id", "requester"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    requester: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, since the last lock or success
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # locks in a row: each lasts twice the last
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_success_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[StaffUser] = relationship()
