"""Parent sign-in without Түндүк: the PIN, the number of the parent's identity
document, and a six-digit one-time code sent to an e-mail address or a mobile
number; then a session (form) or a bearer token (API).

Trust (DESIGN.md, "Who is signing in"): a PIN is no secret, so it is never
enough.
- A code is sent only when the registry holds the PIN and the identity document
  number given matches the one it holds (where it holds none, it is not asked).
  The answer is the same whatever the outcome, and every request counts against
  the PIN's and the contact's limits, so a wrong number teaches nothing.
- Contacts are bound, never overwritten: the first contact that completes a
  sign-in is bound to the PIN; a later one is added beside it, and every contact
  bound before is told at once.
- An application remembers the contact it was made from; cancelling or moving it
  from another contact needs a code sent to that one (`require_confirmation`).
- A code expires after CODE_MINUTES.

Limits that slow a stranger without locking the parent out (issue 15, item 1).
A stranger knows the PIN, perhaps the parent's e-mail, not the document number:
- Asking for codes (`start`), per hour: CODES_PER_HOUR_PER_REQUESTER for one PIN
  from one requester (the client's address, kept as a digest: the stranger's own
  bucket), CODES_PER_HOUR_PER_PIN for one PIN from everyone (bounds guessing the
  document number from many addresses). A contact already bound to the PIN is held
  by neither: it can always ask (a wrong number still gets nothing sent), up to
  CODES_PER_HOUR_PER_REQUESTER from one requester. Codes *sent* count per pair
  (PIN, contact) and per contact (mail floods); only someone who knows the
  document number can send one. Every limit is decided before the registry is
  asked, so a right and a wrong number get the same answer, 429 included.
- Trying a code (`verify`): each code allows CODE_ATTEMPTS tries by whoever asked
  for it and CODE_ATTEMPTS by everyone else together, counted apart: a stranger's
  guesses cannot burn the parent's code, and a code has at most twice
  CODE_ATTEMPTS tries in all. Whoever asked is the form's session (it holds the
  code's id) or the API client holding the request token `start` gave it; an API
  client that does not send the token back is taken for the asker when it comes
  from the same requester. Without an id or a token, every open code of the PIN
  that was sent is tried, not only the newest, so a stranger's later request (sent
  nowhere) does not hide the parent's code either.
- No tight limit per address across PINs: thousands of parents share one mobile
  operator's address (the coarse per-address limit is the edge's, portal/limits.py).
"""
import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import NamedTuple, Optional

import phonenumbers
from flask import current_app
from sqlalchemy import and_, case, func, or_, select, update

from portal import audit
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Applicant, ApplicantContact, ApiToken, SignInCode
from portal.notifications import enqueue, notify_contacts
from portal.registry import RegistryUnavailable, get_registry
from portal.registry.ports import same_document
from portal.requesters import requester_digest

