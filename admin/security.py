"""Staff sign-in: passwords, lockout, one-time password links, the second factor
and the session's life. The pages that use these live in `admin.auth`.

- Every failure looks the same to the person signing in: unknown address, wrong
  password, disabled, not yet activated or locked all get one message, and an
  unknown address costs the same Argon2 work as a known one.
- After STAFF_LOCK_AFTER_FAILURES wrong passwords (or codes) in a row the
  account is locked for STAFF_LOCK_MINUTES, whatever is typed meanwhile.
- A password link (activation, or reset by mail) is a random token of which
  only the SHA-256 is stored, in the user's activation columns; it works once.
- A session ends after STAFF_SESSION_IDLE_MINUTES without a request, after
  STAFF_SESSION_MAX_HOURS in all, and on the server at sign-out, when the
  password changes and when the account is disabled: the session names the
  user by "id:version" and those raise the version, so a copy of the cookie
  kept from before signs nobody in (`portal.staff_accounts.end_sessions`).
- TOTP (RFC 6238) is required for the roles in REQUIRE_TOTP_FOR_ROLES and
  optional for everyone else; a code is accepted once (not at or before the
  time step of the last sign-in).
"""
import secrets
from datetime import timedelta

import pyotp
from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from portal import audit, clock
from portal.extensions import db
from portal.models import StaffUser
from portal.staff_accounts import (
    activation_token_hash,
    end_sessions,
    hash_password,
    set_password,
    user_for_session,
    verify_password,
)

SESSION_KEYS = ("staff_since", "staff_seen", "staff_pending", "staff_pending_at", "totp_setup")
PENDING_MINUTES = 5  # between the password and the second factor
TOTP_STEP = 30  # seconds; RFC 6238's default, what authenticator apps use
_dummy_hash = None


def _config(name):
    return current_app.config[name]


def find_user(email):
    email = (email or "").strip().lower()
    return db.session.scalars(select(StaffUser).where(func.lower(StaffUser.email) == email)).first()


def _spend_the_same_time(password):
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    verify_password(StaffUser(password_hash=_dummy_hash), password)


def is_locked(user, now):
    return user.locked_until is not None and user.locked_until > now


def record_failure(user, now):
    """Count a wrong password or code; lock the account when there were too many."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= _config("STAFF_LOCK_AFTER_FAILURES"):
        user.locked_until = now + timedelta(minutes=_config("STAFF_LOCK_MINUTES"))
        user.failed_logins = 0
    db.session.flush()


def check_password(email, password, *, now):
    """The user if the password is right and the account may sign in now, else None.

    The caller commits either way: a failure must be counted.
    """
    user = find_user(email)
    if user is None:
        _spend_the_same_time(password)
        return None
    if is_locked(user, now):
        _spend_the_same_time(password)
        return None
    if not verify_password(user, password):
        record_failure(user, now)
        return None
    if not user.is_active:  # disabled, or never activated
        return None
    return user


def totp_required(user):
    return bool(user.totp_secret) or user.role in _config("REQUIRE_TOTP_FOR_ROLES")


def check_totp(user, code, *, now, secret=None):
    """True if `code` is the current code of `secret` (the user's by default),
    within one step either side for clock drift, and newer than the last sign-in."""
    enrolling = secret is not None  # a new secret has no code used before
    secret = secret or user.totp_secret
    code = (code or "").strip()
    if not secret or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    moment = int(now.timestamp())
    last_step = -1
    if user.last_login_at and not enrolling:
        last_step = int(user.last_login_at.timestamp()) // TOTP_STEP
    for drift in (-1, 0, 1):
        step = moment // TOTP_STEP + drift
        if step > last_step and secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return True
    return False


def new_totp_secret():
    return pyotp.random_base32()


def totp_uri(user, secret):
    return pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(name=user.email, issuer_name="Mektep-1")


# --- the session -------------------------------------------------------------------------
def _clear_staff_keys():
    for key in SESSION_KEYS:
        session.pop(key, None)


def remember_pending(user, now):
    """The password was right; the second factor is still to come."""
    _clear_staff_keys()
    session["staff_pending"] = user.get_id()  # with the version: a new password ends this step too
    session["staff_pending_at"] = now.timestamp()


def pending_user(now):
    session_id, since = session.get("staff_pending"), session.get("staff_pending_at", 0)
    if session_id is None or now.timestamp() - since > PENDING_MINUTES * 60:
        return None
    user = user_for_session(session_id)
    return user if user is not None and not is_locked(user, now) else None


def start_session(user, now):
    """Sign the user in (the caller commits)."""
    _clear_staff_keys()
    login_user(user)
    session["staff_since"] = session["staff_seen"] = now.timestamp()
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    audit.set_request_actor(f"staff:{user.id}", user.id)
    audit.record("sign_in", "staff_users", entity_id=str(user.id))
    db.session.flush()


def end_session():
    """Forget this session in this cookie (an expired one; sign-out is `sign_out`)."""
    logout_user()
    _clear_staff_keys()


def sign_out():
    """End this session on the server: the user's version is raised, so every copy
    of this cookie (and any other session of the user) is signed out. The trail
    records it as the update of the user's session version. The caller commits."""
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
        db.session.flush()
    end_session()


def check_session(now):
    """Called before every admin request: end a stale session; name the actor."""
    if not current_user.is_authenticated:
        if "_user_id" in session:  # ended on the server (sign-out, new password, disabled)
            end_session()
            flash(_("You have been signed out. Please sign in again."), "info")
        return
    since, seen = session.get("staff_since", 0), session.get("staff_seen", 0)
    stale = (
        now.timestamp() - seen > _config("STAFF_SESSION_IDLE_MINUTES") * 60
        or now.timestamp() - since > _config("STAFF_SESSION_MAX_HOURS") * 3600
        or (current_user.role in _config("REQUIRE_TOTP_FOR_ROLES") and not current_user.totp_secret)
    )
    if stale:
        end_session()
        return
    session["staff_seen"] = now.timestamp()
    audit.set_request_actor(f"staff:{current_user.id}", current_user.id)


def staff_signed_in():
    return current_user.is_authenticated and "staff_since" in session


# --- one-time password links --------------------------------------------------------
def issue_password_link(user, *, minutes, now):
    """A new one-time link token for `user` (replacing any older one)."""
    token = secrets.token_urlsafe(32)
    user.activation_token_hash = activation_token_hash(token)
    user.activation_expires_at = now + timedelta(minutes=minutes)
    db.session.flush()
    return token


def user_for_link(token, now):
    if not token or len(token) > 200:
        return None
    user = db.session.scalars(
        select(StaffUser).where(StaffUser.activation_token_hash == activation_token_hash(token))
    ).first()
    if user is None or not user.is_enabled or user.activation_expires_at is None:
        return None
    return user if user.activation_expires_at > now else None


def choose_password(user, password):
    """Set the password through a link: the link is spent, the lock lifted."""
    set_password(user, password)
    user.activation_token_hash = user.activation_expires_at = None
    user.failed_logins, user.locked_until = 0, None
    db.session.flush()


def password_link(kind, token):
    base = _config("PUBLIC_BASE_URL").rstrip("/")
    return f"{base}/admin/{kind}/{token}"


def now():
    return clock.now()
