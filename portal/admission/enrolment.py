"""Enrolment (§19, R11, R15; issue #14): the director's order "On enrolment into
the first grade" as a record, and what issuing it does.

§19 has the director check the documents before enrolment, and R11 says only
children whose documents were received go into the order. So an order, issued
from a locked class list, takes the children placed in a class whose status is
`documents_received`, and makes them `enrolled` (status.change_status) in the
same transaction as the order's record (number, date, and per child the class
or the reason it was not taken). Every other child of the school's list is
listed apart with the reason: documents not received yet, admitted after the
lock (in no class), or an application that ended.

The first order of a school and campaign is the order; every later one is a
supplementary order (after a district reopened the list and the director locked
it again, or once more documents came): it takes the children the earlier
orders did not enrol. An issued order is never changed (the database refuses
it, migration 0013); its document is rendered from the record
(`enrolment_order.build_order`) whenever it is printed.

Each child enrolled is told (`mail/enrolled`, every bound contact).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.admission import class_lists
from portal.admission.errors import Refusal
from portal.admission.status import change_status
from portal.extensions import db
from portal.models import EnrolmentOrder, EnrolmentOrderEntry
from portal.notifications import notify_applicant

NUMBER_MAX = 50

# Why a child of the school's list is not enrolled by an order (stored in the entry).
NOT_TAKEN = {
    "documents_not_received": _l("The documents have not been received yet (§19, §21)"),
    "not_in_class": _l("Admitted after the class list was locked: not placed in a class yet"),
    "cancelled": _l("The application was cancelled"),
    "documents_missing": _l("The documents were not submitted: the seat was released"),
    "transferred_to_special_school": _l("Transferred to a special school"),
    "proof_rejected": _l("The proof was rejected: the seat was released"),
}
WAITING_FOR_DOCUMENTS = ("registered", "admitted_by_commission")

MESSAGES = {
    "class_list_not_locked": class_lists.MESSAGES["class_list_not_locked"],
    "order_number_required": _l("Give the order a number (at most 50 characters) and a date."),
    "order_number_taken": _l("The school already has an order with this number: give another number."),
    "nothing_to_enrol": _l("No child can be enrolled now: an order takes only children placed in a class whose "
                           "documents were received."),
}


class EnrolmentRefused(Refusal):
    MESSAGES = MESSAGES


@dataclass
class Taken:
    application: object  # Application
    class_set: object  # ClassSet


@dataclass
class Apart:
    application: object  # Application
    reason: str  # a code of NOT_TAKEN

    @property
    def reason_text(self):
        return NOT_TAKEN[self.reason]


@dataclass
class Plan:
    """What an order issued now would do: the children it enrols and those listed apart."""
    taken: list  # Taken, by class then name
    apart: list  # Apart, by name
    supplementary: bool


def orders(campaign, school_id):
    """The school's orders, the first (the order) first."""
    return db.session.scalars(select(EnrolmentOrder).where(
        EnrolmentOrder.campaign_id == campaign.id, EnrolmentOrder.school_id == school_id)
        .order_by(EnrolmentOrder.sequence)).all()


def plan(campaign, school_id):
    """The children an order issued now takes, and those it lists apart (with the reason)."""
    views = class_lists.school_classes(campaign, school_id)
    enrolled = class_lists.enrolled_by_order(campaign, school_id)
    in_earlier = set(db.session.scalars(select(EnrolmentOrderEntry.application_id).where(
        EnrolmentOrderEntry.school_id == school_id,
        EnrolmentOrderEntry.order.has(campaign_id=campaign.id))))
    taken, apart = [], []
    for language in views:
        for class_view in language.classes:
            for child in class_view.children:
                if child.id in enrolled:
                    continue
                if child.status == "documents_received":
                    taken.append(Taken(child, class_view.class_set))
                elif child.status in WAITING_FOR_DOCUMENTS:
                    apart.append(Apart(child, "documents_not_received"))
                elif child.status in NOT_TAKEN and child.id not in in_earlier:
                    apart.append(Apart(child, child.status))  # ended: listed once, by the first order after
        for child in language.not_placed:
            if child.id not in enrolled:
                apart.append(Apart(child, "not_in_class"))
    apart.sort(key=lambda item: (item.application.child_last_name, item.application.child_first_name,
                                 item.application.child_patronymic, item.application.id))
    return Plan(taken, apart, supplementary=bool(orders(campaign, school_id)))


def issue_order(campaign, school, *, number, order_date, staff_id, now):
    """Issue the school's (supplementary) enrolment order: store it with its number and
    date, enrol its children and tell their parents, all in the caller's transaction."""
    number = (number or "").strip()
    if not number or len(number) > NUMBER_MAX or order_date is None:
        raise EnrolmentRefused("order_number_required")
    row = class_lists.class_list(campaign, school.id, for_update=True)  # one issue at a time per school
    if row is None or not row.locked:
        raise EnrolmentRefused("class_list_not_locked")
    if db.session.scalar(select(EnrolmentOrder.id).where(
            EnrolmentOrder.campaign_id == campaign.id, EnrolmentOrder.school_id == school.id,
            EnrolmentOrder.number == number)) is not None:
        raise EnrolmentRefused("order_number_taken")
    what = plan(campaign, school.id)
    if not what.taken:
        raise EnrolmentRefused("nothing_to_enrol")
    sequence = (db.session.scalar(select(func.max(EnrolmentOrder.sequence)).where(
        EnrolmentOrder.campaign_id == campaign.id, EnrolmentOrder.school_id == school.id)) or 0) + 1
    order = EnrolmentOrder(campaign_id=campaign.id, school_id=school.id, sequence=sequence, number=number,
                           order_date=order_date, issued_at=now, issued_by_id=staff_id)
    db.session.add(order)
    db.session.flush()
    for item in what.taken:
        db.session.add(EnrolmentOrderEntry(order_id=order.id, school_id=school.id,
                                           application_id=item.application.id, class_set_id=item.class_set.id))
    for item in what.apart:
        db.session.add(EnrolmentOrderEntry(order_id=order.id, school_id=school.id,
                                           application_id=item.application.id, reason=item.reason))
    db.session.flush()
    for item in what.taken:
        application = item.application
        change_status(application, "enrolled", by="school", note=f"order {number} of {order_date.isoformat()}")
        notify_applicant(application.applicant, "enrolled", application, extra={
            "order_number": number, "order_date": order_date.strftime("%d.%m.%Y"),
            "class_name": class_lists.class_name(item.class_set)})
    db.session.flush()
    return order