PIN_RE = re.compile(r"^\d{14}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CODE_MINUTES = 15
CODE_ATTEMPTS = 5  # tries of one code by whoever asked for it, and as many by everyone else
CODES_PER_HOUR_PER_REQUESTER = 5  # one requester asking for one PIN (or for one bound contact of it)
CODES_PER_HOUR_PER_PIN = 20  # everyone asking for one PIN, except its bound contacts
CODES_PER_HOUR_PER_PAIR = 5  # codes sent to one contact for one PIN
CODES_PER_HOUR_PER_CONTACT = 10  # codes sent to one contact, all PINs together
CONFIRMATIONS_PER_HOUR_PER_PIN = 5  # codes that confirm a cancel or a move
TOKEN_HOURS = 24


def _code_hash(pin, code, subject=""):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{pin}:{subject}:{code}".encode(), hashlib.sha256).hexdigest()


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class SignInRequest(NamedTuple):
    """What `start` gives whoever asked, the same whatever was sent: the code's
    row id (the form keeps it in its session) and, for the API, a request token
    to send back with the code."""
    code_id: int
    token: Optional[str]


def valid_pin(pin):
    return isinstance(pin, str) and PIN_RE.match(pin) is not None


def valid_email(email):
    return isinstance(email, str) and len(email) <= 254 and EMAIL_RE.match(email) is not None


def mobile_number(phone):
    """The E.164 form of a mobile number (`+996...`), or None when it is not one.
    A number without a country code is read as Kyrgyz (people type 0555 ...)."""
    if not isinstance(phone, str) or not 5 <= len(phone) <= 32:
        return None
    try:
        number = phonenumbers.parse(phone, "KG")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_for(*, email=None, phone=None):
    """(channel, address) of exactly one of an e-mail address or a mobile number."""
    if bool(email) == bool(phone):
        raise AdmissionError("validation_error")
    if email:
        if not valid_email(email.strip()):
            raise AdmissionError("validation_error")
        return "email", email.strip().lower()
    number = mobile_number(phone)
    if number is None:
        raise AdmissionError("validation_error")
    return "sms", number


def masked(address):
    """A contact as the other contacts are told of it: enough to recognise it,
    not enough to harvest it (`a***@example.kg`, `+996 *** *** 567`)."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:4]} *** *** {address[-3:]}"


def _recent(*conditions, now):
    return db.session.scalar(
        select(func.count(SignInCode.id)).where(*conditions, SignInCode.created_at > now - timedelta(hours=1))
    )


def _send_code(*, pin, channel, contact, purpose, subject, now, locale, deliver, requester=None,
               request_token=None):
    """Write a code row (always: the limits count it) and, if `deliver`, the message."""
    code = f"{secrets.randbelow(10**6):06d}"
    row = SignInCode(
        pin=pin, channel=channel, contact=contact, purpose=purpose, subject=subject,
        code_hash=_code_hash(pin, code, subject or "") if deliver else None,
        created_at=now, expires_at=now + timedelta(minutes=CODE_MINUTES), requester=requester,
        request_hash=_token_hash(request_token) if request_token else None,
    )
    db.session.add(row)
    db.session.flush()
    if deliver:
        template = "sign_in_code" if purpose == "sign_in" else "confirmation_code"
        enqueue(template=template, recipient=contact, locale=locale, channel=channel,
                key=f"{template}:{row.id}", context={"code": code, "minutes": CODE_MINUTES, "number": subject})
    return row


def start(pin, *, email=None, phone=None, id_document=None, requester=None, give_token=False, now, locale="ky"):
    """Send a sign-in code to the contact if the PIN is in the registry and the
    identity document number matches what the registry holds. Returns a
    SignInRequest either way, never whether anything was sent: the code's row id
    (the form keeps it to ask for the code) and, with `give_token` (the API), a
    request token. `requester`: the client's address (the limits count per
    requester; only a digest is kept)."""
    if not valid_pin(pin):
        raise AdmissionError("validation_error")
    channel, contact = contact_for(email=email, phone=phone)
    if id_document is not None and (not isinstance(id_document, str) or len(id_document) > 32):
        raise AdmissionError("validation_error")
    asker = requester_digest(requester)
    if _too_many_codes(pin, channel, contact, asker, now=now):
        raise AdmissionError("rate_limited")
    try:
        person = get_registry().person(pin)
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None
    proven = person is not None and (person.id_document is None or same_document(id_document, person.id_document))
    token = secrets.token_urlsafe(24) if give_token else None
    row = _send_code(pin=pin, channel=channel, contact=contact, purpose="sign_in", subject=None, now=now,
                     locale=locale, deliver=proven, requester=asker, request_token=token)
    return SignInRequest(row.id, token)


def is_bound(pin, channel, address):
    """Whether `address` is a contact bound to the applicant of `pin` now."""
    return db.session.scalar(
        select(ApplicantContact.id).join(Applicant, Applicant.id == ApplicantContact.applicant_id)
        .where(Applicant.pin == pin, ApplicantContact.channel == channel, ApplicantContact.address == address,
               ApplicantContact.removed_at.is_(None)).limit(1)
    ) is not None


def _too_many_codes(pin, channel, contact, asker, *, now):
    """Whether this request goes over a limit of `start` (module docstring). One
    query for every count; decided before the registry is asked, so it says
    nothing of the document number."""
    def count(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    sent = SignInCode.code_hash.is_not(None)
    mine, mine_here, everyone, sent_to_pair, sent_to_contact = db.session.execute(
        select(
            count(SignInCode.pin == pin, SignInCode.requester == asker),
            count(SignInCode.pin == pin, SignInCode.requester == asker, SignInCode.contact == contact),
            count(SignInCode.pin == pin),
            count(SignInCode.pin == pin, SignInCode.contact == contact, sent),
            count(SignInCode.contact == contact, sent),
        ).where(SignInCode.purpose == "sign_in", SignInCode.created_at > now - timedelta(hours=1),
                or_(SignInCode.pin == pin, SignInCode.contact == contact))
    ).one()
    if sent_to_pair >= CODES_PER_HOUR_PER_PAIR or sent_to_contact >= CODES_PER_HOUR_PER_CONTACT:
        return True
    if is_bound(pin, channel, contact):
        # The parent's own contact: strangers' requests elsewhere do not hold it.
        return mine_here >= CODES_PER_HOUR_PER_REQUESTER
    return mine >= CODES_PER_HOUR_PER_REQUESTER or everyone >= CODES_PER_HOUR_PER_PIN


def _open_code(pin, purpose, subject, now):
    query = (
        select(SignInCode)
        .where(SignInCode.pin == pin, SignInCode.purpose == purpose, SignInCode.used_at.is_(None),
               SignInCode.expires_at > now)
        .order_by(SignInCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if subject is not None:
        query = query.where(SignInCode.subject == subject)
    return db.session.scalars(query).first()


def _check(row, pin, code, subject=""):
    """Count one try of `code` against `row`; True when it is right."""
    if row is None or row.attempts >= CODE_ATTEMPTS:
        return False
    row.attempts += 1
    db.session.flush()
    return row.code_hash is not None and hmac.compare_digest(row.code_hash, _code_hash(pin, code, subject))


def _sent_sign_in_codes(pin, now, *, code_id, request_token):
    """The open sign-in codes of the PIN that were sent (a request sent nowhere
    cannot hide the parent's code), or only the one named by `code_id` or
    `request_token`; locked for the try."""
    query = (
        select(SignInCode)
        .where(SignInCode.pin == pin, SignInCode.purpose == "sign_in", SignInCode.used_at.is_(None),
               SignInCode.expires_at > now, SignInCode.code_hash.is_not(None))
        .order_by(SignInCode.id)
        .with_for_update()
    )
    if code_id is not None:
        query = query.where(SignInCode.id == code_id)
    if request_token is not None:
        query = query.where(SignInCode.request_hash == _token_hash(request_token))
    return db.session.scalars(query).all()


def _asked_by(row, *, named, asker):
    """Whether this try comes from whoever asked for the code: it names the code
    (the form's session, the API's request token), or it is an API client that
    did not send the token back, from the same requester."""
    return named or (row.request_hash is not None and row.requester == asker)


def _try_codes(pin, code, *, requester, code_id, request_token, now):
    """Count one try of `code` against each open code of the PIN that has tries
    left for this requester, and return (the code it matches or None, whether a
    try was counted). Whoever asked for a code has its CODE_ATTEMPTS, everyone
    else CODE_ATTEMPTS together: a stranger's guesses do not burn the parent's."""
    asker = requester_digest(requester)
    named = code_id is not None or request_token is not None
    tried = []
    for row in _sent_sign_in_codes(pin, now, code_id=code_id, request_token=request_token):
        if _asked_by(row, named=named, asker=asker):
            if row.attempts >= CODE_ATTEMPTS:
                continue
            row.attempts += 1
        else:
            if row.other_attempts >= CODE_ATTEMPTS:
                continue
            row.other_attempts += 1
        tried.append(row)
    db.session.flush()
    typed = _code_hash(pin, code)
    matched = [row for row in tried if hmac.compare_digest(row.code_hash, typed)]
    return (matched[0] if matched else None), bool(tried)


def verify(pin, code, *, requester=None, code_id=None, request_token=None, now, locale="ky"):
    """Check a sign-in code; returns (Applicant, ApplicantContact). The applicant
    is created on the first sign-in; the contact is bound if it is new, and the
    contacts bound before are told. `requester`: the client's address; `code_id`
    (the form: its session holds it) or `request_token` (the API: `start` gave it)
    name the code asked for; without either every open code of the PIN is tried."""
    if not valid_pin(pin) or not (isinstance(code, str) and re.fullmatch(r"\d{6}", code)):
        raise AdmissionError("validation_error")
    if request_token is not None and (not isinstance(request_token, str) or len(request_token) > 64):
        raise AdmissionError("validation_error")
    row, counted = _try_codes(pin, code, requester=requester, code_id=code_id, request_token=request_token, now=now)
    if row is None:
        raise AdmissionError("unauthorized", keep_changes=counted)
    # A used code ends every other open sign-in code of this PIN.
    db.session.execute(
        update(SignInCode)
        .where(SignInCode.pin == pin, SignInCode.purpose == "sign_in", SignInCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    row.used_at = now
    applicant = applicant_for_pin(pin, locale=locale)
    contact = bind_contact(applicant, row.channel, row.contact, now=now)
    return applicant, contact


def applicant_for_pin(pin, *, locale):
    """The applicant of a PIN, created on the first sign-in; the language of the
    latest sign-in is the one they are written to in."""
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == pin)).first()
    if applicant is None:
        applicant = Applicant(pin=pin, locale=locale)
        db.session.add(applicant)
    else:
        applicant.locale = locale
    db.session.flush()
    return applicant


def bind_contact(applicant, channel, address, *, now):
    """The applicant's contact for this address, bound now if it is new (or was
    removed); every other active contact is told at once."""
    contact = db.session.scalars(
        select(ApplicantContact).where(ApplicantContact.applicant_id == applicant.id,
                                       ApplicantContact.channel == channel,
                                       ApplicantContact.address == address)
    ).first()
    if contact is not None and contact.removed_at is None:
        return contact
    earlier = [c for c in applicant.active_contacts if c is not contact]
    if contact is None:
        contact = ApplicantContact(applicant=applicant, channel=channel, address=address, bound_at=now)
        db.session.add(contact)
    else:
        contact.removed_at, contact.bound_at = None, now
    db.session.flush()
    if earlier:
        notify_contacts(earlier, "contact_added", locale=applicant.locale, key=f"contact_added:{contact.id}:{int(now.timestamp())}",
                        context={"added": masked(address), "channel": channel})
    return contact


def remove_contact(applicant, contact_id, *, acting_contact_id, now):
    """A parent removes one of their contacts. A contact bound before the one
    they signed in with cannot be removed from it (an intruder who got in through
    a new contact must not cut the parent off); it can be removed from itself, or
    after signing in with Түндүк (`acting_contact_id` None). The last contact
    stays: a parent must remain reachable."""
    contact = db.session.get(ApplicantContact, contact_id)
    if contact is None or contact.applicant_id != applicant.id or contact.removed_at is not None:
        raise AdmissionError("not_found")
    if acting_contact_id is not None and contact.id < acting_contact_id:
        raise AdmissionError("not_allowed")
    if len(applicant.active_contacts) <= 1:
        raise AdmissionError("not_allowed")
    contact.removed_at = now
    # Its sessions end: the API's tokens here, the web sessions at their next request.
    db.session.execute(
        update(ApiToken).where(ApiToken.contact_id == contact.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)
    )
    db.session.flush()
    return contact


def require_confirmation(application, *, acting_contact_id, code, now, locale):
    """Cancelling or moving an application made from another contact needs a code
    sent to that contact (trust, DESIGN.md). Without `code`: send one and refuse
    with `confirmation_required`. With it: check it, or refuse as `unauthorized`.
    Nothing to confirm when the parent acts from the application's own contact,
    signed in with Түндүк (`acting_contact_id` None), or when that contact was
    removed."""
    made_from = application.contact
    if made_from is None or made_from.removed_at is not None or acting_contact_id in (None, made_from.id):
        return
    pin, number = application.applicant.pin, application.number
    if code is None:
        # Confirmations count apart from sign-ins: a stranger's sign-in requests
        # for the PIN must not stop the parent from confirming.
        if _recent(SignInCode.pin == pin, SignInCode.purpose == "confirm", now=now) >= CONFIRMATIONS_PER_HOUR_PER_PIN:
            raise AdmissionError("rate_limited")
        _send_code(pin=pin, channel=made_from.channel, contact=made_from.address, purpose="confirm",
                   subject=number, now=now, locale=locale, deliver=True)
        raise AdmissionError("confirmation_required", keep_changes=True, contact=masked(made_from.address))
    row = _open_code(pin, "confirm", number, now)
    if not (isinstance(code, str) and re.fullmatch(r"\d{6}", code)) or not _check(row, pin, code, number):
        raise AdmissionError("unauthorized", keep_changes=row is not None)
    row.used_at = now
    db.session.flush()


def issue_token(applicant, *, now, contact=None):
    token = secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            token_hash=_token_hash(token),
            applicant_id=applicant.id,
            contact_id=contact.id if contact is not None else None,
            created_at=now,
            expires_at=now + timedelta(hours=TOKEN_HOURS),
        )
    )
    db.session.flush()
    return token


def applicant_for_token(token, *, now):
    """(Applicant, contact id or None) of a valid token, or (None, None)."""
    if not token:
        return None, None
    # One round trip for the token and its applicant: every API call starts here.
    row = db.session.execute(
        select(Applicant, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.contact_id)
        .join(ApiToken, ApiToken.applicant_id == Applicant.id)
        .where(ApiToken.token_hash == _token_hash(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None, None
    return row.Applicant, row.contact_id


def sign_in_with_state_identity(pin, *, now, locale="ky"):
    """Sign in a parent whose PIN the state identity provider ("Түндүк", OpenID
    Connect) vouched for; the edge has checked its signed token (portal/identity/).
    The PIN must be in the registry too. Returns the Applicant, created at the
    first sign-in with no contact: Түндүк gives none (DESIGN.md, "Who is signing in").
    A session from it has no contact (`contact_id` None): it needs no confirmation code.
    """
    if not valid_pin(pin):
        raise AdmissionError("unauthorized")
    try:
        known = get_registry().person(pin) is not None
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None
    if not known:
        raise AdmissionError("unauthorized")
    applicant = applicant_for_pin(pin, locale=locale)
    with audit.acting_as(f"applicant:{applicant.id}"):
        audit.record("sign_in", "applicants", entity_id=str(applicant.id), note="tunduk")
    return applicant
