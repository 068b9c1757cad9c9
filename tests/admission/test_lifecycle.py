"""One child through every path of the 2026 lifecycle (issue 14), with the sample's
people and the real rules, each status change with its message to the parent:

- registered -> documents received -> enrolled by the school's order;
- documents missing after the window -> the director's release with a reason -> an appeal
  answered by the district;
- a commission's admission of a child without a PIN, later joined to the PIN;
- a referral to a special school on the ПМПК conclusion;
- twins and a teacher's child admitted after the lock, the list reopened by the
  district, a supplementary order.
"""
from datetime import date, datetime

from sqlalchemy import select

from portal.admission import (
    appeals,
    campaigns,
    class_lists,
    commission,
    documents_window,
    enrolment,
    referrals,
    registration,
)
from portal.extensions import db
from portal.models import Application, ApplicationEvent, OutboxMessage, School, StaffUser
from tests.builders import SECRET, create_applicant
from tests.scenario import BISHKEK, SCENARIO, STAGE1

IN_WINDOW = datetime(2026, 8, 10, 10, 0, tzinfo=BISHKEK)  # stage 2, documents window open
LATER_IN_WINDOW = datetime(2026, 8, 20, 10, 0, tzinfo=BISHKEK)
AFTER_WINDOW = datetime(2026, 9, 7, 10, 0, tzinfo=BISHKEK)
STAFF = SCENARIO["staff"]


def _school(code):
    return db.session.scalars(select(School).where(School.code == code)).one()


def _staff(email):
    return db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()


def _parent(who):
    pin = SCENARIO[who]["parent_pin"]
    return create_applicant(pin=pin, email=f"{pin}@example.kg", phone="+996700" + pin[-6:])


