"""R16 appeals with their 3-working-day deadline; R17 adding a missing address."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.admission import appeals
from portal.admission.errors import AdmissionError
from portal.admission.registration import current_campaign
from portal.extensions import db
from portal.models import Address, MicrodistrictAddress, OutboxMessage, School
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
    # Friday + 3 working days = Wednesday 8 April, end of day.
    assert appeal.due_at.astimezone(BISHKEK).date().isoformat() == "2026-04-08"
    assert appeals.escalate_overdue_appeals(now=friday + timedelta(days=4)) == []
    late = datetime(2026, 4, 9, 0, 1, tzinfo=BISHKEK)
    assert [a.id for a in appeals.escalate_overdue_appeals(now=late)] == [appeal.id]
    assert appeals.escalate_overdue_appeals(now=late) == []


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
