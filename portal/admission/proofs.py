"""R7, R9: the director's check of an uploaded proof, and what a rejection does.

A teacher's child whose parent the teacher registry lists at that school is
admitted over the quota at once (R7, `registration.register`). A child admitted
on an uploaded proof only (a certificate of work as a teacher, R7; the act
that makes the applicant a legal representative, R9) carries that document as
`Application.proof_document_id` and awaits the director's check, which §18
allows "until 30 August of the current year" (policy `proof_check_until`,
`calendar.proof_check_deadline`).

A rejection names a reason from a fixed list plus the director's own words,
and ends what the proof gave:

- a teacher's child keeps a normal seat where the normal rules give one: the
  school is in the stage-1 catchment of the applicant or the other parent (or
  stage 2 has opened), and a seat is free in that language, taken by the same
  conditional UPDATE as a registration (`seats.take_seat`); else
- the application ends as `proof_rejected` and its seat is released;
- a legal representative's rejected act ends the application: nothing else
  made the applicant the one who may register the child.

The parent is told why and how to appeal (R16). An upheld appeal restores the
application (`restore_after_appeal`): its status back, over the quota as before.
Every function flushes; the caller commits. The audit trail records the
document (who checked it, the reason) and the application.
"""
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.admission import claims, seats
from portal.admission.calendar import proof_check_deadline, stage_at
from portal.admission.errors import MESSAGES as ADMISSION_MESSAGES
from portal.admission.errors import AdmissionError, Refusal
from portal.admission.applications import active_application
from portal.admission.family import catchment_school_ids, family_of
from portal.admission.status import change_status
from portal.extensions import db
from portal.models import Application, ApplicationEvent, ClaimedChild, Document
from portal.notifications import notify_applicant

PROOF_KINDS = ("teacher_proof", "representative_act")
# What the director checks of a child the parent added (`claims`): the original birth certificate.
CLAIMED_CHILD = "claimed_child"
# The reasons a director may give, per kind of proof (their words: portal/labels.py).
REASONS = {
    "teacher_proof": ("unreadable", "other_person", "not_valid", "not_a_teacher_of_the_school", "other"),
    "representative_act": ("unreadable", "other_person", "not_valid", "not_an_accepted_act", "other"),
    CLAIMED_CHILD: ("not_shown", "other_person", "not_valid", "other"),
}
MAX_NOTE_CHARS = 1000

MESSAGES = {
    "not_a_proof": _l("This document is not a proof that the director checks."),
    "already_checked": _l("This proof has already been checked."),
    "check_closed": _l("The time for checking proofs ended on %(date)s: the admission stands."),
    "reason_required": _l("Choose the reason for the rejection."),
    "note_required": _l("Explain the rejection to the parent in a few words (at most %(limit)s characters)."),
    "not_rejected": _l("This application has no rejected proof to restore."),
    "claim_not_pending": _l("This application does not await the check of a birth certificate."),
    "claim_shown_by_registry": _l(
        "The population registry now shows this child as the applicant's: there is nothing left to check."),
    "already_registered": ADMISSION_MESSAGES["already_registered"],
    "registry_unavailable": ADMISSION_MESSAGES["registry_unavailable"],
    "not_allowed": ADMISSION_MESSAGES["not_allowed"],
}

# What a rejection did to an application.
KEPT_NORMAL_SEAT, ENDED = "kept_normal_seat", "ended"


class ProofRefused(Refusal):
    MESSAGES = MESSAGES


def awaiting_check(application):
    """The admission rests on a proof the director has not checked yet."""
    document = application.proof_document
    return application.is_active and document is not None and document.verification == "pending"


def awaiting_claim_check(application):
    """The child was added by the parent and the original certificate is not checked yet."""
    return claims.unverified_claim_of(application) is not None


def resting_on(document, *, lock=False):
    """The applications admitted on this proof (twins registered together share one act)."""
    query = select(Application).where(Application.proof_document_id == document.id).order_by(Application.id)
    if lock:  # and read afresh: a parent may have cancelled since the page was loaded
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(query).all()


