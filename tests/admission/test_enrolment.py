"""Enrolment (§19, R11, R15; issue #14): the order takes only children whose
documents were received and makes them `enrolled` with its record; the others
are listed apart with the reason; a list is locked only once the documents
window has opened (Bishkek's date); a district reopens a locked list with a
reason, and a supplementary order enrols the children admitted after the lock."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal.admission import class_lists, enrolment, enrolment_order
from portal.admission.class_lists import ClassListRefused
from portal.admission.documents_window import mark_received
from portal.admission.enrolment import EnrolmentRefused
from portal.audit import acting_as
from portal.extensions import db
from portal.models import (
    ApplicationEvent,
    AuditEntry,
    ClassListReopening,
    EnrolmentOrder,
    EnrolmentOrderEntry,
    OutboxMessage,
)
from tests import builders
from tests.admission.test_class_formation import NOW, School
from tests.admission.test_enrolment_order import pdf_text

ORDER_DATE = date(2026, 8, 28)
LATER = datetime(2026, 9, 2, 5, 0, tzinfo=timezone.utc)


def received(school, **kwargs):
    child = school.admit(**kwargs)
    return mark_received(child, by="school", now=NOW)


def issue(school, number="47-Б", *, now=NOW, order_date=ORDER_DATE):
    return enrolment.issue_order(school.campaign, school.school, number=number, order_date=order_date,
                                 staff_id=school.director.id, now=now)


def history(application):
    return [event.status for event in db.session.scalars(
        select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.id))]


def mails(template):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)).all()


def test_r11_a_child_walks_from_registered_to_enrolled_by_the_order(app):
    school = School()
    child = school.admit(sex="F")
    assert child.status == "registered"
    mark_received(child, by="school", now=NOW)
    school.distribute()
    school.lock()
    order = issue(school)
    db.session.commit()

    db.session.expire_all()
    assert child.status == "enrolled" and child.is_active
    assert history(child)[-2:] == ["documents_received", "enrolled"]
    stored = db.session.scalars(select(EnrolmentOrder)).one()
    assert (stored.number, stored.order_date, stored.sequence, stored.supplementary) == ("47-Б", ORDER_DATE, 1,
                                                                                         False)
    assert [(entry.application_id, entry.reason) for entry in stored.entries] == [(child.id, None)]
    assert stored.entries[0].class_set_id == school.placed()[child.id]
    # The parent is told, at every bound contact, with the order and the class.
    [mail] = mails("enrolled")
    assert mail.recipient == child.applicant.contacts[0].address
    assert mail.context["order_number"] == "47-Б" and mail.context["order_date"] == "28.08.2026"
    assert mail.context["class_name"] == "1-А" and mail.context["number"] == child.number
    assert order.id == stored.id


def test_r11_a_child_without_documents_is_listed_apart_and_not_enrolled(app):
    school = School()
    with_documents = received(school)
    without = school.admit()
    school.distribute()
    school.lock()
    plan = enrolment.plan(school.campaign, school.school.id)
    assert [item.application for item in plan.taken] == [with_documents]
    assert [(item.application, item.reason) for item in plan.apart] == [(without, "documents_not_received")]
    order = issue(school)
    db.session.commit()
    db.session.expire_all()
    assert without.status == "registered" and "enrolled" not in history(without)
    assert with_documents.status == "enrolled"
    assert {(entry.application_id, entry.reason) for entry in order.entries} == {
        (with_documents.id, None), (without.id, "documents_not_received")}
    assert [mail.context["number"] for mail in mails("enrolled")] == [with_documents.number]
    # The document lists the child apart, with the reason in the order's language.
    for language, reason in (("ky", "Документтер азырынча кабыл алына элек"),
                             ("ru", "Документы ещё не получены")):
        document = enrolment_order.build_order(order, language=language)
        text = " ".join(pdf_text(enrolment_order.order_pdf(document)).split())  # table cells wrap
        assert enrolment_order.full_name(without) in text and reason in text
        assert [row[1] for row in document.apart] == [enrolment_order.full_name(without)]
        assert all(enrolment_order.full_name(without) not in row[1]
                   for order_class in document.classes for row in order_class.rows)


def test_r11_an_order_enrols_nobody_when_no_documents_came(app):
    school = School()
    school.admit()
    school.distribute()
    school.lock()
    with pytest.raises(EnrolmentRefused) as refusal:
        issue(school)
    assert refusal.value.code == "nothing_to_enrol"
    assert db.session.scalars(select(EnrolmentOrder)).all() == []


def test_r11_a_refused_order_enrols_nobody(app):
    """The order's record and the statuses go together: a refusal keeps neither."""
    school = School()
    first, second = received(school), received(school)
    school.distribute()
    school.lock()
    issue(school, "5")
    db.session.commit()
    class_lists.reopen(school.campaign, school.school.id, reason="late twin", staff_id=None, now=LATER)
    late = received(school)
    school.distribute()
    class_lists.lock(school.campaign, school.school.id, school.director.id, now=LATER)
    db.session.commit()
    with pytest.raises(EnrolmentRefused) as refusal:
        issue(school, "5", now=LATER)  # the number of the first order again
    assert refusal.value.code == "order_number_taken"
    db.session.rollback()
    assert late.status == "documents_received" and len(enrolment.orders(school.campaign, school.school.id)) == 1
    assert {first.status, second.status} == {"enrolled"}