def _told(application, template):
    """The messages of `template` about this application, one per bound contact."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.application_id == application.id,
                                                          OutboxMessage.template == template)).all()
    contacts = {(c.channel, c.address) for c in application.applicant.active_contacts}
    return {(m.channel, m.recipient) for m in rows} == contacts and len(contacts) > 0


def _statuses(application):
    return [e.status for e in db.session.scalars(select(ApplicationEvent).where(
        ApplicationEvent.application_id == application.id).order_by(ApplicationEvent.id))]


def _register(who, *, now=STAGE1, school=None, **extra):
    person = SCENARIO[who]
    code = school or person["school_code"]
    language = "ky"
    return registration.register(_parent(who), person["child_pin"], code, language, now=now, secret=SECRET,
                                 **extra)


def _lock(school, now=LATER_IN_WINDOW):
    campaign = campaigns.current_campaign()
    for language in ("ky", "ru"):
        class_lists.distribute(campaign, school.id, language, now=now)
    class_lists.lock(campaign, school.id, _staff(STAFF["director_a"]).id, now=now)


def test_registered_documents_enrolled_by_the_order(sample):
    child = _register("stage1_parent")
    assert child.status == "registered" and _told(child, "application_registered")
    documents_window.mark_received(child, by="school", now=IN_WINDOW)
    assert _told(child, "documents_received")
    school = _school(SCENARIO["stage1_parent"]["school_code"])
    _lock(school)
    enrolment.issue_order(campaigns.current_campaign(), school, number="12-Б", order_date=date(2026, 8, 28),
                          staff_id=_staff(STAFF["director_a"]).id, now=LATER_IN_WINDOW)
    db.session.commit()
    assert child.status == "enrolled" and _told(child, "enrolled")
    assert _statuses(child) == ["registered", "documents_received", "enrolled"]


def test_documents_missing_the_directors_release_then_an_appeal(sample):
    child = _register("canceller")
    campaign = campaigns.current_campaign()
    assert documents_window.documents_missing(campaign, within=Application.id > 0, now=AFTER_WINDOW) == [child]
    documents_window.release_for_missing_documents(child, reason="The documents did not come.", by="school",
                                                   now=AFTER_WINDOW)
    assert (child.status, child.is_active) == ("documents_missing", False) and _told(child, "documents_missing")
    appeal = appeals.file_appeal(campaign, child.applicant, district_id=None, text="We were away; please.",
                                 now=AFTER_WINDOW, application_number=child.number)
    appeals.answer_appeal(appeal, answer="The school will take the documents by 15 September.",
                          user_id=_staff(STAFF["district_a"]).id, now=AFTER_WINDOW)
    db.session.commit()
    assert _told(child, "appeal_answered")
    assert _statuses(child) == ["registered", "documents_missing"]


def test_a_commission_admits_a_child_without_a_pin_and_the_record_is_joined_later(sample):
    school = _school(SCENARIO["stage1_parent"]["school_code"])
    decision = commission.record_decision(
        campaigns.current_campaign(), district_id=school.district_id, number="КДД-5", decided_on=date(2026, 8, 3),
        school_code=school.code, language="ky", grounds="§9: the child has no documents", now=IN_WINDOW,
        secret=SECRET,
        child=commission.ChildRecord(last_name="Асанова", first_name="Айзада", birth_date=date(2019, 5, 4),
                                     sex="F"),
        applicant=commission.NamedApplicant(name="Жумабаева Гүлнара", role="child_protection",
                                            phone="0555 123 456", locale="ru"))
    db.session.commit()
    child = decision.application
    assert child.status == "admitted_by_commission" and commission.is_temporary(child.child_pin)
    assert _told(child, "commission_decision")
    documents_window.mark_received(child, by="school", now=IN_WINDOW)
    assert child.status == "documents_received" and _told(child, "documents_received")


def test_a_referral_to_a_special_school_releases_the_seat_and_tells_the_parent(sample):
    child = _register("stage1_parent")
    pool_taken_before = db.session.execute(select(Application).where(
        Application.school_id == child.school_id, Application.is_active.is_(True))).all()
    referrals.refer_to_special_school(child, conclusion_number="ПМПК-17", conclusion_date=date(2026, 5, 12),
                                      now=IN_WINDOW)
    db.session.commit()
    assert (child.status, child.is_active) == ("transferred_to_special_school", False)
    assert _told(child, "transferred_to_special_school")
    assert len(pool_taken_before) == 1 and db.session.execute(select(Application).where(
        Application.school_id == child.school_id, Application.is_active.is_(True))).all() == []


def test_twins_and_a_teachers_child_after_the_lock_a_reopened_list_and_a_supplementary_order(sample):
    campaign = campaigns.current_campaign()
    first = _register("stage1_parent")
    documents_window.mark_received(first, by="school", now=IN_WINDOW)
    school = _school(SCENARIO["stage1_parent"]["school_code"])
    _lock(school, now=IN_WINDOW)
    enrolment.issue_order(campaign, school, number="12-Б", order_date=date(2026, 8, 12),
                          staff_id=_staff(STAFF["director_a"]).id, now=IN_WINDOW)
    # Admitted after the lock: twins (R6) in stage 2 at the same school.
    twins = SCENARIO["twins"]
    assert twins["school_code"] == school.code
    pair = registration.register_together(_parent("twins"), twins["child_pins"], school.code, "ky",
                                          now=LATER_IN_WINDOW, secret=SECRET)
    for twin in pair:
        documents_window.mark_received(twin, by="school", now=LATER_IN_WINDOW)
    assert not any(twin.id in class_lists.placements(campaign, school.id) for twin in pair)
    class_lists.reopen(campaign, school.id, reason="Twins admitted after the lock (§25).",
                       staff_id=_staff(STAFF["district_a"]).id, now=LATER_IN_WINDOW)
    _lock(school)
    supplementary = enrolment.issue_order(campaign, school, number="12-Б/1", order_date=date(2026, 8, 21),
                                          staff_id=_staff(STAFF["director_a"]).id, now=LATER_IN_WINDOW)
    db.session.commit()
    assert supplementary.supplementary
    assert [twin.status for twin in pair] == ["enrolled", "enrolled"]
    assert all(_told(twin, "enrolled") for twin in pair) and first.status == "enrolled"
    # The teacher's child (R7), at the teacher's school, after its lock, the same way.
    teacher = SCENARIO["teacher"]
    teachers_school = _school(teacher["school_code"])
    neighbour = _register("canceller", now=IN_WINDOW, school=teachers_school.code)  # stage 2: any school
    documents_window.mark_received(neighbour, by="school", now=IN_WINDOW)
    _lock(teachers_school, now=IN_WINDOW)
    child = _register("teacher", now=LATER_IN_WINDOW, category="teacher")
    assert child.over_quota and _told(child, "application_registered")
    documents_window.mark_received(child, by="school", now=LATER_IN_WINDOW)
    class_lists.reopen(campaign, teachers_school.id, reason="A teacher's child admitted after the lock (§24).",
                       staff_id=_staff(STAFF["district_a"]).id, now=LATER_IN_WINDOW)
    _lock(teachers_school)
    enrolment.issue_order(campaign, teachers_school, number="7", order_date=date(2026, 8, 21),
                          staff_id=_staff(STAFF["director_a"]).id, now=LATER_IN_WINDOW)
    db.session.commit()
    assert child.status == "enrolled" and _told(child, "enrolled")
