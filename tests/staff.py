"""Shared set-up of the staff portal tests (imported by the other test_admin_*
modules): the sample data set with a known password for each of its staff users,
and signing in through the form as a person does."""
import os
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.audit import acting_as
from portal.extensions import db
from portal.models import (
    Address,
    Appeal,
    Applicant,
    Application,
    ApplicationEvent,
    ClassAssignment,
    ClassSet,
    CommissionDecision,
    Document,
    MicrodistrictAddress,
    School,
    StaffUser,
)
from portal.staff_accounts import hash_password
from tests.scenario import BEFORE_STAGE1, SCENARIO, at, load_sample
from tests.builders import create_applicant

PASSWORD = "correct horse 2026"
STAFF = SCENARIO["staff"]
COMMISSION_A = "commission.gb-len@example.kg"  # the commission of district A (GB-LEN)
ROLE_LOGINS = {
    "director": STAFF["director_a"],
    "district": STAFF["district_a"],
    "commission": COMMISSION_A,
    "ministry": STAFF["ministry"],
}


@pytest.fixture
def portal(app):
    """The sample data, every staff user with PASSWORD, the time before stage 1."""
    load_sample()
    password_hash = hash_password(PASSWORD)  # one Argon2 hash for all: it is slow on purpose
    for user in db.session.scalars(select(StaffUser)):
        user.password_hash = password_hash
    db.session.commit()
    at(app, BEFORE_STAGE1)
    app.extensions["sent_mail"] = []
    return app


def staff(email):
    return db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()


def sign_in(client, email, password=PASSWORD):
    response = client.post("/admin/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


# --- a world with records in three places -------------------------------------------
# A: the director's own school; B: another school of the same district (GB-LEN);
# O: a school of another district (GO-OSH). Every record carries a marker that
# must never appear on a page of a user who may not see that place.
SCHOOLS = {"A": STAFF["school_a"], "B": STAFF["school_b"], "O": SCENARIO["osh_family"]["school_code"]}
PINS = {"A": "29999999999901", "B": "29999999999902", "O": "29999999999903"}


def marker(place, what):
    return f"Mk{place}{what}"


def _school(code):
    return db.session.scalars(select(School).where(School.code == code)).one()


def _spare_address(school):
    """An address of the school's district that is not in its microdistrict."""
    taken = select(MicrodistrictAddress.address_id).where(MicrodistrictAddress.school_id == school.id)
    return db.session.scalars(select(Address).where(Address.district_id == school.district_id,
                                                    Address.address_id.not_in(taken)).order_by(Address.address_id)).first()


def build_place(app, campaign, place):
    school = _school(SCHOOLS[place])
    applicant = create_applicant(pin=f"1999999999990{ord(place) % 10}", email=f"{place.lower()}-parent@example.kg")
    db.session.add(applicant)
    application = Application(
        number=marker(place, "Number"), campaign=campaign, applicant=applicant, school=school, language="ky",
        stage=1, category="teacher", over_quota=True, status="registered", is_active=True, queue_no=900,
        child_pin=PINS[place], child_last_name=marker(place, "Lastname"), child_first_name="Айбек",
        child_sex="M", child_birth_date=date(2019, 5, 10),
    )
    db.session.add(application)
    db.session.flush()
    db.session.add(ApplicationEvent(application=application, status="registered", by="applicant"))
    key = f"{place.lower()}0" + "0" * 30
    folder = os.path.join(app.config["UPLOAD_FOLDER"], key[:2])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, key), "wb") as out:
        out.write(b"%PDF-1.4 " + marker(place, "FileContent").encode())
    proof = Document(application_id=application.id, owner_pin=applicant.pin, kind="teacher_proof",
                     original_name=marker(place, "Proof") + ".pdf", content_type="application/pdf",
                     size_bytes=20, sha256="0" * 64, storage_key=key)
    db.session.add(proof)
    db.session.flush()
    application.proof_document_id = proof.id  # admitted on the uploaded proof: in the queue to check (R7)
    db.session.add(CommissionDecision(
        campaign_id=campaign.id, district_id=school.district_id, number=marker(place, "Decision"),
        decided_on=date(2026, 3, 2), child_pin=PINS[place], school_id=school.id, language="ky",
        grounds=marker(place, "Grounds"), application_id=application.id))
    db.session.add(Appeal(campaign_id=campaign.id, district_id=school.district_id, applicant_id=applicant.id,
                          application_id=application.id, text=marker(place, "Appeal"), status="open",
                          created_at=BEFORE_STAGE1, due_at=BEFORE_STAGE1 + timedelta(days=3)))
    db.session.add(MicrodistrictAddress(school_id=school.id, address_id=_spare_address(school).address_id,
                                        added_reason=marker(place, "Reason")))
    # The child placed in a class (R15), so that the class pages have a marked child in each place
    # (in the school's first class-set, whatever its language: only the scope matters here).
    class_set = db.session.scalars(select(ClassSet).where(ClassSet.school_id == school.id)
                                   .order_by(ClassSet.number)).first()
    if class_set is not None:
        db.session.add(ClassAssignment(campaign_id=campaign.id, school_id=school.id, class_set_id=class_set.id,
                                       application_id=application.id))
    return school


@pytest.fixture
def world(portal):
    """The sample data plus, in A, B and O: an application with a proof, a
    commission decision, an appeal and a microdistrict address, each marked."""
    from portal.admission.campaigns import current_campaign

    campaign = current_campaign()
    with acting_as("test:world"):
        schools = {place: build_place(portal, campaign, place) for place in SCHOOLS}
        db.session.commit()
    return schools
