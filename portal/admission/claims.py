"""A child the registry does not show, added by the parent in the cabinet.

The 2026 text, obligations of the applicant: "Если у родителя не отображаются
дети предшкольного возраста, то необходимо добавить их у себя в личном
кабинете или обратиться в колл-центр". The parent gives the child's PIN, name,
date of birth, sex and the birth certificate's series and number; the claim
(`ClaimedChild`) is stored as *unverified* and counts as a parent link in the
domain (`family.family_of`): the child is registered under the normal
rules (R1 from the claimed date of birth, R2 from the applicant's registered
address, R3, R10...). The admission awaits the director's check of the original
certificate, brought with the documents (§21), in the same queue as the proofs
of R7, R9 (`proofs.pending_checks`); a rejection ends the application like a
rejected proof (`proofs.reject_claim`). When the registry shows its own link,
the claim is *superseded*: the application stays and awaits nothing.

Refused: a child the registry already links to this applicant (nothing to
add), a child it links to anyone else (the registry decides who is a parent),
a PIN another applicant claims. Every function flushes; the caller commits.
The audit trail records every change of a claim (an ORM row), and every change
is told to every bound contact of the applicant.
"""
import re
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.admission.calendar import local_zone
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import LIVE_CLAIM_STATES, Applicant, Application, ClaimedChild
from portal.notifications import notify_contacts
from portal.registry import Link, Person, RegistryUnavailable, get_registry, is_pin

NAME_CHARS = 100
# Birth certificates are printed "I-АН № 123456" (older ones "II-ЖИ", newer "KG"): letters,
# Roman numerals and a dash in the series, digits in the number.
_SERIES = re.compile(r"[^\W_][\w\- ]{0,15}")
_NUMBER = re.compile(r"[0-9]{4,12}")


def ask_registry(question, *args):
    """Ask the registry `question` (a method name); an outage is `registry_unavailable`."""
    try:
        return getattr(get_registry(), question)(*args)
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None


def _live(query):
    return query.where(ClaimedChild.state.in_(LIVE_CLAIM_STATES))


def live_claim(applicant_id, child_pin):
    """The applicant's claim on this child that counts as a link (unverified or confirmed), or None."""
    return db.session.scalars(_live(select(ClaimedChild).where(
        ClaimedChild.applicant_id == applicant_id, ClaimedChild.child_pin == child_pin))).first()


def live_claim_of_applicant_pin(applicant_pin, child_pin):
    """As `live_claim`, by the applicant's PIN (what `family.family_of` knows)."""
    return db.session.scalars(_live(select(ClaimedChild).join(Applicant, ClaimedChild.applicant_id == Applicant.id)
                                    .where(Applicant.pin == applicant_pin,
                                           ClaimedChild.child_pin == child_pin))).first()


def live_claims(applicant_id):
    return db.session.scalars(_live(select(ClaimedChild).where(ClaimedChild.applicant_id == applicant_id))
                              .order_by(ClaimedChild.child_birth_date, ClaimedChild.id)).all()


def live_claim_of_child(child_pin):
    """Whoever's live claim on this PIN, or None (one at most: the partial unique index)."""
    return db.session.scalars(_live(select(ClaimedChild).where(ClaimedChild.child_pin == child_pin))).first()


def claims_of(applicant_id):
    """Every claim of the applicant, newest first (the cabinet lists them with their state)."""
    return db.session.scalars(select(ClaimedChild).where(ClaimedChild.applicant_id == applicant_id)
                              .order_by(ClaimedChild.id.desc())).all()


def person_of(claim):
    """The child as the claim describes it, in the registry's shape. The birth
    certificate stands for the identity document the registry would show (R12)."""
    return Person(pin=claim.child_pin, last_name=claim.child_last_name, first_name=claim.child_first_name,
                  patronymic=claim.child_patronymic or "", sex=claim.child_sex, birth_date=claim.child_birth_date,
                  address_id=None, has_documents=True)


def link_of(claim, applicant_person):
    """The claimed link: mother or father by the applicant's sex in the registry
    (a claim is a parent's; a legal representative proves it with an act, R9)."""
    relation = "mother" if applicant_person is not None and applicant_person.sex == "F" else "father"
    return Link(parent_pin=applicant_person.pin if applicant_person else "", child_pin=claim.child_pin,
                relation=relation)


def children_of(applicant):
    """[(Link, Person)] of the applicant's children: the registry's, then the ones the
    applicant added that the registry does not show (each once: the registry wins)."""
    linked = ask_registry("children_of", applicant.pin)
    shown = {person.pin for _, person in linked}
    added = [claim for claim in live_claims(applicant.id) if claim.child_pin not in shown]
    if not added:
        return linked
    me = ask_registry("person", applicant.pin)
    return linked + [(link_of(claim, me), person_of(claim)) for claim in added]


def _clean(value, limit=NAME_CHARS):
    value = " ".join((value or "").split())
    return value if len(value) <= limit else None


