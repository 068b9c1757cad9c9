"""R16 (§17): parents' electronic appeals to the district education department,
answered within 3 working days (an upheld appeal against a rejected proof
restores the application, R7, R9); R17 (§19, §21): a director adds a missing
address to the microdistrict on proof of registration."""
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.admission import proofs
from portal.admission.calendar import working_days_later
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import OPEN_APPEAL_STATUSES, Address, Appeal, Applicant, Application, MicrodistrictAddress
from portal.notifications import notify_contacts

MAX_APPEAL_CHARS = 4000


def file_appeal(campaign, applicant, *, district_id, text, now, application_number=None):
    """A parent's appeal to a district; due 3 working days later (policy).

    Refused: more than `appeal_daily_limit` appeals of the applicant in 24 hours
    (`appeal_limit_reached`), or a second appeal on an application whose first is
    not answered yet (`appeal_already_open`)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_APPEAL_CHARS:
        raise AdmissionError("validation_error")
    _check_daily_limit(campaign, applicant, now)
    application = None
    if application_number:
        application = db.session.scalars(
            select(Application).where(Application.number == application_number,
                                      Application.applicant_id == applicant.id)
        ).first()
        if application is None:
            raise AdmissionError("not_found")
        if open_appeal(application) is not None:
            raise AdmissionError("appeal_already_open")
        district_id = application.school.district_id
    if district_id is None:
        raise AdmissionError("validation_error")
    appeal = Appeal(
        campaign_id=campaign.id,
        district_id=district_id,
        applicant_id=applicant.id,
        application_id=application.id if application else None,
        text=text,
        status="open",
        created_at=now,
        due_at=working_days_later(now, campaign.setting("appeal_working_days"), campaign.holidays),
    )
    db.session.add(appeal)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request filed one on this application a moment ago (the index of migration 0010).
        raise AdmissionError("appeal_already_open") from None
    return appeal


def open_appeal(application):
    """The application's appeal that waits for an answer, if any."""
    return db.session.scalars(select(Appeal).where(
        Appeal.application_id == application.id, Appeal.status.in_(OPEN_APPEAL_STATUSES))).first()


def _check_daily_limit(campaign, applicant, now):
    # The applicant's row is held until the commit, so that parallel requests
    # count one after the other (SQLite writes one at a time anyway).
    db.session.execute(select(Applicant.id).where(Applicant.id == applicant.id).with_for_update())
    limit = campaign.setting("appeal_daily_limit")
    recent = db.session.scalar(select(func.count()).select_from(Appeal).where(
        Appeal.applicant_id == applicant.id, Appeal.created_at > now - timedelta(hours=24)))
    if recent >= limit:
        raise AdmissionError("appeal_limit_reached", limit=limit)


def answer_appeal(appeal, *, answer, user_id, now, uphold=False):
    """The district's answer. An appeal about a rejected proof (R7, R9) is upheld
    or not (`appeal.upheld`); upheld, it restores the application
    (`proofs.restore_after_appeal`: refused, with nothing saved, when it cannot)."""
    answer = (answer or "").strip()
    if not answer:
        raise AdmissionError("validation_error")
    if appeal.status == "answered":
        raise AdmissionError("not_allowed")
    if proofs.may_restore(appeal.application):
        appeal.upheld = bool(uphold)
        if uphold:
            proofs.restore_after_appeal(appeal.application, user_id=user_id, now=now, appeal_id=appeal.id)
    elif uphold:
        raise proofs.ProofRefused("not_rejected")
    appeal.answer, appeal.answered_at, appeal.answered_by_id = answer, now, user_id
    appeal.status = "answered"
    db.session.flush()
    notify_contacts(appeal.applicant.active_contacts, "appeal_answered", locale=appeal.applicant.locale,
                    key=f"appeal_answered:{appeal.id}", context={"appeal_id": appeal.id, "answer": answer},
                    application_id=appeal.application_id)
    return appeal


def escalate_overdue_appeals(*, now):
    """Appeals past their due time are marked escalated (once); returns them."""
    overdue = db.session.scalars(
        select(Appeal).where(Appeal.status == "open", Appeal.due_at < now).with_for_update(skip_locked=True)
    ).all()
    for appeal in overdue:
        appeal.status, appeal.escalated_at = "escalated", now
    db.session.flush()
    return overdue


def add_microdistrict_address(school, address_id, *, reason, user_id):
    """R17: add a missing address to the school's microdistrict, with the reason.

    The address must be a registered dwelling of the school's district.
    """
    reason = (reason or "").strip()
    if not reason:
        raise AdmissionError("validation_error")
    address = db.session.get(Address, address_id)
    if address is None or address.district_id != school.district_id:
        raise AdmissionError("validation_error")
    existing = db.session.get(MicrodistrictAddress, (school.id, address_id))
    if existing is not None:
        return existing
    entry = MicrodistrictAddress(school_id=school.id, address_id=address_id,
                                 added_reason=reason, added_by_id=user_id)
    db.session.add(entry)
    db.session.flush()
    return entry
