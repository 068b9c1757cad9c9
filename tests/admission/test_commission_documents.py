"""R11 (documents window) and R12 (commission decisions) in the domain layer."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.admission import campaigns, commission, documents_window, registration
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Application, OutboxMessage, School, SeatPool
from portal.notifications import render
from tests.scenario import SCENARIO, STAGE1, load_sample, release_without_documents
from tests.builders import SECRET, create_applicant

BISHKEK = timezone(timedelta(hours=6))


@pytest.fixture
def sample(app):
    app.extensions["sent_mail"] = []
    load_sample()
    return app


def _applicant(pin):
    applicant = create_applicant(pin=pin, email=f"{pin}@example.kg")
    db.session.add(applicant)
    db.session.flush()
    return applicant


def _pool(code, language):
    return db.session.scalars(select(SeatPool).join(School).where(School.code == code, SeatPool.language == language)).one()


def _register(key):
    person = SCENARIO[key]
    language = db.session.scalars(select(SeatPool.language).join(School).where(School.code == person["school_code"])).first()
    application = registration.register(_applicant(person["parent_pin"]), person["child_pin"], person["school_code"], language, now=STAGE1, secret=SECRET)
    db.session.commit()
    return application


def _decide(child_key, school_code="GB-LEN-039", language="ky", **overrides):
    person = SCENARIO[child_key]
    district_id = db.session.scalars(select(School.district_id).where(School.code == school_code)).one()
    values = dict(district_id=district_id, number="КДД-17", decided_on=date(2026, 3, 30),
                  child=commission.ChildRecord(pin=person["child_pin"]),
                  applicant=commission.NamedApplicant(name="Parent", role="parent", pin=person["parent_pin"],
                                                      phone="+996555123456"),
                  school_code=school_code, language=language, grounds="§9: the child is over 8", now=STAGE1)
    values.update(overrides)
    return campaigns.current_campaign(), values


def test_r12_a_commission_decision_admits_an_older_child_over_a_full_quota(sample):
    campaign, values = _decide("too_old")
    pool = _pool("GB-LEN-039", "ky")
    pool.taken = pool.seats
    db.session.commit()
    decision = commission.record_decision(campaign, **values, secret=SECRET)
    db.session.commit()
    application = decision.application
    assert application.status == "admitted_by_commission" and application.over_quota
    assert application.category == "commission" and [e.status for e in application.history] == ["admitted_by_commission"]
    assert _pool("GB-LEN-039", "ky").over_quota == 1


def test_r12_a_commission_decision_takes_a_free_seat_when_there_is_one(sample):
    campaign, values = _decide("no_documents")
    decision = commission.record_decision(campaign, **values, secret=SECRET)
    assert decision.application.over_quota is False and _pool("GB-LEN-039", "ky").taken == 1


def test_r12_a_commission_decides_only_for_its_own_district(sample):
    campaign, values = _decide("too_old")
    values["district_id"] += 1
    with pytest.raises(commission.CommissionRefused) as refusal:
        commission.record_decision(campaign, **values, secret=SECRET)
    assert refusal.value.code == "school_outside_district" and refusal.value.field == "school_code"


def test_r11_documents_received_keep_the_seat_and_the_rest_are_released_once(sample):
    kept = _register("stage1_parent")
    released = _register("osh_family")
    documents_window.mark_received(kept, by="school", now=STAGE1)
    db.session.commit()
    release_without_documents()  # a campaign with the 2024 policy
    campaign = campaigns.current_campaign()
    inside = datetime(2026, 9, 5, 23, 0, tzinfo=BISHKEK)
    assert documents_window.release_missing(campaign, now=inside) == []
    after = datetime(2026, 9, 6, 0, 1, tzinfo=BISHKEK)
    assert [a.number for a in documents_window.release_missing(campaign, now=after)] == [released.number]
    db.session.commit()
    assert db.session.get(Application, released.id).status == "documents_missing"
    assert db.session.get(Application, kept.id).status == "documents_received"
    assert _pool(SCENARIO["osh_family"]["school_code"], released.language).taken == 0
    assert documents_window.release_missing(campaign, now=after) == []


def test_r11_reminders_go_out_once_on_their_days(sample):
    application = _register("stage1_parent")
    campaign = campaigns.current_campaign()
    seven_days_before = datetime(2026, 8, 29, 9, 0, tzinfo=BISHKEK)
    assert documents_window.send_reminders(campaign, now=seven_days_before) == 1
    db.session.commit()
    assert documents_window.send_reminders(campaign, now=seven_days_before) == 0
    assert documents_window.send_reminders(campaign, now=seven_days_before + timedelta(days=1)) == 0
    keys = db.session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.template == "documents_reminder")).all()
    contact = application.applicant.active_contacts[0]  # one message per bound contact
    assert keys == [f"documents_reminder:{application.number}:7:c{contact.id}"]


def test_r11_in_2026_no_seat_is_released_by_itself_and_the_director_decides_per_child(sample):
    """DESIGN.md R11: the 2026 text names only the window; the release is the
    campaign's policy, off by default. After the window the director sees the
    children whose documents are missing and releases one with a reason, which
    the parent reads (and may appeal)."""
    waiting = _register("stage1_parent")
    other = _register("osh_family")
    campaign = campaigns.current_campaign()
    after = datetime(2026, 9, 6, 0, 1, tzinfo=BISHKEK)
    assert campaign.setting("release_without_documents") is False
    assert documents_window.release_missing(campaign, now=after) == []
    assert db.session.get(Application, waiting.id).status == "registered"

    inside = datetime(2026, 9, 5, 23, 0, tzinfo=BISHKEK)
    school = Application.school_id == waiting.school_id
    assert documents_window.documents_missing(campaign, within=school, now=inside) == []
    assert waiting in documents_window.documents_missing(campaign, within=school, now=after)
    assert other not in documents_window.documents_missing(campaign, within=school, now=after)
    with pytest.raises(AdmissionError):  # before the window ends: not yet
        documents_window.release_for_missing_documents(waiting, reason="x", by="school", now=inside)
    with pytest.raises(AdmissionError):  # a reason is needed
        documents_window.release_for_missing_documents(waiting, reason=" ", by="school", now=after)

    documents_window.release_for_missing_documents(waiting, reason="The family moved to Osh.", by="school",
                                                   now=after)
    db.session.commit()
    assert db.session.get(Application, waiting.id).status == "documents_missing"
    [told] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "documents_missing")).all()
    assert told.context["reason"] == "The family moved to Osh."
    assert "The family moved to Osh." in render(told)[1]
    with pytest.raises(AdmissionError):  # decided once
        documents_window.release_for_missing_documents(waiting, reason="again", by="school", now=after)


def test_r11_the_registration_mail_takes_its_dates_from_the_campaign(sample):
    campaign = campaigns.current_campaign()
    campaign.documents_from, campaign.documents_until = date(2026, 8, 10), date(2026, 9, 12)
    db.session.commit()
    application = _register("stage1_parent")
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "application_registered"))
    body = render(message)[1]  # in the parent's language
    assert "10.08.2026" in body and "12.09.2026" in body
    assert application.number in body