def _refuse_unless_valid(applicant, pin, last_name, first_name, sex, birth_date, series, number):
    if not (is_pin(pin) and pin != applicant.pin and last_name and first_name and sex in ("M", "F")
            and isinstance(birth_date, date) and series and _SERIES.fullmatch(series)
            and number and _NUMBER.fullmatch(number)):
        raise AdmissionError("validation_error")


def add_child(applicant, *, pin, last_name, first_name, patronymic="", sex, birth_date, certificate_series,
              certificate_number, now):
    """The parent adds a child the registry does not show them. Returns the new claim."""
    pin = (pin or "").strip()
    last_name, first_name, patronymic = _clean(last_name), _clean(first_name), _clean(patronymic) or ""
    series = _clean(certificate_series, 16)
    series = series.upper() if series else series
    number = (certificate_number or "").replace(" ", "")
    _refuse_unless_valid(applicant, pin, last_name, first_name, sex, birth_date, series, number)
    child, parents, _ = ask_registry("family", pin, applicant.pin)
    if any(link.parent_pin == applicant.pin for link, _ in parents):
        raise AdmissionError("child_already_shown")
    if parents:
        # The registry decides who is a parent: a child it links to someone else is not
        # taken over by a claim, whatever the claim says (docs/security.md).
        raise AdmissionError("child_linked_to_another_parent")
    if child is not None and child.birth_date != birth_date:
        raise AdmissionError("claim_data_mismatch")
    held = live_claim_of_child(pin)
    if held is not None:
        raise AdmissionError("child_already_added" if held.applicant_id == applicant.id
                             else "child_claimed_by_another")
    claim = ClaimedChild(applicant_id=applicant.id, child_pin=pin, child_last_name=last_name,
                         child_first_name=first_name, child_patronymic=patronymic, child_sex=sex,
                         child_birth_date=birth_date, certificate_series=series, certificate_number=number,
                         state="unverified", created_at=now)
    claim.applicant = applicant
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        # Another applicant claimed the same PIN at the same moment: the index kept one.
        raise AdmissionError("child_claimed_by_another") from None
    tell(claim, "child_added")
    return claim


def unverified_claim_of(application):
    """The unverified claim an active application rests on, or None."""
    if application is None or not application.is_active:
        return None
    return db.session.scalars(select(ClaimedChild).where(
        ClaimedChild.applicant_id == application.applicant_id, ClaimedChild.child_pin == application.child_pin,
        ClaimedChild.state == "unverified")).first()


def rejected_claim_of(application):
    """The newest rejected claim of this application's applicant on its child, or None."""
    return db.session.scalars(select(ClaimedChild).where(
        ClaimedChild.applicant_id == application.applicant_id, ClaimedChild.child_pin == application.child_pin,
        ClaimedChild.state == "rejected").order_by(ClaimedChild.id.desc())).first()


def claim_of_application(application):
    """The claim an application's child was added with, as the parent and the school
    see it: unverified or confirmed (live), or rejected (an application that ended
    by it); None where the registry shows the link (nothing to check)."""
    if application.known_claim is not None:  # the registration that made it knows
        return application.known_claim or None
    if application.status == "proof_rejected":
        return rejected_claim_of(application)
    return live_claim(application.applicant_id, application.child_pin)


def claim_check_deadline(campaign):
    """Until when a director may reject a claim: the end of the documents window
    (§21: the original certificate comes with the documents, 4 August .. 5 September)."""
    return datetime.combine(campaign.documents_until, time(23, 59, 59), local_zone())


def supersede(claim, *, now):
    """The registry shows its own link: the claim is no longer needed (nor checked)."""
    if claim.state not in LIVE_CLAIM_STATES:
        return claim
    claim.state, claim.decided_at = "superseded", now
    db.session.flush()
    tell(claim, "child_claim_superseded")
    return claim


def supersede_if_linked(claim, *, now):
    """Ask the registry about one live claim; superseded when it links the child to
    the claim's applicant. Returns True when it did."""
    parents = ask_registry("parents_of", claim.child_pin)
    if any(link.parent_pin == claim.applicant.pin for link, _ in parents):
        supersede(claim, now=now)
        return True
    return False


def supersede_where_linked(*, now):
    """The deadlines job: every live claim the registry now shows as a link of its own
    is superseded (the registry answered; a failure leaves the rest for the next run)."""
    done = 0
    for claim in db.session.scalars(_live(select(ClaimedChild)).order_by(ClaimedChild.id)).all():
        done += supersede_if_linked(claim, now=now)
    return done


def application_of(claim):
    """The active application of the claimed child by the claim's applicant, or None."""
    return db.session.scalars(select(Application).where(
        Application.applicant_id == claim.applicant_id, Application.child_pin == claim.child_pin,
        Application.is_active.is_(True))).first()


def tell(claim, template, **extra):
    """Tell every bound contact of the applicant about the claim, in their language."""
    applicant = claim.applicant
    context = {"child_name": claim.full_name, "child_first_name": claim.child_first_name,
               "child_sex": claim.child_sex, **extra}
    return notify_contacts(applicant.active_contacts, template, locale=applicant.locale,
                           key=f"{template}:claim{claim.id}:{claim.state}", context=context)