@pytest.mark.parametrize("moment, allowed", [
    # 23:30 in Bishkek on 3 August: the window opens on the 4th.
    (datetime(2026, 8, 3, 17, 30, tzinfo=timezone.utc), False),
    # 00:30 in Bishkek on 4 August, while the UTC date is still the 3rd.
    (datetime(2026, 8, 3, 18, 30, tzinfo=timezone.utc), True),
])
def test_r15_a_list_is_locked_only_once_the_documents_window_has_opened_in_bishkek(app, moment, allowed):
    school = School()
    school.admit()
    school.distribute()
    lock = lambda: class_lists.lock(school.campaign, school.school.id, school.director.id, now=moment)  # noqa: E731
    if allowed:
        assert lock().locked
        return
    with pytest.raises(ClassListRefused) as refusal:
        lock()
    assert refusal.value.code == "documents_window_not_open" and "04.08.2026" in refusal.value.message
    assert not class_lists.is_locked(school.campaign, school.school.id)


def test_r15_the_district_reopens_and_a_supplementary_order_enrols_a_late_twin(app):
    school = School()
    first = received(school, twin_group="TW1", sex="F")
    others = [received(school) for _ in range(3)]
    school.distribute()
    school.lock()
    original = issue(school, "12")
    db.session.commit()
    before = {entry.application_id: entry.class_set_id for entry in original.entries}

    # The twin of `first`, admitted after the lock (R6), is in no class.
    late = builders.create_application(campaign=school.campaign, school=school.school,
                                       status="admitted_by_commission")
    late.twin_group, late.child_sex = "TW1", "M"
    db.session.flush()
    mark_received(late, by="school", now=LATER)
    assert class_lists.school_classes(school.campaign, school.school.id)[0].not_placed == [late]
    with pytest.raises(ClassListRefused):
        school.distribute()  # still locked

    district_user = builders.create_staff_user(role="district", district=school.school.district)
    db.session.flush()
    with acting_as(f"staff:{district_user.id}", district_user.id):
        reopening = class_lists.reopen(school.campaign, school.school.id, reason="Twin admitted on 1 September",
                                       staff_id=district_user.id, now=LATER)
        db.session.commit()
    assert not class_lists.is_locked(school.campaign, school.school.id)
    stored = db.session.scalars(select(ClassListReopening)).one()
    assert stored.reason == "Twin admitted on 1 September" and stored.reopened_by_id == district_user.id
    assert stored.lock_lifted_at is not None and reopening.id == stored.id
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "class_list_reopenings")).one()
    assert entry.action == "insert" and entry.after["reason"] == "Twin admitted on 1 September"
    assert entry.actor_user_id == district_user.id and entry.school_id == school.school.id

    # Those enrolled keep their classes; the twin joins its sibling's class.
    with pytest.raises(ClassListRefused) as refusal:
        class_lists.move(school.campaign, others[0], school.class_sets[1], now=LATER)
    assert refusal.value.code == "child_in_order"
    school.distribute()
    placed = school.placed()
    assert all(placed[child_id] == class_set_id for child_id, class_set_id in before.items())
    assert placed[late.id] == placed[first.id]
    class_lists.lock(school.campaign, school.school.id, school.director.id, now=LATER)
    supplementary = issue(school, "12-д", now=LATER, order_date=date(2026, 9, 2))
    db.session.commit()

    db.session.expire_all()
    assert late.status == "enrolled" and mails("enrolled")[-1].context["number"] == late.number
    assert supplementary.sequence == 2 and supplementary.supplementary
    assert [(entry.application_id, entry.reason) for entry in supplementary.entries] == [(late.id, None)]
    # The original order is kept as issued.
    assert {entry.application_id: entry.class_set_id for entry in original.entries} == before
    ky = enrolment_order.build_order(supplementary, language="ky")
    ru = enrolment_order.build_order(supplementary, language="ru")
    assert "№ 12" in ky.supplement and "(дополнительный приказ)" in ru.title and "№ 12 от" in ru.supplement
    assert [row[1] for order_class in ru.classes for row in order_class.rows] == [enrolment_order.full_name(late)]


def test_r15_a_reopening_needs_a_reason_and_a_locked_list(app):
    school = School()
    received(school)
    school.distribute()
    with pytest.raises(ClassListRefused) as refusal:
        class_lists.reopen(school.campaign, school.school.id, reason="why", staff_id=None, now=LATER)
    assert refusal.value.code == "reopen_not_locked"
    school.lock()
    for reason in ("", "   ", "x" * 1001):
        with pytest.raises(ClassListRefused) as refusal:
            class_lists.reopen(school.campaign, school.school.id, reason=reason, staff_id=None, now=LATER)
        assert refusal.value.code == "reopen_reason_required"
    assert class_lists.is_locked(school.campaign, school.school.id)


@pytest.mark.parametrize("statement", [
    "UPDATE enrolment_orders SET number = 'forged'",
    "DELETE FROM enrolment_order_entries",
    "UPDATE class_list_reopenings SET reason = 'forged'",
    # A lock lifted without a reopening naming it (the reopening lifted the previous lock).
    "UPDATE class_lists SET locked_at = NULL, locked_by_id = NULL",
])
def test_r15_orders_and_reopenings_are_kept_as_issued_by_the_database(app, statement):
    school = School()
    received(school)
    school.distribute()
    school.lock()
    issue(school)
    class_lists.reopen(school.campaign, school.school.id, reason="late", staff_id=None, now=LATER)
    class_lists.lock(school.campaign, school.school.id, school.director.id, now=LATER)
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalars(select(EnrolmentOrder.number)).all() == ["47-Б"]
    assert len(db.session.scalars(select(EnrolmentOrderEntry)).all()) == 1
    assert class_lists.is_locked(school.campaign, school.school.id)
