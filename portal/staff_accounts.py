"""Staff accounts: one role and one scope each, Argon2 passwords, activation links.

The functions flush and never commit: the command or request that calls them
commits once.
"""
import functools
import hashlib
import os
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ROLES, District, School, StaffSignInAddress, StaffUser, utcnow

# Long enough for a person to open the mail in the next working week.
ACTIVATION_VALID_FOR = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12  # ASVS 4.0 2.1.1; no composition rules (2.1.9)
MAX_FULL_NAME = 200  # StaffUser.full_name
COMMON_PASSWORDS = os.path.join(os.path.dirname(__file__), "data", "common_passwords.txt")
# Good enough to catch typing mistakes; the activation mail proves the address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SESSION_ID = re.compile(r"(?P<id>[0-9]{1,18}):(?P<version>[0-9]{1,18})")  # StaffUser.get_id()

_hasher = PasswordHasher()


class StaffAccountError(ValueError):
    """A staff account that cannot be created as asked; the message says why."""


def create_staff_user(*, email, role, scope, full_name="", password=None):
    """Create a staff user; return (user, activation link or None).

    With a password the account is ready to sign in. Without one, the account
    waits for its owner to choose a password through the returned one-time
    link; only a hash of the link's token is stored.
    """
    email = (email or "").strip().lower()
    scope = (scope or "").strip()
    if not _EMAIL.match(email) or len(email) > 254:
        raise StaffAccountError(_("%(email)s is not an e-mail address.", email=email))
    if role not in ROLES:
        raise StaffAccountError(_("Unknown role %(role)s.", role=role))
    full_name = (full_name or "").strip()
    if len(full_name) > MAX_FULL_NAME:  # the column's size: PostgreSQL would refuse it with a 500
        raise StaffAccountError(_("A full name can be at most %(count)d characters long.", count=MAX_FULL_NAME))
    taken = db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email))
    if taken is not None:
        raise StaffAccountError(_("A staff user with the e-mail %(email)s already exists.", email=email))
    if password is not None:
        check_password_strength(password)

    user = StaffUser(email=email, full_name=full_name, role=role)
    user.district, user.school = _scope_for(role, scope)
    activation_link = None
    if password is None:
        activation_link = _start_activation(user)
    else:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user, activation_link


def _scope_for(role, scope):
    """(district, school) of a user of `role` with the scope code `scope`."""
    if role == "ministry":
        if scope:
            raise StaffAccountError(_("A ministry user has the whole country as scope: leave the scope empty."))
        return None, None
    wants_district = role in ("district", "commission")
    if not scope:
        raise StaffAccountError(
            _("A district or commission user needs a district code as scope.")
            if wants_district
            else _("A director needs a school code as scope.")
        )
    district = db.session.scalar(select(District).where(District.code == scope))
    school = None if district else db.session.scalar(select(School).where(School.code == scope))
    if district is None and school is None:
        raise StaffAccountError(_("No district or school has the code %(code)s.", code=scope))
    if wants_district and district is None:
        raise StaffAccountError(
            _("%(code)s is a school; a district or commission user needs a district code as scope.", code=scope)
        )
    if not wants_district and school is None:
        raise StaffAccountError(_("%(code)s is a district; a director needs a school code as scope.", code=scope))
    return district, school


def check_password_strength(password):
    """ASVS 2.1.1 (length) and 2.1.7 (not a breached or common password)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffAccountError(
            _("A password needs at least %(count)d characters.", count=MIN_PASSWORD_LENGTH)
        )
    if is_common_password(password):
        raise StaffAccountError(_("This password is one of the most common ones, the first that attackers "
                                  "try. Choose another: a few unrelated words are easy to remember."))


def is_common_password(password):
    """True for a password of the bundled list of the 10,000 most common
    (portal/data/common_passwords.txt), whatever its case or spaces. The
    k-anonymity range API of breached passwords is out of this network's
    reach, so the list is shipped with the code (docs/security.md)."""
    lowered = password.lower()
    common = _common_passwords()
    return lowered in common or "".join(lowered.split()) in common


@functools.cache
def _common_passwords():
    with open(COMMON_PASSWORDS, encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def hash_password(password):
    """An Argon2 hash of `password` (salted: two hashes of one password differ)."""
    return _hasher.hash(password)


def set_password(user, password):
    """Store an Argon2 hash of `password` (the password itself is never stored)
    and end every session of the user: whoever knew the old one is out."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def verify_password(user, password):
    """True if `password` is the user's password.

    A hash made with weaker parameters than today's is replaced on the way
    (the caller's commit keeps it), as argon2-cffi recommends.
    """
    if not user.password_hash or password is None:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # the same password: sessions go on
    return True


# --- sessions -----------------------------------------------------------------------
# A session names the user as "id:version" (`StaffUser.get_id`); raising the
# version ends every session that holds an older one, on every web node.

def end_sessions(user):
    """End every session of `user` (sign-out, a new password, disabling)."""
    user.session_version = (user.session_version or 0) + 1


def user_for_session(session_id):
    """The user a session names, if that session has not ended and the user may
    still be signed in; else None (one read by primary key)."""
    found = _SESSION_ID.fullmatch(str(session_id or ""))
    if found is None:
        return None  # a cookie from before session versions (the id alone)
    user = db.session.get(StaffUser, int(found["id"]))
    if user is None or not user.is_active or user.session_version != int(found["version"]):
        return None
    return user


def unlock(user):
    """Lift every lock of the account: everywhere, and at each address."""
    user.locked_until, user.failed_logins = None, 0
    for place in db.session.scalars(select(StaffSignInAddress).where(StaffSignInAddress.user_id == user.id)):
        place.locked_until, place.failures, place.lockouts = None, 0, 0


def disable(user):
    """The account can no longer sign in, and its open sessions end now."""
    user.is_enabled = False
    end_sessions(user)


def activation_token_hash(token):
    """What is stored of an activation token: its SHA-256, so a leaked table opens nothing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _start_activation(user):
    token = secrets.token_urlsafe(32)
    user.activation_token_hash = activation_token_hash(token)
    user.activation_expires_at = utcnow() + ACTIVATION_VALID_FOR
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/admin/activate/{token}"