def _pending(campaign, within):
    return (Application.proof_document_id == Document.id, Application.campaign_id == campaign.id,
            Application.is_active.is_(True), Document.verification == "pending", within)


def _pending_claims(campaign, within):
    return (ClaimedChild.applicant_id == Application.applicant_id, ClaimedChild.child_pin == Application.child_pin,
            ClaimedChild.state == "unverified", Application.campaign_id == campaign.id,
            Application.is_active.is_(True), within)


def pending_checks(campaign, *, within, limit=None):
    """The queue of the directors: (Application, Document) of every active admission
    awaiting its check, and (Application, ClaimedChild) of every active admission of
    a child the parent added whose certificate awaits it, `within` the caller's scope
    (an SQL condition on Application), oldest first (upload or claim)."""
    documents = db.session.execute(
        select(Application, Document).where(*_pending(campaign, within))
        .order_by(Document.uploaded_at, Document.id, Application.id).limit(limit)
    ).all()
    claimed = db.session.execute(
        select(Application, ClaimedChild).where(*_pending_claims(campaign, within))
        .order_by(ClaimedChild.created_at, ClaimedChild.id, Application.id).limit(limit)
    ).all()
    rows = sorted(documents + claimed, key=lambda row: (_since(row[1]), row[0].id))
    return rows[:limit] if limit is not None else rows


def _since(item):
    return item.created_at if isinstance(item, ClaimedChild) else item.uploaded_at


def count_pending_checks(campaign, *, within):
    return (db.session.scalar(select(func.count(Application.id)).where(*_pending(campaign, within)))
            + db.session.scalar(select(func.count(Application.id)).where(*_pending_claims(campaign, within))))


def _check_open(document):
    # Locked and read afresh: two checks of one proof at once decide it once.
    db.session.refresh(document, with_for_update=True)
    if document.kind not in PROOF_KINDS or document.application_id is None:
        raise ProofRefused("not_a_proof")
    if document.verification != "pending":
        raise ProofRefused("already_checked")


def _record(document, verdict, *, user_id, now):
    # Loaded here, so that the audit entry of the document goes to its school's trail.
    if document.application is None:
        raise ProofRefused("not_a_proof")
    document.verification = verdict
    document.verified_at, document.verified_by_id = now, user_id


def accept_proof(document, *, user_id, now):
    """The director accepts the proof: the admission stands as it is."""
    _check_open(document)
    _record(document, "accepted", user_id=user_id, now=now)
    db.session.flush()
    return document


def reject_proof(document, *, reason, note, user_id, now):
    """The director rejects the proof (until the deadline), with a reason of
    REASONS and a note for the parent. Returns [(Application, outcome)]."""
    _check_open(document)
    deadline = proof_check_deadline(document.application.campaign)
    if now > deadline:
        raise ProofRefused("check_closed", date=deadline.strftime("%d.%m.%Y"))
    if reason not in REASONS[document.kind]:
        raise ProofRefused("reason_required")
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE_CHARS:
        raise ProofRefused("note_required", limit=MAX_NOTE_CHARS)
    _record(document, "rejected", user_id=user_id, now=now)
    document.rejection_reason, document.rejection_note = reason, note
    outcomes = []
    for application in resting_on(document, lock=True):
        if application.is_active:
            outcomes.append((application, _end_what_the_proof_gave(application, document, now)))
    db.session.flush()
    return outcomes


def _normal_seat_due(application, now):
    """R2: would the normal rules let this child register at this school now?
    Stage 1 asks for the catchment of the applicant or of the other parent;
    from stage 2 on (and after closing) any school with a free seat."""
    if stage_at(application.campaign, now) != 1:
        return True
    try:
        family = family_of(application.applicant.pin, application.child_pin)
    except AdmissionError as error:
        if error.code == "registry_unavailable":
            raise ProofRefused("registry_unavailable") from None
        return False  # the registry no longer links them: no catchment of theirs
    return application.school_id in catchment_school_ids(family)


