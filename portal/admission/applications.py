"""Reading a parent's applications: the one with this number owned by this
parent, the child's active one, a parent's active ones, and the place in the
first-come-first-served order (R3)."""
from sqlalchemy import select

from portal.admission.errors import AdmissionError
from portal.admission.order import position  # noqa: F401  (the one figure of a place: portal.admission.order)
from portal.extensions import db
from portal.models import Application


def own_application(applicant, number, *, lock=False):
    """The application with this number owned by this applicant; `not_found` otherwise
    (whether the number exists at all is not told)."""
    query = select(Application).where(
        Application.number == number, Application.applicant_id == applicant.id
    )
    if lock:
        query = query.with_for_update()
    application = db.session.scalars(query).first()
    if application is None:
        raise AdmissionError("not_found")
    return application


def applications_of(applicant, *, newest_first=False):
    """Every application of this applicant, oldest (or newest) first."""
    order = Application.id.desc() if newest_first else Application.id
    return list(db.session.scalars(
        select(Application).where(Application.applicant_id == applicant.id).order_by(order)))


def registered_together(application):
    """R6: the active applications registered with this one as twins (itself included)."""
    if not application.twin_group:
        return [application]
    return list(db.session.scalars(
        select(Application)
        .where(Application.applicant_id == application.applicant_id,
               Application.twin_group == application.twin_group, Application.is_active.is_(True))
        .order_by(Application.id)
    ))


def active_applications_of(applicant):
    """{child PIN: active application} of this applicant."""
    return {
        application.child_pin: application
        for application in db.session.scalars(
            select(Application).where(Application.applicant_id == applicant.id, Application.is_active.is_(True))
        )
    }


def held_application(applicant, child_pin):
    """This applicant's active application for this child, or None."""
    return db.session.scalars(select(Application).where(
        Application.applicant_id == applicant.id, Application.child_pin == child_pin,
        Application.is_active.is_(True))).first()


def active_application(campaign, child_pin):
    return db.session.scalars(
        select(Application).where(
            Application.campaign_id == campaign.id,
            Application.child_pin == child_pin,
            Application.is_active.is_(True),
        )
    ).first()
