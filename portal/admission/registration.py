"""Registering, cancelling and moving applications: rules R1-R3 and R6-R10.

Every function takes plain values or models, flushes (never commits) and
raises `AdmissionError` on refusal; the caller (form, API, admin, job)
commits on success and rolls back on refusal.
"""
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.admission import claims, reference, seats
from portal.admission.calendar import proof_check_deadline, stage_at
from portal.admission.constraints import RegistrationFault, breaks_one_active_application, constraint_of
from portal.admission.errors import AdmissionError
from portal.admission.numbers import application_number
from portal.admission.order import position  # noqa: F401  (one figure: its callers import it from here too)
from portal.admission.sign_in import require_confirmation
from portal.admission.status import change_status
from portal.extensions import db
from portal.models import (
    LANGUAGES,
    Application,
    ApplicationEvent,
    Document,
    MicrodistrictAddress,
    School,
    SeatPool,
    Teacher,
)
from portal.notifications import notify_applicant
from portal.registry import RegistryUnavailable, get_registry

log = logging.getLogger(__name__)

REGISTERED = "registered"
# The applicant may cancel until the school has enrolled the child.
CANCELLABLE = ("registered", "documents_received")


def current_campaign():
    """The campaign now running: the newest one (kept a few seconds: `reference`)."""
    return reference.campaign()


def _campaign_or_closed():
    campaign = current_campaign()
    if campaign is None:
        raise AdmissionError("registration_closed")
    return campaign


def _registry_call(function, *args):
    try:
        return function(*args)
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None


@dataclass
class Family:
    """What the registry says about a child and the person applying for it."""

    child: object  # registry Person
    link: object  # the applicant's Link to the child
    parents: list  # [(Link, Person)] of everyone linked to the child
    applicant_children: list = ()  # [(Link, Person)]: the applicant's children, this one included
    claim: object = None  # the applicant's ClaimedChild where the link is a claim, not the registry's

    @property
    def as_representative(self):
        return self.link.relation == "guardian"


def family_of(applicant_pin, child_pin):
    """The child and the applicant's link to it (R9: parent or legal representative).

    The registry's link first; without one, the child the applicant added in the
    cabinet (a live claim, `claims`) counts as a parent link: the claimed child as
    the claim describes it (or as the registry does, where it knows the PIN), with
    the applicant as its only parent (R2: the applicant's registered address)."""
    child, parents, applicant_children = _registry_call(get_registry().family, child_pin, applicant_pin)
    link = next((link for link, _ in parents if link.parent_pin == applicant_pin), None)
    if link is None and not parents:
        claimed = _claimed_family(applicant_pin, child_pin, child)
        if claimed is not None:
            return claimed
    if child is None:
        raise AdmissionError("not_in_registry")
    if link is None:
        raise AdmissionError("not_parent_of_child")
    return Family(child=child, link=link, parents=parents, applicant_children=applicant_children)


def _claimed_family(applicant_pin, child_pin, registry_child):
    """The Family of a child the applicant claimed, or None without a live claim.
    A child the registry links to anyone never gets here (the registry decides)."""
    claim = claims.live_claim_of_applicant_pin(applicant_pin, child_pin)
    if claim is None:
        return None
    applicant_person = claims.ask_registry("person", applicant_pin)
    if applicant_person is None:
        raise AdmissionError("not_in_registry")
    link = claims.link_of(claim, applicant_person)
    child = registry_child or claims.person_of(claim)
    # The applicant's other children, for twins (R6): the registry's and the claimed.
    others = list(claims.ask_registry("children_of", applicant_pin))
    others += [(claims.link_of(other, applicant_person), claims.person_of(other))
               for other in claims.live_claims(claim.applicant_id)]
    return Family(child=child, link=link, parents=[(link, applicant_person)], applicant_children=others,
                  claim=claim)


def check_eligibility(campaign, family):
    """R1/R12: born within the campaign's range and with identity documents.

    Born after the range: refused. Born before it (older children, §9), or
    without documents of the child or of the applicant: only by a commission
    decision.
    """
    refusal = child_refusal(campaign, family.child)
    if refusal is not None:
        raise refusal
    applicant = next((p for link, p in family.parents if link is family.link), None)
    if applicant is not None and not applicant.has_documents:
        raise AdmissionError("commission_required")