def _end_what_the_proof_gave(application, document, now):
    note = f"proof rejected: {document.rejection_reason}"
    if document.kind == "teacher_proof" and application.over_quota and _normal_seat_due(application, now):
        # The same conditional UPDATE as a registration: a seat is taken only if
        # one is free. (It also draws a number of the school's order; the
        # application keeps its own, the place it registered in.)
        if seats.take_seat(application.campaign_id, application.school_id, application.language) is not None:
            seats.release_seat(application)  # the over-quota count, while `over_quota` still says so
            application.over_quota, application.category = False, None
            application.known_position = None
            db.session.add(ApplicationEvent(application=application, status=application.status, by="school",
                                            note=f"{note}; normal seat"))
            _tell(application, "proof_rejected_seat_kept", document)
            return KEPT_NORMAL_SEAT
    change_status(application, "proof_rejected", by="school", note=note)
    _tell(application, "proof_rejected", document)
    return ENDED


def _tell(application, template, document=None, *, kind=None, reason=None, note=None):
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if document is not None:
        kind, reason, note = document.kind, document.rejection_reason, document.rejection_note
    notify_applicant(application.applicant, template, application, extra={
        "kind": kind, "reason": reason, "note": note,
        "appeal_url": f"{base}/applications/{application.number}/appeal",
    })


# --- a child the parent added (`claims`): the director's check of the original certificate ---------
SUPERSEDED = "superseded"


def _open_claim(application):
    claim = claims.unverified_claim_of(application)
    if claim is None:
        raise ProofRefused("claim_not_pending")
    # Locked and read afresh: two checks of one claim at once decide it once.
    db.session.refresh(claim, with_for_update=True)
    if claim.state != "unverified":
        raise ProofRefused("claim_not_pending")
    claim.application = application  # the audit entry goes to this school's trail
    return claim


def confirm_claim(application, *, user_id, now):
    """The director saw the original birth certificate: the claimed link stands."""
    claim = _open_claim(application)
    claim.state, claim.decided_at, claim.decided_by_id = "confirmed", now, user_id
    db.session.flush()
    claims.tell(claim, "child_claim_confirmed")
    return claim


def reject_claim(application, *, reason, note, user_id, now):
    """The director does not accept the certificate of a child the parent added
    (until the end of the documents window, `claims.claim_check_deadline`), with
    a reason of REASONS and a note for the parent. Nothing but the claim made the
    applicant the one who may register the child, so the application ends, like
    one on a rejected act (R9): `proof_rejected`, its seat released, the parent
    told why and how to appeal. Where the registry shows the link by now, the
    claim is superseded instead and nothing ends. Returns [(Application, outcome)]."""
    claim = _open_claim(application)
    deadline = claims.claim_check_deadline(application.campaign)
    if now > deadline:
        raise ProofRefused("check_closed", date=deadline.strftime("%d.%m.%Y"))
    if reason not in REASONS[CLAIMED_CHILD]:
        raise ProofRefused("reason_required")
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE_CHARS:
        raise ProofRefused("note_required", limit=MAX_NOTE_CHARS)
    try:
        if claims.supersede_if_linked(claim, now=now):
            return [(application, SUPERSEDED)]
    except AdmissionError as error:
        raise ProofRefused(error.code if error.code in MESSAGES else "not_allowed") from None
    claim.state, claim.decided_at, claim.decided_by_id = "rejected", now, user_id
    claim.rejection_reason, claim.rejection_note = reason, note
    db.session.refresh(application, with_for_update=True)
    outcomes = []
    if application.is_active:
        change_status(application, "proof_rejected", by="school", note=f"birth certificate rejected: {reason}")
        _tell(application, "proof_rejected", kind=CLAIMED_CHILD, reason=reason, note=note)
        outcomes.append((application, ENDED))
    db.session.flush()
    return outcomes


def _rejected_claim(application):
    """The rejected claim an ended application lost its link with, or None."""
    if application is None or application.status != "proof_rejected":
        return None
    document = application.proof_document
    if document is not None and document.verification == "rejected":
        return None  # ended by its proof, not by the claim
    return claims.rejected_claim_of(application)


