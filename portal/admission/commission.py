"""Commission decisions (R12, §9, §26): the district Commission on Children's
Affairs admits a child outside the normal flow — late registration, a child
over 8, a child without documents. The decision admits the child at once; it
takes a free seat when there is one and otherwise comes over the quota,
marked so.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.admission import seats
from portal.admission.calendar import stage_at
from portal.admission.errors import AdmissionError
from portal.admission.applications import active_application
from portal.admission.family import Family
from portal.admission.registration import new_application
from portal.extensions import db
from portal.models import LANGUAGES, Applicant, CommissionDecision, District, School
from portal.registry import RegistryUnavailable, get_registry


def record_decision(campaign, *, district_id, number, decided_on, child_pin, applicant_pin,
                    school_code, language, grounds, now, secret, recorded_by_id=None):
    """Record a decision and admit the child; returns the CommissionDecision."""
    if not (number and grounds and decided_on) or language not in LANGUAGES:
        raise AdmissionError("validation_error")
    school = db.session.scalars(
        select(School).options(joinedload(School.district).joinedload(District.region))
        .where(School.code == school_code)
    ).first()
    # A commission decides for the schools of its own district only.
    if school is None or school.district_id != district_id:
        raise AdmissionError("validation_error")
    registry = get_registry()
    try:
        child, parents, _ = registry.family(child_pin)
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None
    if child is None:
        raise AdmissionError("not_in_registry")
    link = next((link for link, _ in parents if link.parent_pin == applicant_pin), None)
    if link is None:
        raise AdmissionError("not_parent_of_child")
    if active_application(campaign, child_pin) is not None:
        raise AdmissionError("already_registered")

    taken = seats.take_seat(campaign.id, school.id, language)
    over_quota = taken is None
    if over_quota:
        taken = seats.admit_over_quota(campaign.id, school.id, language)
    if taken is None:  # the school teaches no class in this language
        raise AdmissionError("validation_error")
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == applicant_pin)).first()
    if applicant is None:
        applicant = Applicant(pin=applicant_pin)  # no contact yet: told when they first sign in
        db.session.add(applicant)
        db.session.flush()
    application = new_application(
        campaign, applicant, Family(child=child, link=link, parents=parents), school, language,
        # A late admission after closing is recorded as of the last stage.
        stage=stage_at(campaign, now) or 2, category="commission", over_quota=over_quota, taken=taken,
        status="admitted_by_commission", by="commission", notify="commission_decision", secret=secret,
    )
    decision = CommissionDecision(
        campaign_id=campaign.id, district_id=district_id, number=number, decided_on=decided_on,
        child_pin=child_pin, school_id=school.id, language=language, grounds=grounds,
        application_id=application.id, recorded_by_id=recorded_by_id,
    )
    db.session.add(decision)
    db.session.flush()
    return decision
