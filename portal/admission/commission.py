"""Commission decisions (R12, §9, §26): the district Commission on Children's
Affairs admits a child outside the normal flow — late registration, a child
over 8, a child without documents. The decision admits the child at once; it
takes a free seat when there is one and otherwise comes over the quota,
marked so.

For every child §9 and §26 mean (docs/rules.md, "Commission decisions"):

- a child the registry does not know (no PIN, or no identity documents) is
  recorded with a temporary identifier (`T` and 13 characters, never all
  digits, so never mistaken for a PIN), its name, date of birth and sex, as the
  commission writes them; a child the registry knows is recorded as the registry
  says, whether or not it links the child to any parent;
- the applicant is whoever the commission names (§3: a parent, a legal
  representative, or, without them, a worker of the child-protection body),
  with a role, a name and a contact (mobile number and/or e-mail); a PIN only
  where the applicant has one. An applicant without a PIN is kept as an
  Applicant with a stand-in PIN (`N` and 13 characters) whom nobody can sign in
  as, and the contacts the commission recorded are bound to it, so every later
  message about the application reaches them too;
- the decision carries its protocol number and date, and the applicant is told
  at the contacts the commission recorded (and at the contacts an applicant
  with a PIN has bound by signing in);
- when the registry later knows the child, the secretary joins the record to
  the PIN (`join_child_to_pin`): the registry confirms the PIN and the date of
  birth, and the application and the decision take the PIN (the audit trail
  keeps the temporary identifier as the value before).

Refusals speak to the secretary and name the field of the form they are about
(`CommissionRefused.field`).
"""
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.admission import seats
from portal.admission.calendar import stage_at, today_local
from portal.admission.errors import MESSAGES as ADMISSION_MESSAGES
from portal.admission.errors import Refusal
from portal.admission.applications import active_application
from portal.admission.family import Family
from portal.admission.registration import new_application
from portal.admission.sign_in import mobile_number, valid_email
from portal.extensions import db
from portal.models import (
    COMMISSION_APPLICANT_ROLES,
    LANGUAGES,
    Applicant,
    ApplicantContact,
    CommissionDecision,
    District,
    School,
)
from portal.notifications import notify_applicant, notify_recorded_contacts
from portal.registry import Link, Person, RegistryUnavailable, get_registry, is_pin

TEMPORARY_CHILD, STAND_IN_APPLICANT = "T", "N"
# Crockford's base32: no I, L, O, U, so an identifier read over the phone is not misheard.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TEMPLATE = "commission_decision"
MAX_NAME = 100

