"""Registering a child (R1-R3, R6, R7, R9, R10): the rules checked in order,
the seat taken, the application written and the parent told.

Every function takes plain values or models, flushes (never commits) and
raises `AdmissionError` on refusal; the caller (form, API, admin, job)
commits on success and rolls back on refusal. The secret that makes numbers
unguessable is an argument (`secret`): the domain reads no configuration.
"""
import logging

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.admission import claims, reference, seats
from portal.admission.calendar import proof_check_deadline, stage_at
from portal.admission.campaigns import campaign_or_closed
from portal.admission.constraints import RegistrationFault, breaks_one_active_application, constraint_of
from portal.admission.errors import AdmissionError
from portal.admission.family import check_eligibility, family_of, is_teacher
from portal.admission.numbers import application_number
from portal.admission.school_kinds import offered_in_registration
from portal.extensions import db
from portal.models import (
    LANGUAGES,
    Application,
    ApplicationEvent,
    Document,
    MicrodistrictAddress,
    SeatPool,
)
from portal.notifications import notify_applicant

log = logging.getLogger(__name__)

REGISTERED = "registered"


def _school(code):
    school = reference.school(code)
    if school is None:
        raise AdmissionError("validation_error")
    if not offered_in_registration(school):  # §31, and §23: a special school only by referral
        raise AdmissionError("school_not_available")
    return school


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


def register(applicant, child_pin, school_code, language, *, now, secret, category=None, document=None,
             notify="application_registered", contact_id=None):
    """Register one child (R1-R3, R6, R7, R9, R10). Returns the new Application.
    `contact_id`: the contact the applicant signed in with (None: Түндүк);
    `secret`: the key of the application numbers (`numbers`)."""
    campaign = campaign_or_closed()
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
        if not is_teacher(applicant.pin, school):
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
    application = new_application(
        campaign, applicant, family, school, language, stage, category, over_quota, taken,
        twin_group=(twin.twin_group or twin.number) if twin is not None else None, notify=notify,
        contact_id=contact_id, secret=secret,
        proof=proof, claim=family.claim,
    )
    application.known_cancellations_used = facts.cancelled
    if document is not None:
        document.application_id = application.id
    if twin is not None and twin.twin_group is None:
        twin.twin_group = twin.number
    return application


def register_together(applicant, child_pins, school_code, language, *, now, secret, document=None,
                      contact_id=None):
    """R6: twins (triplets...) in one submission: the first within the quota,
    the others over it, all or none."""
    first = register(applicant, child_pins[0], school_code, language, now=now, secret=secret, document=document,
                     contact_id=contact_id)
    others = [
        register(applicant, pin, school_code, language, now=now, secret=secret, document=document,
                 contact_id=contact_id)
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


def new_application(campaign, applicant, family, school, language, stage, category, over_quota, taken, *,
                    secret, twin_group=None, status=REGISTERED, by="applicant", notify="application_registered",
                    contact_id=None, proof=None, claim=None):
    """Write the application of a child whose seat (`taken`) is held, its first
    history event, and the message to the applicant (`notify`: a template, or None)."""
    pool_id, queue_no, holders = taken
    child = family.child
    application = Application(
        number=application_number(
            year=campaign.year,
            region_code=school.district.region.code,
            pool_id=pool_id,
            queue_no=queue_no,
            secret=secret,
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
