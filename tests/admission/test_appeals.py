"""R16 appeals with their 3-working-day deadline; R17 adding a missing address."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.admission import appeals
from portal.admission.errors import AdmissionError
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import Address, Appeal, MicrodistrictAddress, OutboxMessage, School
from tests.scenario import load_sample
from tests.builders import create_applicant

BISHKEK = timezone(timedelta(hours=6))


@pytest.fixture
def sample(app):
    app.extensions["sent_mail"] = []
    load_sample()
    applicant = create_applicant(pin="12708198301953", email="p@example.kg")
    db.session.add(applicant)
    db.session.commit()
    return applicant


def _district(code="GB-LEN"):
    return db.session.scalars(select(School.district_id).join(School.district).where(School.code.like(code + "%"))).first()


def test_r16_an_appeal_is_due_three_working_days_later(sample):
    friday = datetime(2026, 4, 3, 15, 0, tzinfo=BISHKEK)
    appeal = appeals.file_appeal(current_campaign(), sample, district_id=_district(), text="Please check", now=friday)
    # Friday + 3 working days: Monday 6, (Tuesday 7 April is People's April Revolution Day,
    # a day off), Wednesday 8, Thursday 9 April, end of day.
    assert appeal.due_at.astimezone(BISHKEK).date().isoformat() == "2026-04-09"
    assert appeals.escalate_overdue_appeals(now=datetime(2026, 4, 9, 23, 59, tzinfo=BISHKEK)) == []
    late = datetime(2026, 4, 10, 0, 1, tzinfo=BISHKEK)
    assert [a.id for a in appeals.escalate_overdue_appeals(now=late)] == [appeal.id]
    assert appeals.escalate_overdue_appeals(now=late) == []


@pytest.mark.parametrize("filed, due", [
    ("2026-03-19", "2026-03-25"),  # Thursday; Friday 20 March Orozo Ait, Saturday 21 Nooruz
    ("2026-04-30", "2026-05-07"),  # Thursday; 1 May Labour Day, 5 May Constitution Day
    ("2026-05-26", "2026-06-01"),  # Tuesday; Wednesday 27 May Kurman Ait
    ("2026-08-28", "2026-09-04"),  # Friday; 31 August Independence Day and 1 September
    ("2026-11-05", "2026-11-10"),  # Thursday; 7-8 November fall on a weekend: no move
])
def test_r16_the_official_days_off_of_2026_move_the_appeal_deadline(sample, filed, due):
    now = datetime.fromisoformat(filed).replace(hour=15, tzinfo=BISHKEK)
    appeal = appeals.file_appeal(current_campaign(), sample, district_id=_district(), text="Please check", now=now)
    assert appeal.due_at.astimezone(BISHKEK).date().isoformat() == due


def test_r16_an_answer_is_recorded_once_and_mailed(sample):
    now = datetime(2026, 4, 3, 15, 0, tzinfo=BISHKEK)
    appeal = appeals.file_appeal(current_campaign(), sample, district_id=_district(), text="Please check", now=now)
    appeals.answer_appeal(appeal, answer="Checked: the address is added.", user_id=None, now=now)
    assert appeal.status == "answered"
    with pytest.raises(AdmissionError):
        appeals.answer_appeal(appeal, answer="again", user_id=None, now=now)
    assert db.session.scalars(select(OutboxMessage.template)).all() == ["appeal_answered"]


def test_r16_an_empty_appeal_is_refused(sample):
    with pytest.raises(AdmissionError):
        appeals.file_appeal(current_campaign(), sample, district_id=_district(), text="  ", now=datetime.now(BISHKEK))


def test_r17_a_director_adds_a_missing_address_of_the_district_with_a_reason(sample):
    school = db.session.scalars(select(School).where(School.code == "GB-LEN-039")).one()
    member_ids = set(db.session.scalars(select(MicrodistrictAddress.address_id).where(MicrodistrictAddress.school_id == school.id)))
    missing = db.session.scalars(
        select(Address).where(Address.district_id == school.district_id, Address.address_id.not_in(member_ids))
    ).first()
    with pytest.raises(AdmissionError):
        appeals.add_microdistrict_address(school, missing.address_id, reason="", user_id=None)
    entry = appeals.add_microdistrict_address(school, missing.address_id, reason="Прописка подтверждена", user_id=None)
    assert entry.added_reason == "Прописка подтверждена"
    foreign = db.session.scalars(select(Address).where(Address.district_id != school.district_id)).first()
    with pytest.raises(AdmissionError):
        appeals.add_microdistrict_address(school, foreign.address_id, reason="x", user_id=None)


# --- an appeals flood (issue 15, item 8) ---------------------------------------------------
def _application_of(applicant):
    from portal.models import Application

    school = db.session.scalars(select(School).where(School.code == "GB-LEN-039")).one()
    application = Application(number=f"2026-T-{applicant.id:04d}-APPL", campaign=current_campaign(),
                              applicant=applicant, school=school, language="ky", stage=1, status="registered",
                              is_active=True, queue_no=1, child_pin="12505201902017", child_first_name="A",
                              child_last_name="B", child_sex="M", child_birth_date=datetime(2019, 5, 1).date())
    db.session.add(application)
    db.session.flush()
    return application


def test_r16_one_applicant_sends_at_most_the_daily_limit_of_appeals(sample):
    now = datetime(2026, 4, 3, 15, 0, tzinfo=BISHKEK)
    limit = current_campaign().setting("appeal_daily_limit")
    for number in range(limit):  # to several districts, as the flood did
        appeals.file_appeal(current_campaign(), sample, district_id=_district(("GB-LEN", "GO-OSH")[number % 2]),
                            text="x" * 3900, now=now)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == limit
    with pytest.raises(AdmissionError) as refused:
        appeals.file_appeal(current_campaign(), sample, district_id=_district("GO-OSH"), text="again", now=now)
    assert refused.value.code == "appeal_limit_reached" and str(limit) in refused.value.message
    # A day later the parent may write again; other parents were never limited.
    appeals.file_appeal(current_campaign(), sample, district_id=_district(), text="next day",
                        now=now + timedelta(hours=24, minutes=1))
    other = create_applicant(pin="12708198301954", email="q@example.kg")
    db.session.add(other)
    appeals.file_appeal(current_campaign(), other, district_id=_district(), text="mine", now=now)


def test_r16_an_application_has_one_appeal_waiting_for_an_answer_at_a_time(sample):
    now = datetime(2026, 4, 3, 15, 0, tzinfo=BISHKEK)
    application = _application_of(sample)
    first = appeals.file_appeal(current_campaign(), sample, district_id=None, text="first", now=now,
                                application_number=application.number)
    with pytest.raises(AdmissionError) as refused:
        appeals.file_appeal(current_campaign(), sample, district_id=None, text="second", now=now,
                            application_number=application.number)
    assert refused.value.code == "appeal_already_open"
    appeals.escalate_overdue_appeals(now=now + timedelta(days=10))  # escalated is still waiting
    with pytest.raises(AdmissionError):
        appeals.file_appeal(current_campaign(), sample, district_id=None, text="third", now=now,
                            application_number=application.number)
    appeals.answer_appeal(first, answer="Checked.", user_id=None, now=now)
    appeals.file_appeal(current_campaign(), sample, district_id=None, text="after the answer", now=now,
                        application_number=application.number)


def test_r16_the_database_keeps_one_open_appeal_per_application_whatever_the_path(sample):
    from sqlalchemy.exc import IntegrityError

    now = datetime(2026, 4, 3, 15, 0, tzinfo=BISHKEK)
    application = _application_of(sample)
    for text in ("one", "two"):
        db.session.add(Appeal(campaign_id=current_campaign().id, district_id=_district(), applicant_id=sample.id,
                              application_id=application.id, text=text, status="open", created_at=now, due_at=now))
    with pytest.raises(IntegrityError):
        db.session.flush()