MESSAGES = {
    "no_campaign": _l("There is no admission campaign to record the decision in."),
    "number_required": _l("Protocol number: enter the number of the commission's protocol (at most 50 characters)."),
    "number_taken": _l("Protocol number: a decision with this number is already recorded in your district for "
                       "this campaign. Open it from the list instead of recording it again."),
    "decided_on_required": _l("Date of the protocol: enter the date of the commission's decision; it cannot be "
                              "later than today."),
    "grounds_required": _l("Grounds: write what the decision rests on (for example §9: the child is over 8, or "
                           "has no documents; §26: the registration period was missed)."),
    "language_invalid": _l("Language of instruction: choose one from the list."),
    "school_outside_district": _l("School: choose a school of your district; the commission decides only for the "
                                  "schools of its own district."),
    "no_class_in_language": _l("Language of instruction: this school has no first-grade class in this language. "
                               "Choose another language or another school."),
    "child_pin_format": _l("Child's PIN: a PIN is 14 digits. If the child has none, leave the field empty: the "
                           "child is then recorded with a temporary identifier."),
    "child_not_in_registry": _l("Child's PIN: the population registry does not know this PIN. Check the number, or "
                                "leave the field empty to record the child with a temporary identifier and join "
                                "the record to the PIN later."),
    "child_name_required": _l("Child's last name and first name: without a PIN, write them as in the commission's "
                              "decision (at most 100 characters each)."),
    "child_birth_date_required": _l("Child's date of birth: without a PIN, enter it as in the commission's decision."),
    "child_sex_required": _l("Child's sex: without a PIN, choose it."),
    "child_has_application": _l("Child: this child already has an active application in this campaign "
                                "(%(number)s), so the decision was not recorded. Ask the school concerned."),
    "applicant_name_required": _l("Applicant's name: enter the full name of the person the commission names as "
                                  "the applicant (at most 200 characters)."),
    "applicant_role_invalid": _l("Applicant is: choose parent, legal representative, worker of the "
                                 "child-protection body or another person."),
    "applicant_pin_format": _l("Applicant's PIN: a PIN is 14 digits. Leave the field empty if the applicant has "
                               "none or does not give it (a worker of the child-protection body need not)."),
    "applicant_not_in_registry": _l("Applicant's PIN: the population registry does not know this PIN. Check the "
                                    "number or leave the field empty."),
    "contact_required": _l("Applicant's mobile number or e-mail: enter at least one; the decision is sent there."),
    "phone_invalid": _l("Applicant's mobile number: this is not a valid mobile number. Write it as "
                        "+996 555 123 456 or 0555 123 456."),
    "email_invalid": _l("Applicant's e-mail: this is not a valid e-mail address."),
    "message_locale_invalid": _l("Language of the messages: choose one from the list."),
    # Joining the record of a child recorded without a PIN to its PIN.
    "already_joined": _l("This decision's child is already recorded with a PIN: there is nothing to join."),
    "join_pin_format": _l("PIN: a PIN is 14 digits."),
    "join_not_in_registry": _l("PIN: the population registry does not know this PIN yet, so the record keeps its "
                               "temporary identifier. Try again once the child is registered."),
    "join_birth_date_differs": _l("PIN: the registry gives this PIN the date of birth %(registry)s, the decision "
                                  "%(recorded)s. Check the PIN; the record was not joined."),
    "join_pin_has_application": _l("PIN: this child already has another active application in this campaign "
                                   "(%(number)s) under this PIN, so the records were not joined. Ask the school "
                                   "concerned."),
    "registry_unavailable": ADMISSION_MESSAGES["registry_unavailable"],
}
# The form field each refusal is about (admin/commission.py shows the message there).
FIELDS = {
    "number_required": "number", "number_taken": "number", "decided_on_required": "decided_on",
    "grounds_required": "grounds", "language_invalid": "language", "no_class_in_language": "language",
    "school_outside_district": "school_code", "child_pin_format": "child_pin",
    "child_not_in_registry": "child_pin", "child_has_application": "child_pin",
    "child_name_required": "child_last_name", "child_birth_date_required": "child_birth_date",
    "child_sex_required": "child_sex", "applicant_name_required": "applicant_name",
    "applicant_role_invalid": "applicant_role", "applicant_pin_format": "applicant_pin",
    "applicant_not_in_registry": "applicant_pin", "contact_required": "applicant_phone",
    "phone_invalid": "applicant_phone", "email_invalid": "applicant_email",
    "message_locale_invalid": "message_locale", "join_pin_format": "pin", "join_not_in_registry": "pin",
    "join_birth_date_differs": "pin", "join_pin_has_application": "pin",
}


class CommissionRefused(Refusal):
    """A commission decision (or a join to a PIN) refused, told to the secretary."""

    MESSAGES = MESSAGES

    @property
    def field(self):
        return FIELDS.get(self.code)


@dataclass
class ChildRecord:
    """The child as the commission's decision names it. With a PIN the registry's
    record is used; without one, the rest is required."""

    pin: str | None = None
    last_name: str = ""
    first_name: str = ""
    patronymic: str = ""
    birth_date: date | None = None
    sex: str | None = None


@dataclass
class NamedApplicant:
    """The applicant the commission names (§3), and how to reach them."""

    name: str
    role: str
    pin: str | None = None
    phone: str | None = None
    email: str | None = None
    locale: str = "ky"  # the language of the messages


def temporary_identifier(kind):
    """A stand-in for a PIN: 14 characters, the kind letter first, never all digits."""
    return kind + "".join(secrets.choice(_ALPHABET) for _ in range(13))


def is_temporary(value):
    return isinstance(value, str) and len(value) == 14 and value[0] == TEMPORARY_CHILD


