"""R7, R9 (§18, §21, §24): a proof the director rejects has effect.

A teacher's child in the teacher registry is admitted over the quota at once;
one admitted on an uploaded proof awaits the director's check (by 30 August).
A rejection ends the admission over the quota: the child keeps a normal seat
where the normal rules give one, else the application ends as proof_rejected
and its seat is released; the parent is told why and how to appeal, and an
upheld appeal restores the application. A legal representative's rejected act
ends the application. The directors' queue is scoped and every check is in the
audit trail."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from admin.scope_rules import scope_of, scope_rule

from portal.admission import appeals, proofs
from portal.admission.calendar import proof_check_deadline
from portal.admission.proofs import ProofRefused
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import Appeal, Application, AuditEntry, Document, OutboxMessage, School, SeatPool
from tests.seat_pools import leave_free, pool_of
from tests.scenario import SCENARIO, STAGE1, STAGE2, at, error_code, register
from tests.scenario import sign_in as parent_signs_in
from tests.staff import STAFF, marker, sign_in, staff  # noqa: F401

BISHKEK = timezone(timedelta(hours=6))
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SCHOOL_A = STAFF["school_a"]  # GB-LEN-039: the catchment school of stage1_parent, not of outside_parent


# --- helpers -------------------------------------------------------------------------------
_pool, _leave_free = pool_of, leave_free  # tests/seat_pools.py


def _with_upload(client, app, who, school_code, *, child_pin=None, category="teacher", language="ky"):
    """Register as a parent through the API with a PDF: a teacher's certificate or a representative's act."""
    person = SCENARIO[who]
    headers = parent_signs_in(client, app, person["parent_pin"])
    data = {"child_pin": child_pin or person["child_pin"], "school_code": school_code, "language": language,
            "document": (io.BytesIO(PDF), "proof.pdf")}
    if category:
        data["category"] = category
    response = client.post("/api/v1/applications", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json, headers


def _application(number):
    db.session.expire_all()
    return db.session.scalars(select(Application).where(Application.number == number)).one()


def _reject(number, *, reason="not_a_teacher_of_the_school", note="No such teacher at our school.", now=STAGE1):
    application = _application(number)
    director = staff(STAFF["director_a"])
    outcomes = proofs.reject_proof(application.proof_document, reason=reason, note=note, user_id=director.id,
                                   now=now)
    db.session.commit()
    return outcomes


def _director(app, email=STAFF["director_a"]):
    client = app.test_client()
    client.get("/lang/en")
    sign_in(client, email)
    return client


def _mails(template):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template,
                                                          OutboxMessage.channel == "email")).all()


# --- R7: who awaits a check ----------------------------------------------------------------
def test_r7_a_teacher_in_the_registry_is_admitted_at_once_and_awaits_no_check(sample, client):
    person = SCENARIO["teacher"]
    headers = parent_signs_in(client, sample, person["parent_pin"])
    _leave_free(person["school_code"], 0)
    response = register(client, headers, person["child_pin"], person["school_code"], category="teacher")
    assert response.status_code == 201, response.json
    assert response.json["over_quota"] is True and response.json["proof_check"] is None
    assert _application(response.json["number"]).proof_document_id is None
    assert proofs.pending_checks(current_campaign(), within=Application.id > 0) == []


def test_r7_an_uploaded_proof_admits_over_the_quota_and_awaits_the_check_until_30_august(sample, client):
    _leave_free(SCHOOL_A, 0)
    body, _headers = _with_upload(client, sample, "stage1_parent", SCHOOL_A)
    assert body["over_quota"] is True and body["status"] == "registered"
    assert body["proof_check"] == {"status": "pending", "until": "2026-08-30", "reason": None, "note": None}
    assert proof_check_deadline(current_campaign()) == datetime(2026, 8, 30, 23, 59, 59, tzinfo=BISHKEK)
    queue = proofs.pending_checks(current_campaign(), within=Application.id > 0)
    assert [application.number for application, _document in queue] == [body["number"]]
    registered = _mails("application_registered")[-1]
    assert registered.context["proof_check_until"] == "30.08.2026"


# --- R7: what a rejection does -------------------------------------------------------------
def test_r7_rejected_teacher_proof_outside_the_catchment_releases_the_seat(staff_portal, client):
    app = staff_portal
    pool = _leave_free(SCHOOL_A, 1)
    # Today's hole: any parent answers "teacher", uploads any PDF and skips the stage-1 catchment check.
    body, headers = _with_upload(client, app, "outside_parent", SCHOOL_A)
    assert body["over_quota"] is True
    document = _application(body["number"]).proof_document
    director = _director(app)
    director.post("/admin/application/verify-proof/", data={"confirmed": "1", 
        "document_id": document.id, "verdict": "reject", "reason": "not_a_teacher_of_the_school",
        "note": "Not on the staff of school 39."})
    rejected = _application(body["number"])
    assert (rejected.status, rejected.is_active) == ("proof_rejected", False)
    db.session.refresh(pool)
    assert (pool.taken, pool.over_quota) == (pool.seats - 1, 0), "the seat over the quota is released"
    mail = _mails("proof_rejected")[-1]
    assert mail.context["reason"] == "not_a_teacher_of_the_school"
    assert mail.context["appeal_url"].endswith(f"/applications/{body['number']}/appeal")
    # The next applicant takes the school's last seat; nobody is left over the quota.
    person = SCENARIO["stage1_parent"]
    next_headers = parent_signs_in(client, app, person["parent_pin"])
    taken = register(client, next_headers, person["child_pin"], SCHOOL_A)
    assert taken.status_code == 201 and taken.json["over_quota"] is False
    db.session.refresh(pool)
    assert (pool.taken, pool.over_quota) == (pool.seats, 0)
    # The rejected child is free again (R10), but stage 1 now asks for its catchment like anyone's.
    child = SCENARIO["outside_parent"]["child_pin"]
    assert error_code(register(client, headers, child, SCHOOL_A)) == "outside_microdistrict"
    # Nor does another upload reopen the teacher's way in: the way is an appeal (R16).
    reupload = client.post("/api/v1/applications", headers=headers, content_type="multipart/form-data", data={
        "child_pin": child, "school_code": SCHOOL_A, "language": "ky", "category": "teacher",
        "document": (io.BytesIO(PDF), "another.pdf")})
    assert reupload.status_code == 409 and error_code(reupload) == "proof_rejected"


def test_r7_rejected_teacher_proof_inside_the_catchment_keeps_a_normal_seat_when_one_is_free(sample, client):
    pool = _leave_free(SCHOOL_A, 2)
    body, headers = _with_upload(client, sample, "stage1_parent", SCHOOL_A)
    assert (pool.taken, pool.over_quota) == (pool.seats - 2, 1)
    [(_, outcome)] = _reject(body["number"])
    assert outcome == proofs.KEPT_NORMAL_SEAT
    kept = _application(body["number"])
    assert (kept.status, kept.is_active, kept.over_quota, kept.category) == ("registered", True, False, None)
    db.session.refresh(pool)
    assert (pool.taken, pool.over_quota) == (pool.seats - 1, 0), "a normal seat taken, the over-quota place given back"
    assert "normal seat" in kept.history[-1].note
    assert _mails("proof_rejected_seat_kept") and not _mails("proof_rejected")
    answer = client.get(f"/api/v1/applications/{body['number']}", headers=headers).json
    assert answer["over_quota"] is False and answer["proof_check"]["status"] == "rejected"


def test_r7_rejected_proof_with_no_free_seat_ends_as_proof_rejected(sample, client):
    pool = _leave_free(SCHOOL_A, 0)
    body, headers = _with_upload(client, sample, "stage1_parent", SCHOOL_A)  # in its catchment, but the school is full
    [(_, outcome)] = _reject(body["number"], reason="not_valid", note="The stamp is missing.")
    assert outcome == proofs.ENDED
    ended = _application(body["number"])
    assert (ended.status, ended.is_active) == ("proof_rejected", False)
    db.session.refresh(pool)
    assert (pool.taken, pool.over_quota) == (pool.seats, 0)
    answer = client.get(f"/api/v1/applications/{body['number']}", headers=headers).json
    assert answer["status"] == "proof_rejected" and answer["position"] is None
    assert answer["proof_check"] == {"status": "rejected", "until": "2026-08-30", "reason": "not_valid",
                                     "note": "The stamp is missing."}
    assert [event["status"] for event in answer["history"]] == ["registered", "proof_rejected"]


def test_r7_from_stage_2_a_rejected_proof_keeps_a_free_seat_outside_the_catchment(sample, client):
    _leave_free(SCHOOL_A, 3)
    body, _headers = _with_upload(client, sample, "outside_parent", SCHOOL_A)  # stage 1, outside the catchment
    at(sample, STAGE2)  # now any school with a free seat is open to anyone (R2)
    [(_, outcome)] = _reject(body["number"], now=STAGE2)
    assert outcome == proofs.KEPT_NORMAL_SEAT


def test_r7_a_rejection_needs_a_listed_reason_and_a_note_and_comes_before_the_deadline(sample, client):
    body, _headers = _with_upload(client, sample, "stage1_parent", SCHOOL_A)
    document = _application(body["number"]).proof_document
    for reason, note, code in (("not_an_accepted_act", "x", "reason_required"),  # an act's reason, not a teacher's
                               ("no_such_reason", "x", "reason_required"), ("unreadable", "  ", "note_required"),
                               ("unreadable", "x" * 1001, "note_required")):
        with pytest.raises(ProofRefused) as refused:
            proofs.reject_proof(document, reason=reason, note=note, user_id=None, now=STAGE1)
        assert refused.value.code == code
    after = datetime(2026, 8, 31, 0, 0, 1, tzinfo=BISHKEK)
    with pytest.raises(ProofRefused) as refused:
        proofs.reject_proof(document, reason="unreadable", note="Blurred.", user_id=None, now=after)
    assert refused.value.code == "check_closed" and "30.08.2026" in refused.value.message
    db.session.rollback()
    assert _application(body["number"]).proof_document.verification == "pending"
    # The campaign's policy moves the deadline.
    campaign = current_campaign()
    campaign.policy = {"proof_check_until": "2026-09-01"}
    db.session.commit()
    _reject(body["number"], reason="unreadable", note="Blurred.", now=after)
    assert _application(body["number"]).proof_document.verification == "rejected"
    with pytest.raises(ProofRefused) as twice:
        _reject(body["number"], reason="unreadable", note="Blurred.", now=after)
    assert twice.value.code == "already_checked"


# --- R9: legal representatives ------------------------------------------------------------
def test_r9_a_rejected_act_ends_the_application_and_releases_the_seat(sample, client):
    person = SCENARIO["guardian"]
    at(sample, STAGE2)  # the wards need not live in the catchment
    pool = _pool(person["school_code"])
    body, _headers = _with_upload(client, sample, "guardian", person["school_code"],
                                  child_pin=person["child_pins"][0], category=None)
    assert body["over_quota"] is False and body["proof_check"]["status"] == "pending"
    db.session.refresh(pool)
    taken = pool.taken
    [(_, outcome)] = _reject(body["number"], reason="not_an_accepted_act",
                                         note="A notary's letter is not a court act.", now=STAGE2)
    assert outcome == proofs.ENDED
    assert _application(body["number"]).status == "proof_rejected"
    db.session.refresh(pool)
    assert pool.taken == taken - 1, "the normal seat is released for the next child"
    assert _mails("proof_rejected")[-1].context["kind"] == "representative_act"


# --- R16: an upheld appeal restores ------------------------------------------------------------
def _appeal(number, text="I do teach at school 39: here is my contract."):
    application = _application(number)
    appeal = appeals.file_appeal(current_campaign(), application.applicant, district_id=None, text=text,
                                 now=STAGE1, application_number=number)
    db.session.commit()
    return appeal


def test_r16_an_upheld_appeal_restores_a_rejected_teacher_proof_over_the_quota(staff_portal, client):
    app = staff_portal
    pool = _leave_free(SCHOOL_A, 0)
    body, _headers = _with_upload(client, app, "outside_parent", SCHOOL_A)
    _reject(body["number"])
    assert _application(body["number"]).status == "proof_rejected"
    appeal = _appeal(body["number"])
    district = _director(app, STAFF["district_a"])
    page = district.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert 'name="uphold"' in page and "No such teacher at our school." in page
    district.post("/admin/appeal/answer/", data={"confirmed": "1", "id": appeal.id, "answer": "The contract proves it.",
                                                 "uphold": "y"})
    restored = _application(body["number"])
    assert (restored.status, restored.is_active, restored.over_quota, restored.category) == (
        "registered", True, True, "teacher")
    assert restored.proof_document.verification == "accepted"
    assert db.session.get(Appeal, appeal.id).upheld is True
    db.session.refresh(pool)
    assert (pool.taken, pool.over_quota) == (pool.seats, 1)
    assert [event.status for event in restored.history] == ["registered", "proof_rejected", "registered"]
    assert _mails("proof_restored")


def test_r16_an_upheld_appeal_puts_a_child_who_kept_a_normal_seat_back_over_the_quota(sample, client):
    pool = _leave_free(SCHOOL_A, 2)
    body, _headers = _with_upload(client, sample, "stage1_parent", SCHOOL_A)
    _reject(body["number"])
    appeal = _appeal(body["number"])
    appeals.answer_appeal(appeal, answer="Upheld.", user_id=staff(STAFF["district_a"]).id, now=STAGE1, uphold=True)
    db.session.commit()
    restored = _application(body["number"])
    assert (restored.over_quota, restored.category) == (True, "teacher")
    db.session.refresh(pool)
    assert (pool.taken, pool.over_quota) == (pool.seats - 2, 1), "the normal seat is free again"


def test_r16_a_dismissed_appeal_or_a_child_registered_elsewhere_restores_nothing(sample, client):
    _leave_free(SCHOOL_A, 0)
    body, _headers = _with_upload(client, sample, "stage1_parent", SCHOOL_A)
    _reject(body["number"])
    dismissed = _appeal(body["number"])
    appeals.answer_appeal(dismissed, answer="The certificate is not valid.", user_id=None, now=STAGE1)
    db.session.commit()
    assert dismissed.upheld is False and _application(body["number"]).status == "proof_rejected"
    # The parent registered the child at another school meanwhile: R10 keeps one active application.
    person = SCENARIO["stage1_parent"]
    at(sample, STAGE2)
    headers = parent_signs_in(client, sample, person["parent_pin"])
    elsewhere = db.session.scalars(select(SeatPool).join(School).where(School.code == "GB-LEN-041",
                                                                       SeatPool.seats > 0)).first()
    other = register(client, headers, person["child_pin"], "GB-LEN-041", elsewhere.language)
    assert other.status_code == 201, other.json
    second = _appeal(body["number"], text="Please look again.")
    with pytest.raises(ProofRefused) as refused:
        appeals.answer_appeal(second, answer="Upheld.", user_id=None, now=STAGE2, uphold=True)
    assert refused.value.code == "already_registered"
    db.session.rollback()
    assert _application(body["number"]).status == "proof_rejected"


# --- the directors' queue and the audit trail ----------------------------------------------
def test_r7_the_proof_queue_is_oldest_first_with_the_deadline_and_scoped(portal, world):
    app = portal
    first = _application(marker("A", "Number"))
    # A second admission on a proof at A, added later but uploaded earlier: the queue goes by the upload.
    second = Application(**{column: getattr(first, column) for column in (
        "campaign_id", "applicant_id", "school_id", "language", "stage", "category", "over_quota", "status",
        "is_active", "child_last_name", "child_first_name", "child_sex", "child_birth_date")},
        number="MkAEarlierUpload", queue_no=901, child_pin="29999999999911")
    db.session.add(second)
    db.session.flush()
    earlier = Document(application_id=second.id, owner_pin="19999999999901", kind="teacher_proof",
                       original_name="earlier.pdf", content_type="application/pdf", size_bytes=9,
                       sha256="1" * 64, storage_key="a1" + "1" * 30,
                       uploaded_at=first.proof_document.uploaded_at - timedelta(hours=1))
    db.session.add(earlier)
    db.session.flush()
    second.proof_document_id = earlier.id
    db.session.commit()

    own = _director(app).get("/admin/proofs/").get_data(as_text=True)
    assert own.index("MkAEarlierUpload") < own.index(marker("A", "Number")), "oldest upload first"
    assert "30.08.2026" in own and marker("B", "Number") not in own and marker("O", "Number") not in own
    other_school = _director(app, STAFF["director_b"]).get("/admin/proofs/").get_data(as_text=True)
    assert marker("B", "Number") in other_school
    assert marker("A", "Number") not in other_school and "MkAEarlierUpload" not in other_school
    district = _director(app, STAFF["district_a"]).get("/admin/proofs/").get_data(as_text=True)
    assert marker("A", "Number") in district and marker("B", "Number") in district
    assert marker("O", "Number") not in district
    other_district = _director(app, STAFF["other_district"]).get("/admin/proofs/").get_data(as_text=True)
    assert marker("O", "Number") in other_district and marker("A", "Number") not in other_district
    assert _director(app, "commission.gb-len@example.kg").get("/admin/proofs/").status_code == 403
    start = _director(app).get("/admin/").get_data(as_text=True)
    assert "/admin/proofs/" in start


def test_r13_the_trail_shows_who_checked_which_proof(portal, world):
    app = portal
    at(app, STAGE1)
    application = _application(marker("A", "Number"))
    document = application.proof_document
    director = _director(app)
    # Another school's director cannot reject A's proof.
    _director(app, STAFF["director_b"]).post("/admin/application/verify-proof/", data={"confirmed": "1", 
        "document_id": document.id, "verdict": "reject", "reason": "unreadable", "note": "x"})
    assert _application(marker("A", "Number")).proof_document.verification == "pending"
    director.post("/admin/application/verify-proof/", data={"confirmed": "1", 
        "document_id": document.id, "verdict": "reject", "reason": "other_person", "note": "Another teacher's name."})
    user = staff(STAFF["director_a"])
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor == f"staff:{user.id}",
                                                          AuditEntry.entity == "documents",
                                                          AuditEntry.entity_id == str(document.id))).all()
    assert len(entries) == 1
    assert entries[0].after["verification"] == "rejected" and entries[0].after["rejection_reason"] == "other_person"
    assert entries[0].after["verified_by_id"] == user.id and entries[0].school_id == application.school_id
    ended = db.session.scalars(select(AuditEntry).where(AuditEntry.actor == f"staff:{user.id}",
                                                        AuditEntry.entity == "applications")).one()
    assert ended.after["status"] == "proof_rejected"
    # The district of the school reads it in its trail (the entry carries the school).
    district = scope_of(staff(STAFF["district_a"]))
    visible = db.session.scalars(select(AuditEntry.id).where(scope_rule(AuditEntry, district))).all()
    assert entries[0].id in visible and ended.id in visible
