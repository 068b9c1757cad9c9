"""Every status change a person causes tells the applicant (issue 14, item 7):
each transition of `status.TRANSITIONS` is driven by the domain action that
causes it, and the parent's message must be in the outbox, at every contact
(e-mail and SMS), naming the application."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.admission import cancelling, class_lists, documents_window, enrolment, proofs, referrals
from portal.admission.status import TRANSITIONS
from portal.extensions import db
from portal.models import ApplicantContact, ApplicationEvent, ClassSet, Document, OutboxMessage
from tests.builders import create_applicant, create_application, create_campaign, create_seat_pool

BISHKEK = timezone(timedelta(hours=6))
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=BISHKEK)
AFTER_WINDOW = datetime(2026, 9, 7, 12, 0, tzinfo=BISHKEK)

# Every transition is driven here (the commission's decision, which creates an
# application rather than changing one, is walked in tests/admission/test_lifecycle.py).
OWNED_ELSEWHERE = set()
# Transitions that no person (and no job) causes today.
CAUSED_BY_NOBODY = set()


def _owner(source, target):
    if target in ("enrolled", "transferred_to_special_school") and source != "proof_rejected":
        return target
    return None


@pytest.fixture
def world(app):
    campaign = create_campaign(now=NOW, stage1_opens=NOW - timedelta(days=9),
                               documents_from=datetime(2026, 8, 4).date(),
                               documents_until=datetime(2026, 9, 5).date())
    pool = create_seat_pool(campaign=campaign, seats=25, taken=5)
    db.session.flush()
    return campaign, pool


def _application(world, status):
    campaign, pool = world
    applicant = create_applicant(phone="+996700123456")  # the builder gives the phone only; add an e-mail too
    applicant.contacts.append(ApplicantContact(channel="email", address=f"{applicant.pin}@example.kg"))
    application = create_application(campaign=campaign, school=pool.school, applicant=applicant, status=status)
    db.session.add(ApplicationEvent(application=application, status=status, by="test"))
    db.session.flush()
    return application


def _with_proof(application):
    document = Document(application_id=application.id, owner_pin=application.applicant.pin,
                        kind="representative_act", original_name="act.pdf", content_type="application/pdf",
                        size_bytes=1, sha256="0" * 64, storage_key=f"k-{application.number}")
    db.session.add(document)
    db.session.flush()
    application.proof_document_id = document.id
    db.session.flush()
    return document


def _reject(application):
    document = application.proof_document or _with_proof(application)
    proofs.reject_proof(document, reason="not_valid", note="The act is out of date.", user_id=None, now=NOW)


def _drive(world, source, target):
    """Bring an application to `source`, then cause `source -> target` as a person does."""
    if source == "proof_rejected":
        application = _application(world, target)
        _reject(application)
        db.session.flush()
        db.session.execute(OutboxMessage.__table__.delete())  # the rejection's own message: not this one
        proofs.restore_after_appeal(application, user_id=None, now=NOW, appeal_id=1)
        return application
    application = _application(world, source)
    if target == "documents_received":
        documents_window.mark_received(application, by="school", now=NOW)
    elif target == "cancelled":
        cancelling.cancel(application.applicant, application.number, now=NOW)
    elif target == "documents_missing":
        documents_window.release_for_missing_documents(application, reason="No documents came.", by="school",
                                                       now=AFTER_WINDOW)
    elif target == "proof_rejected":
        _reject(application)
    elif target == "transferred_to_special_school":
        referrals.refer_to_special_school(application, conclusion_number="ПМПК-3", conclusion_date=NOW.date(),
                                          now=NOW)
    elif target == "enrolled":
        campaign, pool = world
        db.session.add(ClassSet(campaign=campaign, school=pool.school, number=1, language=pool.language, seats=25))
        db.session.flush()
        class_lists.distribute(campaign, pool.school_id, pool.language, now=AFTER_WINDOW)
        class_lists.lock(campaign, pool.school_id, None, now=AFTER_WINDOW)
        enrolment.issue_order(campaign, pool.school, number="1", order_date=AFTER_WINDOW.date(), staff_id=None,
                              now=AFTER_WINDOW)
    else:
        raise AssertionError(f"no action drives {source} -> {target}")
    return application


CASES = sorted((source, target) for source, targets in TRANSITIONS.items() for target in targets
               if _owner(source, target) not in OWNED_ELSEWHERE and (source, target) not in CAUSED_BY_NOBODY)


@pytest.mark.parametrize("source, target", CASES)
def test_every_status_change_a_person_causes_tells_the_applicant_at_every_contact(world, source, target):
    application = _drive(world, source, target)
    assert application.status == target
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.application_id == application.id)).all()
    assert {(m.channel, m.recipient) for m in messages} == {(c.channel, c.address)
                                                            for c in application.applicant.active_contacts}
    assert all(m.locale == application.applicant.locale for m in messages)


def test_the_table_is_walked_whole():
    every = {(s, t) for s, targets in TRANSITIONS.items() for t in targets}
    skipped = {(s, t) for s, t in every if _owner(s, t) in OWNED_ELSEWHERE} | CAUSED_BY_NOBODY
    assert set(CASES) | skipped == every and not set(CASES) & skipped


def test_only_the_director_releases_a_commission_admission_for_missing_documents(world):
    """R11, R12: the decision stands on its own grounds: the job never releases it, even
    where the policy is on; the director may, per child, with a reason (the case above)."""
    campaign, _pool = world
    application = _application(world, "admitted_by_commission")
    assert documents_window.may_release_for_missing_documents(application, AFTER_WINDOW)
    campaign.policy = {"release_without_documents": True}
    assert documents_window.release_missing(campaign, now=AFTER_WINDOW) == []
    assert application.status == "admitted_by_commission"