def _registry_person(pin):
    try:
        return get_registry().person(pin)
    except RegistryUnavailable:
        raise CommissionRefused("registry_unavailable") from None


def _text(value):
    return (value or "").strip()


def _school_of_district(school_code, district_id):
    school = db.session.scalars(
        select(School).options(joinedload(School.district).joinedload(District.region))
        .where(School.code == school_code)
    ).first()
    # A commission decides for the schools of its own district only.
    if school is None or school.district_id != district_id:
        raise CommissionRefused("school_outside_district")
    return school


def _child_person(child):
    """The registry's Person of the child, or one built from the decision with a temporary identifier."""
    pin = _text(child.pin)
    if pin:
        if not is_pin(pin):
            raise CommissionRefused("child_pin_format")
        person = _registry_person(pin)
        if person is None:
            raise CommissionRefused("child_not_in_registry")
        return person
    last_name, first_name = _text(child.last_name), _text(child.first_name)
    if not (last_name and first_name) or max(len(last_name), len(first_name), len(_text(child.patronymic))) > MAX_NAME:
        raise CommissionRefused("child_name_required")
    if not isinstance(child.birth_date, date):
        raise CommissionRefused("child_birth_date_required")
    if child.sex not in ("M", "F"):
        raise CommissionRefused("child_sex_required")
    return Person(pin=temporary_identifier(TEMPORARY_CHILD), last_name=last_name, first_name=first_name,
                  patronymic=_text(child.patronymic), sex=child.sex, birth_date=child.birth_date, address_id=None,
                  has_documents=False)


def _checked_applicant(named):
    """(name, role, pin or None, [(channel, address)], locale) of the named applicant, checked."""
    name = _text(named.name)
    if not name or len(name) > 200:
        raise CommissionRefused("applicant_name_required")
    if named.role not in COMMISSION_APPLICANT_ROLES:
        raise CommissionRefused("applicant_role_invalid")
    pin = _text(named.pin) or None
    if pin is not None:
        if not is_pin(pin):
            raise CommissionRefused("applicant_pin_format")
        if _registry_person(pin) is None:
            raise CommissionRefused("applicant_not_in_registry")
    contacts = []
    if _text(named.phone):
        phone = mobile_number(_text(named.phone))
        if phone is None:
            raise CommissionRefused("phone_invalid")
        contacts.append(("sms", phone))
    if _text(named.email):
        email = _text(named.email).lower()
        if not valid_email(email):
            raise CommissionRefused("email_invalid")
        contacts.append(("email", email))
    if not contacts:
        raise CommissionRefused("contact_required")
    if named.locale not in ("ky", "ru", "en"):
        raise CommissionRefused("message_locale_invalid")
    return name, named.role, pin, contacts, named.locale


def _applicant_row(pin, contacts, locale):
    """The Applicant the application belongs to. With a PIN: the one who signs in
    with it (made now if they never have; the recorded contacts are not bound to
    it, since a bound contact receives sign-in codes). Without: a stand-in nobody
    can sign in as, with the recorded contacts bound."""
    if pin is not None:
        applicant = db.session.scalars(select(Applicant).where(Applicant.pin == pin)).first()
        if applicant is None:
            applicant = Applicant(pin=pin, locale=locale)
            db.session.add(applicant)
            db.session.flush()
        return applicant
    applicant = Applicant(pin=temporary_identifier(STAND_IN_APPLICANT), locale=locale)
    for channel, address in contacts:
        applicant.contacts.append(ApplicantContact(channel=channel, address=address))
    db.session.add(applicant)
    db.session.flush()
    return applicant


