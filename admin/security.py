"""Staff sign-in: passwords, lockout, one-time password links, the second factor
and the session's life. The pages that use these live in `admin.auth`.

- Every failure looks the same to the person signing in: unknown address, wrong
  password, disabled, not yet activated or locked all get one message, and an
  unknown address costs the same Argon2 work as a known one.
- Lockout is per account *and address* (issue 15, item 11: five wrong passwords
  from anywhere locked a director out, and staff e-mails follow a pattern).
  After STAFF_LOCK_AFTER_FAILURES wrong passwords (or codes) in a row from one
  address, the account is locked for that address only, STAFF_LOCK_MINUTES the
  first time and twice as long each time after (at most STAFF_LOCK_MAX_HOURS),
  whatever is typed there meanwhile; the owner elsewhere signs in as usual.
  STAFF_ACCOUNT_LOCK_AFTER_FAILURES failures from all addresses together (many
  addresses guessing) lock the account for STAFF_LOCK_MINUTES everywhere except
  at the owner's addresses: where the account signed in, or chose its password
  through a mailed link, within STAFF_OWNER_ADDRESS_DAYS. A mailed reset link is
  the owner's way in from anywhere: it lifts the account's lock and makes its
  address the owner's. The edge limits POSTs to the sign-in pages per address
  (portal/limits.py). Addresses are kept as keyed digests (portal/requesters.py).
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
from portal.models import StaffSignInAddress, StaffUser
from portal.requesters import requester_digest
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


def sign_in_address(user, requester, *, create=False):
    """What is known of `user` signing in from the address `requester`."""
    digest = requester_digest(requester)
    place = db.session.scalars(
        select(StaffSignInAddress).where(StaffSignInAddress.user_id == user.id,
                                         StaffSignInAddress.requester == digest)
    ).first()
    if place is None and create:
        place = StaffSignInAddress(user_id=user.id, requester=digest, failures=0, lockouts=0)
        db.session.add(place)
    return place


def is_owners_address(place, now):
    """Where the account signed in (or chose its password by link) lately."""
    return (place is not None and place.last_success_at is not None
            and now - place.last_success_at <= timedelta(days=_config("STAFF_OWNER_ADDRESS_DAYS")))


def is_locked(user, now, requester):
    """Whether `user` may not sign in from this address now: the address is
    locked for this account, or the whole account is and this is not one of the
    owner's addresses."""
    place = sign_in_address(user, requester)
    if place is not None and place.locked_until is not None and place.locked_until > now:
        return True
    account_locked = user.locked_until is not None and user.locked_until > now
    return account_locked and not is_owners_address(place, now)


def record_failure(user, now, requester):
    """Count a wrong password or code from this address: lock the account for the
    address after STAFF_LOCK_AFTER_FAILURES in a row (twice as long as the last
    time), and for everyone but the owner's addresses after
    STAFF_ACCOUNT_LOCK_AFTER_FAILURES from all addresses."""
    place = sign_in_address(user, requester, create=True)
    if place.last_failure_at is not None and now - place.last_failure_at > timedelta(days=1):
        place.failures = place.lockouts = 0  # a quiet day: start again from the shortest lock
    place.failures += 1
    place.last_failure_at = now
    if place.failures >= _config("STAFF_LOCK_AFTER_FAILURES"):
        minutes = min(_config("STAFF_LOCK_MINUTES") * 2 ** min(place.lockouts, 16),
                      _config("STAFF_LOCK_MAX_HOURS") * 60)
        place.locked_until = now + timedelta(minutes=minutes)
        place.lockouts += 1
        place.failures = 0
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= _config("STAFF_ACCOUNT_LOCK_AFTER_FAILURES"):
        user.locked_until = now + timedelta(minutes=_config("STAFF_LOCK_MINUTES"))
        user.failed_logins = 0
    db.session.flush()


def record_success(user, now, requester):
    """The owner signed in here (or chose a password by link from here): the
    address's failures are forgotten and it is the owner's from now on."""
    place = sign_in_address(user, requester, create=True)
    place.failures = place.lockouts = 0
    place.locked_until = None
    place.last_success_at = now
    user.failed_logins = 0
    db.session.flush()


def check_password(email, password, *, now, requester):
    """The user if the password is right and the account may sign in now from
    this address (`requester`), else None.

    The caller commits either way: a failure must be counted.
    """
    user = find_user(email)
    if user is None:
        _spend_the_same_time(password)
        return None
    if is_locked(user, now, requester):
        _spend_the_same_time(password)
        return None
    if not verify_password(user, password):
        record_failure(user, now, requester)
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


def pending_user(now, requester):
    session_id, since = session.get("staff_pending"), session.get("staff_pending_at", 0)
    if session_id is None or now.timestamp() - since > PENDING_MINUTES * 60:
        return None
    user = user_for_session(session_id)
    return user if user is not None and not is_locked(user, now, requester) else None


def start_session(user, now, requester):
    """Sign the user in (the caller commits). The account's lock, if any, stays:
    it holds the addresses that are not the owner's."""
    _clear_staff_keys()
    login_user(user)
    session["staff_since"] = session["staff_seen"] = now.timestamp()
    record_success(user, now, requester)
    user.last_login_at = now
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


def choose_password(user, password, *, now, requester):
    """Set the password through a link: the link is spent, the account's lock
    lifted, and the address it was used from is the owner's (the link came to
    the owner's mailbox), so a stranger locking the account again cannot keep the
    owner out there."""
    set_password(user, password)
    user.activation_token_hash = user.activation_expires_at = None
    user.locked_until = None
    record_success(user, now, requester)


def password_link(kind, token):
    base = _config("PUBLIC_BASE_URL").rstrip("/")
    return f"{base}/admin/{kind}/{token}"


def now():
    return clock.now()
