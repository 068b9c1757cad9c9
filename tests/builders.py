"""Keyword-only builders of test records. Each fills what the caller leaves out."""
import itertools
from datetime import date, datetime, timedelta, timezone

from portal.config import TestConfig
from portal.extensions import db
from portal.models import (
    Address,
    Applicant,
    ApplicantContact,
    Application,
    Campaign,
    District,
    Region,
    School,
    SeatPool,
    StaffUser,
)

# The key of application numbers, as the test application has it (the domain takes it as an argument).
SECRET = TestConfig.SECRET_KEY

_seq = itertools.count(1)


def _n():
    return next(_seq)


def create_region(*, code=None):
    n = _n()
    region = Region(code=code or f"R{n}", name_ky=f"Аймак {n}", name_ru=f"Регион {n}")
    db.session.add(region)
    return region


def create_district(*, code=None, region=None):
    n = _n()
    district = District(
        code=code or f"D-{n}",
        region=region or create_region(),
        name_ky=f"Район {n}",
        name_ru=f"Район {n}",
    )
    db.session.add(district)
    return district


def create_school(*, code=None, district=None, ownership="municipal", participates=True):
    n = _n()
    school = School(
        code=code or f"S-{n:03d}",
        district=district or create_district(),
        name_ky=f"№{n} мектеп",
        name_ru=f"Школа №{n}",
        address="",
        ownership=ownership,
        participates=participates,
    )
    db.session.add(school)
    return school


def create_address(*, address_id=None, district=None):
    n = _n()
    address = Address(
        address_id=address_id or f"A{n:07d}",
        district=district or create_district(),
        settlement="Бишкек",
        street="Чүй проспекти",
        house=str(n),
    )
    db.session.add(address)
    return address


def create_campaign(*, year="2026-2027", now=None, **dates):
    now = now or datetime.now(timezone.utc)
    campaign = Campaign(
        year=year,
        birth_from=date(2019, 1, 1),
        birth_to=date(2020, 12, 31),
        stage1_opens=dates.get("stage1_opens", now - timedelta(days=1)),
        stage2_opens=dates.get("stage2_opens", now + timedelta(days=30)),
        registration_closes=dates.get("registration_closes", now + timedelta(days=90)),
        documents_from=dates.get("documents_from", (now + timedelta(days=100)).date()),
        documents_until=dates.get("documents_until", (now + timedelta(days=130)).date()),
        holidays=[],
        categories=["teacher", "twin"],
        policy={},
    )
    db.session.add(campaign)
    return campaign


def create_seat_pool(*, campaign=None, school=None, language="ky", seats=25, taken=0):
    pool = SeatPool(
        campaign=campaign or create_campaign(),
        school=school or create_school(),
        language=language,
        seats=seats,
        taken=taken,
        over_quota=0,
        issued=taken,
    )
    db.session.add(pool)
    return pool


def create_applicant(*, pin=None, email=None, phone=None, locale="ky"):
    """An applicant with bound contacts: the e-mail address (one is made up when
    neither is given) and the mobile number given."""
    n = _n()
    applicant = Applicant(pin=pin or f"{n:014d}", locale=locale)
    if email or not phone:
        applicant.contacts.append(ApplicantContact(channel="email", address=email or f"parent{n}@example.kg"))
    if phone:
        applicant.contacts.append(ApplicantContact(channel="sms", address=phone))
    db.session.add(applicant)
    return applicant


def create_application(
    *, child_pin=None, campaign=None, school=None, applicant=None, language="ky", status="registered"
):
    n = _n()
    application = Application(
        number=f"T-{n:08d}",
        campaign=campaign or create_campaign(),
        applicant=applicant or create_applicant(),
        school=school or create_school(),
        language=language,
        stage=1,
        status=status,
        is_active=status in ("registered", "documents_received", "enrolled", "admitted_by_commission"),
        queue_no=n,
        child_pin=child_pin or f"{n:014d}",
        child_last_name="Усенов",
        child_first_name="Темирлан",
        child_sex="M",
        child_birth_date=date(2019, 5, 10),
    )
    db.session.add(application)
    return application


def create_staff_user(*, role="ministry", email=None, district=None, school=None, password_hash="x"):
    n = _n()
    user = StaffUser(
        email=email or f"staff{n}@example.kg",
        full_name=f"Staff {n}",
        role=role,
        district=district,
        school=school,
        password_hash=password_hash,
    )
    db.session.add(user)
    return user