def record_decision(campaign, *, district_id, number, decided_on, school_code, language, grounds, now, secret,
                    child, applicant, recorded_by_id=None):
    """Record a decision and admit the child; returns the CommissionDecision.

    `child` is a ChildRecord, `applicant` a NamedApplicant. Raises CommissionRefused."""
    if campaign is None:
        raise CommissionRefused("no_campaign")
    number, grounds = _text(number), _text(grounds)
    if not number or len(number) > 50:
        raise CommissionRefused("number_required")
    if not isinstance(decided_on, date) or decided_on > today_local(now):
        raise CommissionRefused("decided_on_required")
    if not grounds:
        raise CommissionRefused("grounds_required")
    if language not in LANGUAGES:
        raise CommissionRefused("language_invalid")
    school = _school_of_district(school_code, district_id)
    if db.session.scalar(select(CommissionDecision.id).where(
            CommissionDecision.campaign_id == campaign.id, CommissionDecision.district_id == district_id,
            CommissionDecision.number == number)) is not None:
        raise CommissionRefused("number_taken")
    person = _child_person(child)
    name, role, applicant_pin, contacts, locale = _checked_applicant(applicant)
    holding = active_application(campaign, person.pin)
    if holding is not None:
        raise CommissionRefused("child_has_application", number=holding.number)

    taken = seats.take_seat(campaign.id, school.id, language)
    over_quota = taken is None
    if over_quota:
        taken = seats.admit_over_quota(campaign.id, school.id, language)
    if taken is None:  # the school teaches no class in this language
        raise CommissionRefused("no_class_in_language")
    applicant_row = _applicant_row(applicant_pin, contacts, locale)
    # The decision, not an act of the applicant's, is what the admission rests on:
    # no R9 act to check, and it is not counted as the applicant's registration (R9).
    link = Link(parent_pin=applicant_row.pin, child_pin=person.pin, relation="commission")
    application = new_application(
        campaign, applicant_row, Family(child=person, link=link, parents=[]), school, language,
        # A late admission after closing is recorded as of the last stage.
        stage=stage_at(campaign, now) or 2, category="commission", over_quota=over_quota, taken=taken,
        status="admitted_by_commission", by="commission", notify=None, secret=secret,
    )
    contact = dict(contacts)
    decision = CommissionDecision(
        campaign_id=campaign.id, district_id=district_id, number=number, decided_on=decided_on,
        child_pin=person.pin, child_temp_id=person.pin if is_temporary(person.pin) else None,
        school_id=school.id, language=language, grounds=grounds, application_id=application.id,
        recorded_by_id=recorded_by_id, applicant_name=name, applicant_role=role, applicant_pin=applicant_pin,
        applicant_phone=contact.get("sms"), applicant_email=contact.get("email"),
    )
    db.session.add(decision)
    db.session.flush()
    _tell_applicant(decision, application, applicant_row, contacts, locale)
    return decision


def _tell_applicant(decision, application, applicant, contacts, locale):
    """The applicant is told at every contact bound to them and at the contacts the
    commission recorded (once per address)."""
    extra = {"decision_number": decision.number, "decided_on": decision.decided_on.strftime("%d.%m.%Y")}
    notify_applicant(applicant, TEMPLATE, application, extra=extra)
    bound = {contact.address for contact in applicant.active_contacts}
    notify_recorded_contacts([pair for pair in contacts if pair[1] not in bound], TEMPLATE, application,
                             locale=locale, extra=extra)


def join_child_to_pin(decision, pin, *, now):
    """The registry now knows a child recorded with a temporary identifier: the
    application and the decision take the PIN (and the registry's record of the
    child). The registry must know the PIN and give the same date of birth; R10
    holds (one active application per child). Returns the application."""
    if decision.child_temp_id is None or decision.child_joined_at is not None:
        raise CommissionRefused("already_joined")
    pin = _text(pin)
    if not is_pin(pin):
        raise CommissionRefused("join_pin_format")
    person = _registry_person(pin)
    if person is None:
        raise CommissionRefused("join_not_in_registry")
    application = decision.application
    if person.birth_date != application.child_birth_date:
        raise CommissionRefused("join_birth_date_differs", registry=person.birth_date.strftime("%d.%m.%Y"),
                                recorded=application.child_birth_date.strftime("%d.%m.%Y"))
    holding = active_application(application.campaign, pin)
    if holding is not None and holding.id != application.id:
        raise CommissionRefused("join_pin_has_application", number=holding.number)
    application.child_pin = pin
    application.child_last_name, application.child_first_name = person.last_name, person.first_name
    application.child_patronymic, application.child_sex = person.patronymic or "", person.sex
    decision.child_pin, decision.child_joined_at = pin, now
    db.session.flush()
    return application