def child_refusal(campaign, child):
    """R1/R12 as far as the child alone decides (the children page says it before the
    parent starts): the refusal a registration of this child meets, or None."""
    if child.birth_date > campaign.birth_to:
        return AdmissionError(
            "not_eligible_age",
            birth_from=campaign.birth_from.strftime("%d.%m.%Y"),
            birth_to=campaign.birth_to.strftime("%d.%m.%Y"),
        )
    if child.birth_date < campaign.birth_from or not child.has_documents:
        return AdmissionError("commission_required")
    return None


def catchment_school_ids(family):
    """R2 stage 1: schools whose microdistrict holds the registered address of
    the applicant or of another parent (legal representative) of the child."""
    addresses = {person.address_id for _, person in family.parents if person.address_id}
    if not addresses:
        return set()
    return set(
        db.session.scalars(
            select(MicrodistrictAddress.school_id)
            .where(MicrodistrictAddress.address_id.in_(addresses))
            .distinct()
        )
    )


def _school(code):
    school = reference.school(code)
    if school is None:
        raise AdmissionError("validation_error")
    if not school.participates:
        raise AdmissionError("school_not_available")
    return school


def active_application(campaign, child_pin):
    return db.session.scalars(
        select(Application).where(
            Application.campaign_id == campaign.id,
            Application.child_pin == child_pin,
            Application.is_active.is_(True),
        )
    ).first()


def _facts(campaign, family, school):
    """R10, R8 and R2 in one query: the child's active applications, its
    cancellations, and whether a parent's address is in the school's microdistrict."""
    child_applications = select(func.count(Application.id)).where(
        Application.campaign_id == campaign.id, Application.child_pin == family.child.pin)
    addresses = {person.address_id for _, person in family.parents if person.address_id}
    return db.session.execute(select(
        child_applications.where(Application.is_active.is_(True)).scalar_subquery().label("active"),
        child_applications.where(Application.status == "cancelled").scalar_subquery().label("cancelled"),
        select(MicrodistrictAddress.school_id).where(
            MicrodistrictAddress.school_id == school.id,
            MicrodistrictAddress.address_id.in_(addresses),
        ).exists().label("in_catchment"),
    )).one()


def _check_representative(campaign, applicant, child_pin, document):
    """R9: a legal representative proves it with an act and registers at most N children.

    §21: "may register no more than two children": every child the
    representative has registered in the campaign counts, whatever became of
    the application (cancelled, act rejected...), so that cancelling and
    registering again cannot bring in a third child. The same child again
    does not count twice.
    """
    if document is None or document.kind != "representative_act":
        raise AdmissionError("document_required")
    limit = campaign.setting("representative_child_limit")
    others = db.session.scalar(
        select(func.count(func.distinct(Application.child_pin))).where(
            Application.campaign_id == campaign.id,
            Application.applicant_id == applicant.id,
            Application.as_representative.is_(True),
            Application.child_pin != child_pin,
        )
    )
    if others >= limit:
        raise AdmissionError("representative_limit_reached", limit=limit)


def _is_teacher(applicant_pin, school):
    return db.session.get(Teacher, (applicant_pin, school.id)) is not None


def is_teacher_of(applicant_pin, school_code):
    """R7: the teacher registry lists this applicant at this school (by its code)."""
    school = db.session.scalars(select(School).where(School.code == school_code)).first()
    return school is not None and _is_teacher(applicant_pin, school)


def _teacher_proof_rejected(campaign, child_pin, school):
    """R7: the school's director rejected an uploaded teacher proof for this child
    in this campaign; another upload does not reopen it (the way is an appeal, R16)."""
    return db.session.scalar(
        select(Application.id)
        .join(Document, Application.proof_document_id == Document.id)
        .where(Application.campaign_id == campaign.id, Application.child_pin == child_pin,
               Application.school_id == school.id, Document.kind == "teacher_proof",
               Document.verification == "rejected")
        .limit(1)
    ) is not None


def _twin_admitted_within_quota(campaign, family, school, language):
    """R6: a twin (triplet...) of this child holds a normal seat at this school."""
    child = family.child
    siblings = [
        person.pin
        for _, person in family.applicant_children
        if person.pin != child.pin and person.birth_date == child.birth_date
    ]
    if not siblings:
        return None
    return db.session.scalars(
        select(Application).where(
            Application.campaign_id == campaign.id,
            Application.child_pin.in_(siblings),
            Application.school_id == school.id,
            Application.language == language,
            Application.is_active.is_(True),
            Application.over_quota.is_(False),
        )
    ).first()


