"""The family a registration rests on, and who may be registered (R1, R2, R6,
R7, R9, R12): the registry's child and the applicant's link to it, eligibility,
the catchment schools, children born together, and which questions of the form
apply to this family.
"""
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select

from portal.admission import claims
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Address, MicrodistrictAddress, School, Teacher
from portal.registry import RegistryUnavailable, get_registry


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


def is_teacher(applicant_pin, school):
    return db.session.get(Teacher, (applicant_pin, school.id)) is not None


def is_teacher_of(applicant_pin, school_code):
    """R7: the teacher registry lists this applicant at this school (by its code)."""
    school = db.session.scalars(select(School).where(School.code == school_code)).first()
    return school is not None and is_teacher(applicant_pin, school)


def teacher_needs_proof(applicant_pin, school_code):
    """R7: a teacher not on the school's list of teachers proves the work there with a
    certificate from the school, which the director checks (§18)."""
    return not is_teacher_of(applicant_pin, school_code)


def born_together(children):
    """R6: the groups of two or more children born on the same day (twins,
    triplets...), from (anything, ..., Person) tuples whose last item is the child."""
    ordered = sorted(children, key=lambda child: child[-1].birth_date)
    groups = [list(group) for _, group in groupby(ordered, key=lambda child: child[-1].birth_date)]
    return [group for group in groups if len(group) > 1]


def questions(campaign, applicant_pin, child_pins):
    """Which questions of "about you" apply: (teacher?, representative?).

    R9: a legal representative uploads the act. R7: the teacher's priority is for
    one child; children registered together come over the quota as twins (R6).
    """
    representative = family_of(applicant_pin, child_pins[0]).as_representative
    teacher = "teacher" in (campaign.categories or []) and len(child_pins) == 1
    return teacher, representative


def home_district_code(applicant_pin):
    """The district of the applicant's registered address (stage 2 starts there), or
    None when the registry does not answer or knows no address."""
    try:
        person = get_registry().person(applicant_pin)
    except RegistryUnavailable:
        return None
    address = db.session.get(Address, person.address_id) if person and person.address_id else None
    return address.district.code if address else None