def _restore_claimed(application, claim, *, user_id, now, note):
    """R16 for a child the parent added: the district upheld the appeal, so the
    certificate counts as confirmed and the application gets a seat back (a normal
    one if free, else over the quota: the child does not lose the school through
    the rejection the district overturned)."""
    if active_application(application.campaign, application.child_pin) is not None:
        raise ProofRefused("already_registered")
    if claims.live_claim_of_child(application.child_pin) is not None:
        raise ProofRefused("not_allowed")  # another applicant's claim on the PIN stands meanwhile
    over_quota = application.over_quota
    taken = None if over_quota else seats.take_seat(application.campaign_id, application.school_id,
                                                     application.language)
    if taken is None:
        taken, over_quota = seats.admit_over_quota(application.campaign_id, application.school_id,
                                                   application.language), True
    if taken is None:
        raise ProofRefused("not_allowed")
    application.over_quota = over_quota
    claim.state, claim.decided_at, claim.decided_by_id = "confirmed", now, user_id
    change_status(application, _status_before_rejection(application), by="district", note=note,
                  seat_taken_again=True)


def may_restore(application):
    """An appeal about this application can restore it: its proof (or the claim of
    a child the parent added) was rejected and it lost what that gave (ended, or
    kept only a normal seat)."""
    if _rejected_claim(application) is not None:
        return True
    document = application.proof_document if application is not None else None
    if document is None or document.verification != "rejected":
        return False
    return application.status == "proof_rejected" or (
        application.is_active and document.kind == "teacher_proof" and not application.over_quota)


def _status_before_rejection(application):
    events = list(application.history)
    for index in range(len(events) - 1, 0, -1):
        if events[index].status == "proof_rejected":
            return events[index - 1].status
    return "registered"


def restore_after_appeal(application, *, user_id, now, appeal_id=None):
    """R16: the district upheld the parent's appeal against a rejected proof.

    The proof counts as accepted; the application gets back what the proof gave:
    its status (if it had ended) and its place over the quota (a teacher's
    child), or its seat (a legal representative's ward: a normal seat if one
    is free, else over the quota: the child does not lose the school through
    the rejection the district overturned).
    """
    db.session.refresh(application, with_for_update=True)  # one restoration, on what the row says now
    if not may_restore(application):
        raise ProofRefused("not_rejected")
    document = application.proof_document
    note = f"appeal {appeal_id} upheld" if appeal_id else "appeal upheld"
    claim = _rejected_claim(application)
    if claim is not None:
        _restore_claimed(application, claim, user_id=user_id, now=now, note=note)
        application.known_position = None
        db.session.flush()
        notify_applicant(application.applicant, "proof_restored", application, extra={"kind": CLAIMED_CHILD})
        return application
    teacher = document.kind == "teacher_proof"
    if application.status == "proof_rejected":
        if active_application(application.campaign, application.child_pin) is not None:
            raise ProofRefused("already_registered")
        over_quota = teacher or application.over_quota
        taken = None if over_quota else seats.take_seat(application.campaign_id, application.school_id,
                                                         application.language)
        if taken is None:
            taken, over_quota = seats.admit_over_quota(application.campaign_id, application.school_id,
                                                       application.language), True
        if taken is None:  # the school no longer teaches in this language
            raise ProofRefused("not_allowed")
        application.over_quota = over_quota
        if teacher:
            application.category = "teacher"
        change_status(application, _status_before_rejection(application), by="district", note=note,
                      seat_taken_again=True)
    else:
        # It kept a normal seat: back over the quota, and the normal seat is free for the next child.
        seats.release_seat(application)
        seats.admit_over_quota(application.campaign_id, application.school_id, application.language)
        application.over_quota, application.category = True, "teacher"
        db.session.add(ApplicationEvent(application=application, status=application.status, by="district",
                                        note=note))
    _record(document, "accepted", user_id=user_id, now=now)
    application.known_position = None
    db.session.flush()
    notify_applicant(application.applicant, "proof_restored", application)
    return application
