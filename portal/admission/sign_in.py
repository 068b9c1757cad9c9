"""Parent sign-in: PIN + e-mail, a six-digit one-time code by mail, then a
session (form) or a bearer token (API).

- A code expires after CODE_MINUTES and allows CODE_ATTEMPTS tries.
- Codes are limited per PIN and per e-mail address in a sliding hour; no
  limit per IP address here, because thousands of parents share one mobile
  operator's address (coarse per-IP limits belong to the edge, see docs).
- Every request is answered the same way whether or not the PIN is in the
  registry, so nobody can learn which PINs exist.
"""
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Applicant, ApiToken, SignInCode
from portal.notifications import enqueue
from portal.registry import RegistryUnavailable, get_registry

PIN_RE = re.compile(r"^\d{14}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CODE_MINUTES = 15
CODE_ATTEMPTS = 5
CODES_PER_HOUR_PER_PIN = 5
CODES_PER_HOUR_PER_EMAIL = 10
TOKEN_HOURS = 24


def _code_hash(pin, code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{pin}:{code}".encode(), hashlib.sha256).hexdigest()


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def valid_pin(pin):
    return isinstance(pin, str) and PIN_RE.match(pin) is not None


def valid_email(email):
    return isinstance(email, str) and len(email) <= 254 and EMAIL_RE.match(email) is not None


def start(pin, email, *, now, locale="ky"):
    """Mail a code to `email` if `pin` is in the registry. Returns nothing either way."""
    if not valid_pin(pin) or not valid_email(email):
        raise AdmissionError("validation_error")
    email = email.strip().lower()
    hour_ago = now - timedelta(hours=1)
    by_pin = db.session.scalar(
        select(func.count(SignInCode.id)).where(SignInCode.pin == pin, SignInCode.created_at > hour_ago)
    )
    by_email = db.session.scalar(
        select(func.count(SignInCode.id)).where(SignInCode.email == email, SignInCode.created_at > hour_ago)
    )
    if by_pin >= CODES_PER_HOUR_PER_PIN or by_email >= CODES_PER_HOUR_PER_EMAIL:
        raise AdmissionError("rate_limited")
    try:
        known = get_registry().person(pin) is not None
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None
    code = f"{secrets.randbelow(10**6):06d}"
    row = SignInCode(
        pin=pin,
        email=email,
        code_hash=_code_hash(pin, code) if known else None,
        created_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    db.session.add(row)
    db.session.flush()
    if known:
        enqueue(
            template="sign_in_code",
            recipient=email,
            locale=locale,
            key=f"sign_in_code:{row.id}",
            context={"code": code, "minutes": CODE_MINUTES},
        )


def verify(pin, code, *, now, locale="ky"):
    """Check a code; returns the Applicant (created on first sign-in)."""
    if not valid_pin(pin) or not (isinstance(code, str) and re.fullmatch(r"\d{6}", code)):
        raise AdmissionError("validation_error")
    row = db.session.scalars(
        select(SignInCode)
        .where(SignInCode.pin == pin, SignInCode.used_at.is_(None), SignInCode.expires_at > now)
        .order_by(SignInCode.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if row is None or row.attempts >= CODE_ATTEMPTS:
        raise AdmissionError("unauthorized")
    row.attempts += 1
    if row.code_hash is None or not hmac.compare_digest(row.code_hash, _code_hash(pin, code)):
        db.session.flush()
        raise AdmissionError("unauthorized", keep_changes=True)
    row.used_at = now
    # A used code ends every other open code of this PIN.
    db.session.execute(
        update(SignInCode)
        .where(SignInCode.pin == pin, SignInCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == pin)).first()
    if applicant is None:
        applicant = Applicant(pin=pin, email=row.email, locale=locale)
        db.session.add(applicant)
    else:
        applicant.email, applicant.locale = row.email, locale
    db.session.flush()
    return applicant


def issue_token(applicant, *, now):
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            token_hash=_token_hash(token),
            applicant_id=applicant.id,
            created_at=now,
            expires_at=now + timedelta(hours=TOKEN_HOURS),
        )
    )
    db.session.flush()
    return token


def applicant_for_token(token, *, now):
    if not token:
        return None
    # One round trip for the token and its applicant: every API call starts here.
    row = db.session.execute(
        select(Applicant, ApiToken.revoked_at, ApiToken.expires_at)
        .join(ApiToken, ApiToken.applicant_id == Applicant.id)
        .where(ApiToken.token_hash == _token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row.Applicant


def sign_in_with_state_identity(pin, *, now, locale="ky"):
    """Sign in a parent whose PIN the state identity provider ("Түндүк", OpenID
    Connect) vouched for; the edge has checked its signed token (portal/identity/).
    The PIN must be in the registry too. Returns the Applicant, created at the
    first sign-in with no contact: Түндүк gives none (DESIGN.md, "Who is signing in").
    """
    # Kept inside: this change to the module stays one function while the code
    # sign-in above is reworked (move it to the top when the two are merged).
    from portal import audit

    if not valid_pin(pin):
        raise AdmissionError("unauthorized")
    try:
        known = get_registry().person(pin) is not None
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None
    if not known:
        raise AdmissionError("unauthorized")
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == pin)).first()
    if applicant is None:
        # email is NOT NULL until the contacts rework makes it nullable: "" means none.
        applicant = Applicant(pin=pin, email="", locale=locale, created_at=now)
        db.session.add(applicant)
    else:
        applicant.locale = locale
    db.session.flush()
    with audit.acting_as(f"applicant:{applicant.id}"):
        audit.record("sign_in", "applicants", entity_id=str(applicant.id), note="tunduk")
    return applicant