def register(applicant, child_pin, school_code, language, *, now, category=None, document=None,
             notify="application_registered", contact_id=None):
    """Register one child (R1-R3, R6, R7, R9, R10). Returns the new Application.
    `contact_id`: the contact the applicant signed in with (None: Түндүк)."""
    campaign = _campaign_or_closed()
    stage = stage_at(campaign, now)
    if stage not in (1, 2):
        raise AdmissionError("registration_closed")
    if language not in LANGUAGES:
        raise AdmissionError("validation_error")
    if category not in (None, "teacher", "twin") or (
        category is not None and category not in campaign.categories
    ):
        raise AdmissionError("validation_error")
    family = family_of(applicant.pin, child_pin)
    check_eligibility(campaign, family)
    school = _school(school_code)
    facts = _facts(campaign, family, school)
    if facts.active:
        raise AdmissionError("already_registered")
    # The uploaded proof the admission rests on, which the director checks (R7, R9).
    proof = None
    if family.as_representative:
        _check_representative(campaign, applicant, child_pin, document)
        proof = document

    over_quota, twin = False, None
    if "twin" in campaign.categories:
        twin = _twin_admitted_within_quota(campaign, family, school, language)
    if category == "teacher":
        # R7 (§24): over the quota, at the school where the parent teaches,
        # proven by the teacher registry (at once) or by a document the
        # director checks (until then the admission awaits the check).
        if not _is_teacher(applicant.pin, school):
            if _teacher_proof_rejected(campaign, child_pin, school):
                raise AdmissionError("proof_rejected")
            if document is None or document.kind != "teacher_proof":
                raise AdmissionError("document_required")
            proof = document
        over_quota = True
    elif twin is not None:
        category, over_quota = "twin", True
    elif category == "twin":
        raise AdmissionError("validation_error")
    elif stage == 1 and not facts.in_catchment:
        raise AdmissionError("outside_microdistrict")

    taken = None
    if twin is not None and not campaign.setting("twins_always_over_quota"):
        # Policy choice: a twin takes a free seat when there is one.
        taken = seats.take_seat(campaign.id, school.id, language)
        over_quota = taken is None
    if taken is None:
        taken = (
            seats.admit_over_quota(campaign.id, school.id, language)
            if over_quota
            else seats.take_seat(campaign.id, school.id, language)
        )
    if taken is None:
        if over_quota or not _pool_exists(campaign, school, language):
            raise AdmissionError("validation_error")
        raise AdmissionError("no_free_seats")
    application = _new_application(
        campaign, applicant, family, school, language, stage, category, over_quota, taken,
        twin_group=(twin.twin_group or twin.number) if twin is not None else None, notify=notify,
        contact_id=contact_id,
        proof=proof, claim=family.claim,
    )
    application.known_cancellations_used = facts.cancelled
    if document is not None:
        document.application_id = application.id
    if twin is not None and twin.twin_group is None:
        twin.twin_group = twin.number
    return application


def register_together(applicant, child_pins, school_code, language, *, now, document=None, contact_id=None):
    """R6: twins (triplets...) in one submission: the first within the quota,
    the others over it, all or none."""
    first = register(applicant, child_pins[0], school_code, language, now=now, document=document,
                     contact_id=contact_id)
    others = [
        register(applicant, pin, school_code, language, now=now, document=document, contact_id=contact_id)
        for pin in child_pins[1:]
    ]
    for application in others:
        if application.category != "twin":
            raise AdmissionError("validation_error")
    return [first] + others


def _pool_exists(campaign, school, language):
    return db.session.scalar(
        select(func.count(SeatPool.id)).where(
            SeatPool.campaign_id == campaign.id,
            SeatPool.school_id == school.id,
            SeatPool.language == language,
            SeatPool.seats > 0,
        )
    ) > 0


def _new_application(campaign, applicant, family, school, language, stage, category, over_quota, taken, *,
                     twin_group=None, status=REGISTERED, by="applicant", notify="application_registered",
                     contact_id=None, proof=None, claim=None):
    pool_id, queue_no, holders = taken
    child = family.child
    application = Application(
        number=application_number(
            year=campaign.year,
            region_code=school.district.region.code,
            pool_id=pool_id,
            queue_no=queue_no,
            secret=current_app.config["SECRET_KEY"],
        ),
        campaign_id=campaign.id,
        applicant_id=applicant.id,
        school_id=school.id,
        language=language,
        stage=stage,
        category=category,
        over_quota=over_quota,
        status=status,
        is_active=True,
        queue_no=queue_no,
        as_representative=family.as_representative,
        twin_group=twin_group,
        contact_id=contact_id,
        child_pin=child.pin,
        child_last_name=child.last_name,
        child_first_name=child.first_name,
        child_patronymic=child.patronymic or "",
        child_sex=child.sex,
        child_birth_date=child.birth_date,
    )
    # Set, not lazy-loaded later: the answer reads both, and a strong reference
    # keeps the campaign in the identity map (it is held weakly).
    application.school, application.campaign = school, campaign
    if proof is not None:  # the column, not the relationship: no UPDATE after the INSERT (post_update)
        application.proof_document_id = proof.id
    db.session.add(application)
    db.session.add(ApplicationEvent(application=application, status=status, by=by))
    try:
        db.session.flush()
    except IntegrityError as error:
        if breaks_one_active_application(error):
            # Two registrations of the same child raced; the database kept R10.
            raise AdmissionError("already_registered") from None
        # Any other constraint is our fault, not the parent's: a server error. The
        # driver's message holds the row's values (a PIN, names), so only the
        # constraint is logged and carried on.
        constraint = constraint_of(error)
        log.error("a registration broke the database constraint %s; answered as a server error", constraint)
        raise RegistrationFault(constraint) from None
    application.known_position = holders
    application.known_claim = claim if claim is not None else False
    if notify:
        extra = {"proof_check_until": proof_check_deadline(campaign).strftime("%d.%m.%Y")} if proof else {}
        if claim is not None and claim.state == "unverified":
            # The admission of a child the applicant added awaits the check of the original certificate.
            extra.update(claimed_child=True,
                         claim_check_until=claims.claim_check_deadline(campaign).strftime("%d.%m.%Y"))
        notify_applicant(applicant, notify, application, extra=extra)
    return application


def _own_application(applicant, number, *, lock=False):
    query = select(Application).where(
        Application.number == number, Application.applicant_id == applicant.id
    )
    if lock:
        query = query.with_for_update()
    application = db.session.scalars(query).first()
    if application is None:
        raise AdmissionError("not_found")
    return application


def cancellations_used(campaign_id, child_pin):
    """R8 counts the cancellations of a child's registrations in a campaign,
    whoever of its parents made them, moves included."""
    return db.session.scalar(
        select(func.count(Application.id)).where(
            Application.campaign_id == campaign_id,
            Application.child_pin == child_pin,
            Application.status == "cancelled",
        )
    )


def cancellations_left(application):
    limit = application.campaign.setting("cancel_limit")
    used = application.known_cancellations_used
    if used is None:
        used = cancellations_used(application.campaign_id, application.child_pin)
    return max(limit - used, 0)


def _cancel(application, *, by, note=None, check_only=False):
    campaign = application.campaign
    limit = campaign.setting("cancel_limit")
    if application.status not in CANCELLABLE:
        raise AdmissionError("not_allowed")
    if cancellations_used(campaign.id, application.child_pin) >= limit:
        raise AdmissionError("cancel_limit_reached", limit=limit)
    if not check_only:
        change_status(application, "cancelled", by=by, note=note)


def cancel(applicant, number, *, now, contact_id=None, confirmation_code=None, locale="ky"):
    """R8: cancel an application; at most `cancel_limit` times per child. From
    another contact than the one it was made from, only with that contact's code."""
    application = _own_application(applicant, number, lock=True)
    _cancel(application, by="applicant", check_only=True)
    require_confirmation(application, acting_contact_id=contact_id, code=confirmation_code, now=now, locale=locale)
    _cancel(application, by="applicant")
    notify_applicant(applicant, "application_cancelled", application)
    return application


def move(applicant, number, school_code, language, *, now, contact_id=None, confirmation_code=None, locale="ky"):
    """Stage 2: move to another school. Counts as a cancellation (R8); all or
    nothing. From another contact than the one the application was made from,
    only with that contact's code."""
    application = _own_application(applicant, number, lock=True)
    campaign = application.campaign
    if stage_at(campaign, now) != 2:
        raise AdmissionError("registration_closed")
    if application.school.code == school_code and application.language == language:
        raise AdmissionError("validation_error")
    _cancel(application, by="applicant", check_only=True)
    require_confirmation(application, acting_contact_id=contact_id, code=confirmation_code, now=now, locale=locale)
    _cancel(application, by="applicant", note="moved")
    moved = register(applicant, application.child_pin, school_code, language, now=now, notify=None,
                     contact_id=contact_id)
    notify_applicant(applicant, "application_moved", moved, previous=application)
    return moved
