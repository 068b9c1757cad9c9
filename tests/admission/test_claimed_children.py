"""A child the registry does not show (2026 text, obligations of the applicant:
"Если у родителя не отображаются дети предшкольного возраста, то необходимо
добавить их у себя в личном кабинете"): the parent adds the child with the birth
certificate; the unverified link counts under the normal rules (R1, R2, R3, R10);
the director checks the original certificate in the proofs' queue and a
rejection ends the application like a rejected proof (R7, R9, R16); the
registry's own link supersedes the claim; a child the registry links to another
parent cannot be added."""
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.admission import appeals, claims, proofs
from portal.admission.proofs import ProofRefused
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.jobs.deadlines import run_deadlines
from portal.models import (
    Application,
    AuditEntry,
    ClaimedChild,
    OutboxMessage,
    RegistryLink,
    RegistryPerson,
)
from tests.public_form import page
from tests.public_form import sign_in as form_sign_in
from tests.seat_pools import leave_free, pool_of
from tests.scenario import SCENARIO, STAGE1, at, error_code, register
from tests.scenario import sign_in as parent_signs_in
from tests.staff import STAFF, sign_in, staff

SCHOOL_A = STAFF["school_a"]  # GB-LEN-039: the catchment school of stage1_parent (and of canceller)
CLAIMED_PIN = "29911202000017"  # a child the sample registry does not know
CHILD = {"child_pin": CLAIMED_PIN, "last_name": "Асанова", "first_name": "Айпери", "patronymic": "Бакытовна",
         "sex": "F", "birth_date": "2020-03-15", "certificate_series": "I-АН", "certificate_number": "123456"}


# --- helpers -------------------------------------------------------------------------------
_pool, _leave_free = pool_of, leave_free  # tests/seat_pools.py


def _add(client, headers, **changes):
    return client.post("/api/v1/children", json={**CHILD, **changes}, headers=headers)


def _parent(client, app, who="stage1_parent"):
    return parent_signs_in(client, app, SCENARIO[who]["parent_pin"])


def _claimed_and_registered(client, app, school=SCHOOL_A):
    headers = _parent(client, app)
    added = _add(client, headers)
    assert added.status_code == 201, added.json
    registered = register(client, headers, CLAIMED_PIN, school)
    assert registered.status_code == 201, registered.json
    return registered.json, headers


def _application(number):
    db.session.expire_all()
    return db.session.scalars(select(Application).where(Application.number == number)).one()


def _claim():
    db.session.expire_all()
    return db.session.scalars(select(ClaimedChild).where(ClaimedChild.child_pin == CLAIMED_PIN)).one()


def _director(app, email=STAFF["director_a"]):
    client = app.test_client()
    client.get("/lang/en")
    sign_in(client, email)
    return client


def _mails(template):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                              .order_by(OutboxMessage.id)).all()


def _registry_shows(parent_pin, relation="mother"):
    """The civil registry digitises the certificate: the child and the link appear."""
    db.session.add(RegistryPerson(pin=CLAIMED_PIN, last_name="Асанова", first_name="Айпери",
                                  patronymic="Бакытовна", sex="F", birth_date=date(2020, 3, 15),
                                  address_id=None, has_documents=True))
    db.session.flush()
    db.session.add(RegistryLink(parent_pin=parent_pin, child_pin=CLAIMED_PIN, relation=relation))
    db.session.commit()


# --- adding a child ------------------------------------------------------------------------
def test_a_parent_adds_a_child_the_registry_does_not_show_and_every_contact_is_told(sample, client):
    headers = _parent(client, sample)
    # Before: the registry knows no such child, and registering it is refused.
    assert error_code(register(client, headers, CLAIMED_PIN, SCHOOL_A)) == "not_in_registry"
    added = _add(client, headers)
    assert added.status_code == 201, added.json
    assert added.json["state"] == "unverified" and added.json["certificate_series"] == "I-АН"
    children = client.get("/api/v1/me", headers=headers).json["children"]
    mine = [child for child in children if child["pin"] == CLAIMED_PIN]
    assert mine == [{"pin": CLAIMED_PIN, "name": "Асанова Айпери Бакытовна", "birth_date": "2020-03-15",
                     "sex": "F", "relation": "mother" if _sex(SCENARIO["stage1_parent"]["parent_pin"]) == "F"
                     else "father", "added": True, "claim_state": "unverified"}]
    assert [claim["child_pin"] for claim in client.get("/api/v1/children", headers=headers).json["children"]] == [
        CLAIMED_PIN]
    told = _mails("child_added")
    assert told and {mail.recipient for mail in told} == {f"{SCENARIO['stage1_parent']['parent_pin']}@example.kg"}
    assert told[0].context["child_name"] == "Асанова Айпери Бакытовна"
    # The same child again is refused, and the claim is in the audit trail with the parent as actor.
    assert error_code(_add(client, headers)) == "child_already_added"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "claimed_children")).one()
    assert entry.action == "insert" and entry.actor.startswith("applicant:")
    assert entry.after["state"] == "unverified" and entry.after["certificate_number"] == "123456"


def _sex(pin):
    return db.session.get(RegistryPerson, pin).sex


def test_a_child_the_registry_links_to_another_parent_cannot_be_added(sample, client):
    headers = _parent(client, sample)
    others = SCENARIO["not_my_child"]["child_pin"]  # the registry links it to someone else
    refused = client.post("/api/v1/children", json={**CHILD, "child_pin": others},
                          headers={**headers, "Accept-Language": "en"})
    assert refused.status_code == 409 and error_code(refused) == "child_linked_to_another_parent"
    assert "links this child to another parent" in refused.json["error"]["message"]
    russian = client.post("/api/v1/children", json={**CHILD, "child_pin": others},
                          headers={**headers, "Accept-Language": "ru"})
    assert error_code(russian) == "child_linked_to_another_parent"
    assert russian.json["error"]["message"] != refused.json["error"]["message"]
    # A child the registry already links to this parent needs no claim.
    own = SCENARIO["stage1_parent"]["child_pin"]
    assert error_code(_add(client, headers, child_pin=own)) == "child_already_shown"
    assert db.session.scalar(select(ClaimedChild.id)) is None
    # Nor does registering the other parent's child work.
    assert error_code(register(client, headers, others, SCHOOL_A)) == "not_parent_of_child"


def test_a_pin_another_applicant_claimed_is_refused(sample, client):
    first = _parent(client, sample)
    assert _add(client, first).status_code == 201
    second = _parent(client, sample, "canceller")
    refused = _add(client, second)
    assert refused.status_code == 409 and error_code(refused) == "child_claimed_by_another"
    assert error_code(register(client, second, CLAIMED_PIN, SCHOOL_A)) == "not_in_registry"


def test_bad_input_and_a_birth_date_the_registry_holds_otherwise_are_refused(sample, client):
    headers = _parent(client, sample)
    for changes in ({"child_pin": "123"}, {"sex": "X"}, {"birth_date": "15.03.2020"}, {"last_name": ""},
                    {"certificate_number": "AB12"}, {"certificate_series": ""},
                    {"child_pin": SCENARIO["stage1_parent"]["parent_pin"]}):
        assert error_code(_add(client, headers, **changes)) == "validation_error", changes
    # The registry knows the PIN (no parent linked) with another date of birth.
    db.session.add(RegistryPerson(pin=CLAIMED_PIN, last_name="Асанова", first_name="Айпери", patronymic="",
                                  sex="F", birth_date=date(2020, 3, 16), address_id=None, has_documents=True))
    db.session.commit()
    assert error_code(_add(client, headers)) == "claim_data_mismatch"


# --- registering it under the normal rules --------------------------------------------------
def test_r1_the_claimed_birth_date_decides_the_age(sample, client):
    headers = _parent(client, sample)
    assert _add(client, headers, birth_date="2021-02-01").status_code == 201
    assert error_code(register(client, headers, CLAIMED_PIN, SCHOOL_A)) == "not_eligible_age"


def test_r2_in_stage_1_the_claimed_child_is_registered_in_the_applicants_catchment_only(sample, client):
    headers = _parent(client, sample, "outside_parent")  # lives outside GB-LEN-039's microdistrict
    assert _add(client, headers).status_code == 201
    assert error_code(register(client, headers, CLAIMED_PIN, SCHOOL_A)) == "outside_microdistrict"


def test_a_claimed_child_is_registered_in_stage_1_and_awaits_the_check_of_the_certificate(sample, client):
    pool = _leave_free(SCHOOL_A, 1)
    body, headers = _claimed_and_registered(client, sample)
    assert (body["status"], body["over_quota"], body["proof_check"]) == ("registered", False, None)
    assert body["claim_check"] == {"status": "unverified", "until": "2026-09-05", "reason": None, "note": None}
    db.session.refresh(pool)
    assert pool.taken == pool.seats, "a normal seat, first come first served (R3)"
    queue = proofs.pending_checks(current_campaign(), within=Application.id > 0)
    assert [(application.number, type(item).__name__) for application, item in queue] == [
        (body["number"], "ClaimedChild")]
    assert proofs.count_pending_checks(current_campaign(), within=Application.id > 0) == 1
    mail = [m for m in _mails("application_registered") if m.channel == "email"][-1]
    assert mail.context["claimed_child"] is True and mail.context["claim_check_until"] == "05.09.2026"
    # R10: one active application for the child.
    assert error_code(register(client, headers, CLAIMED_PIN, SCHOOL_A)) == "already_registered"


# --- the director's check -----------------------------------------------------------------
def test_a_rejected_certificate_ends_the_application_and_the_next_applicant_takes_the_seat(staff_portal, client):
    app = staff_portal
    pool = _leave_free(SCHOOL_A, 1)
    body, headers = _claimed_and_registered(client, app)
    director = _director(app)
    queue = director.get("/admin/proofs/").get_data(as_text=True)
    assert body["number"] in queue and "birth certificate" in queue
    details = page(director.get(f"/admin/application/details/?id={_application(body['number']).id}"))
    assert "I-АН № 123456" in details and "verify-claim" in details
    director.post("/admin/application/verify-claim/", data={"confirmed": "1", 
        "id": _application(body["number"]).id, "verdict": "reject", "reason": "not_shown",
        "note": "The original certificate was not brought."})
    ended = _application(body["number"])
    assert (ended.status, ended.is_active) == ("proof_rejected", False)
    assert _claim().state == "rejected" and _claim().rejection_reason == "not_shown"
    db.session.refresh(pool)
    assert pool.taken == pool.seats - 1, "the seat is released"
    assert proofs.pending_checks(current_campaign(), within=Application.id > 0) == []
    mail = [m for m in _mails("proof_rejected") if m.channel == "email"][-1]
    assert mail.context["kind"] == "claimed_child" and mail.context["reason"] == "not_shown"
    assert mail.context["appeal_url"].endswith(f"/applications/{body['number']}/appeal")
    answer = client.get(f"/api/v1/applications/{body['number']}", headers=headers).json
    assert answer["status"] == "proof_rejected" and answer["claim_check"]["status"] == "rejected"
    # The next applicant of the catchment takes the last seat.
    person = SCENARIO["canceller"]
    taken = register(client, _parent(client, app, "canceller"), person["child_pin"], SCHOOL_A)
    assert taken.status_code == 201 and taken.json["over_quota"] is False
    db.session.refresh(pool)
    assert pool.taken == pool.seats
    # Without the claim the applicant is no parent of the child: registering again is refused.
    assert error_code(register(client, headers, CLAIMED_PIN, SCHOOL_A)) == "not_in_registry"
    # The trail says who rejected the claim.
    user = staff(STAFF["director_a"])
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "claimed_children",
                                                        AuditEntry.action == "update")).one()
    assert entry.actor == f"staff:{user.id}" and entry.after["state"] == "rejected"
    assert entry.after["decided_by_id"] == user.id and entry.school_id == ended.school_id, "in the school's trail"


def test_r16_an_upheld_appeal_restores_an_application_ended_by_a_rejected_certificate(staff_portal, client):
    _leave_free(SCHOOL_A, 1)
    body, _headers = _claimed_and_registered(client, staff_portal)
    application = _application(body["number"])
    director = staff(STAFF["director_a"])
    proofs.reject_claim(application, reason="other_person", note="The certificate names another child.",
                        user_id=director.id, now=STAGE1)
    db.session.commit()
    appeal = appeals.file_appeal(current_campaign(), application.applicant, district_id=None,
                                 text="Here is the certificate.", now=STAGE1, application_number=body["number"])
    db.session.commit()
    district = _director(staff_portal, STAFF["district_a"])
    district.post("/admin/appeal/answer/", data={"confirmed": "1", "id": appeal.id, "answer": "The certificate is right.",
                                                 "uphold": "y"})
    restored = _application(body["number"])
    assert (restored.status, restored.is_active, restored.over_quota) == ("registered", True, False)
    assert _claim().state == "confirmed"
    assert _mails("proof_restored")[-1].context["kind"] == "claimed_child"


def test_a_confirmed_certificate_leaves_the_queue_and_the_admission_stands(sample, client):
    body, _headers = _claimed_and_registered(client, sample)
    proofs.confirm_claim(_application(body["number"]), user_id=None, now=STAGE1)
    db.session.commit()
    assert _claim().state == "confirmed" and _application(body["number"]).is_active
    assert proofs.pending_checks(current_campaign(), within=Application.id > 0) == []
    assert _mails("child_claim_confirmed")
    with pytest.raises(ProofRefused) as twice:
        proofs.reject_claim(_application(body["number"]), reason="other", note="x", user_id=None, now=STAGE1)
    assert twice.value.code == "claim_not_pending"


def test_the_queue_of_claims_is_scoped_like_every_page(staff_portal, client):
    app = staff_portal
    body, _headers = _claimed_and_registered(client, app)
    application_id = _application(body["number"]).id
    assert body["number"] in _director(app).get("/admin/proofs/").get_data(as_text=True)
    assert body["number"] in _director(app, STAFF["district_a"]).get("/admin/proofs/").get_data(as_text=True)
    for other in (STAFF["director_b"], STAFF["other_district"]):
        assert body["number"] not in _director(app, other).get("/admin/proofs/").get_data(as_text=True)
    # Another school's director can neither see nor reject it.
    other = _director(app, STAFF["director_b"])
    assert other.get(f"/admin/application/details/?id={application_id}").status_code in (302, 404)
    answer = other.post("/admin/application/verify-claim/", data={"confirmed": "1", 
        "id": application_id, "verdict": "reject", "reason": "not_shown", "note": "x"})
    assert answer.status_code == 404
    # The district reads it but does not decide (the director does).
    _director(app, STAFF["district_a"]).post("/admin/application/verify-claim/", data={"confirmed": "1", 
        "id": application_id, "verdict": "reject", "reason": "not_shown", "note": "x"})
    assert _claim().state == "unverified" and _application(body["number"]).is_active


# --- the registry's own link -----------------------------------------------------------------
def test_the_registry_link_appearing_supersedes_the_claim_and_the_application_stays(sample, client):
    body, headers = _claimed_and_registered(client, sample)
    _registry_shows(SCENARIO["stage1_parent"]["parent_pin"])
    report = run_deadlines(STAGE1)
    assert report.claims_superseded == 1
    assert _claim().state == "superseded"
    kept = _application(body["number"])
    assert (kept.status, kept.is_active) == ("registered", True)
    assert proofs.pending_checks(current_campaign(), within=Application.id > 0) == []
    answer = client.get(f"/api/v1/applications/{body['number']}", headers=headers).json
    assert answer["claim_check"] is None
    assert _mails("child_claim_superseded")
    children = client.get("/api/v1/me", headers=headers).json["children"]
    assert [child["added"] for child in children if child["pin"] == CLAIMED_PIN] == [False]
    assert run_deadlines(STAGE1).claims_superseded == 0, "idempotent"


def test_a_director_who_rejects_after_the_registry_showed_the_link_only_supersedes(sample, client):
    body, _headers = _claimed_and_registered(client, sample)
    _registry_shows(SCENARIO["stage1_parent"]["parent_pin"])
    [(_, outcome)] = proofs.reject_claim(_application(body["number"]), reason="not_shown", note="Not brought.",
                                         user_id=None, now=STAGE1)
    db.session.commit()
    assert outcome == proofs.SUPERSEDED and _claim().state == "superseded"
    assert _application(body["number"]).is_active


def test_a_rejection_needs_a_reason_and_a_note_before_the_end_of_the_documents_window(sample, client):
    body, _headers = _claimed_and_registered(client, sample)
    application = _application(body["number"])
    for reason, note, code in (("not_a_teacher_of_the_school", "x", "reason_required"),
                               ("not_shown", " ", "note_required")):
        with pytest.raises(ProofRefused) as refused:
            proofs.reject_claim(application, reason=reason, note=note, user_id=None, now=STAGE1)
        assert refused.value.code == code
    late = claims.claim_check_deadline(current_campaign()) + timedelta(seconds=1)
    with pytest.raises(ProofRefused) as closed:
        proofs.reject_claim(application, reason="not_shown", note="x", user_id=None, now=late)
    assert closed.value.code == "check_closed" and "05.09.2026" in closed.value.message


# --- the public form -----------------------------------------------------------------------
def test_the_form_adds_a_child_who_then_appears_among_the_children(sample, client):
    client.get("/lang/en")
    form_sign_in(client, sample, SCENARIO["stage1_parent"]["parent_pin"])
    children = page(client.get("/children"))
    assert "/children/add" in children and "Add a child" in children
    form = {"pin": CLAIMED_PIN, "last_name": "Асанова", "first_name": "Айпери", "patronymic": "",
            "sex": "F", "birth_date": "2020-03-15", "certificate_series": "I-АН", "certificate_number": "123 456"}
    missing = client.post("/children/add", data={**form, "certificate_number": ""})
    assert missing.status_code == 422 and "Enter the number of the birth certificate." in page(missing)
    added = client.post("/children/add", data=form)
    assert added.status_code == 302 and added.location.endswith("/children")
    children = page(client.get("/children"))
    assert "Асанова Айпери" in children and "You added this child" in children
    assert _claim().certificate_number == "123456"
    others = client.post("/children/add", data={**form, "pin": SCENARIO["not_my_child"]["child_pin"]})
    assert others.status_code == 409 or others.status_code == 422
    assert "links this child to another parent" in page(others)


def test_the_form_speaks_kyrgyz_and_russian(sample, client):
    form_sign_in(client, sample, SCENARIO["stage1_parent"]["parent_pin"])
    for code in ("ky", "ru"):
        client.get(f"/lang/{code}")
        text = page(client.get("/children/add"))
        assert "Add a child the registry does not show" not in text and 'name="certificate_series"' in text


# --- retention ---------------------------------------------------------------------------------
def test_retention_deletes_the_claims_of_anonymised_applicants_and_their_audit_payloads(sample, client):
    from tests.jobs.test_retention import PAST_RETENTION

    _claimed_and_registered(client, sample)
    at(sample, PAST_RETENTION)
    result = sample.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(select(ClaimedChild)).all() == []
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "claimed_children")).all()
    assert entries and all(entry.after is None and entry.erased_at is not None for entry in entries)


def test_a_second_verdict_on_a_checked_certificate_is_refused_with_a_message_not_an_error_page(staff_portal, client):
    """The refusal of a second verdict (the certificate is already checked) is told to the
    director on the page; it once named exceptions the view did not import (a 500)."""
    app = staff_portal
    _leave_free(SCHOOL_A, 1)
    body, _ = _claimed_and_registered(client, app)
    director = _director(app)
    application_id = _application(body["number"]).id
    first = director.post("/admin/application/verify-claim/", data={"confirmed": "1", "id": application_id, "verdict": "accept"})
    assert first.status_code == 302 and _claim().state == "confirmed"
    again = director.post("/admin/application/verify-claim/", data={"confirmed": "1", 
        "id": application_id, "verdict": "reject", "reason": "not_shown", "note": "late"}, follow_redirects=True)
    assert again.status_code == 200
    assert _claim().state == "confirmed" and _application(body["number"]).status == "registered"
    with app.test_request_context():
        messages = []
        for locale in ("ky", "ru", "en"):
            with force_locale(locale):
                messages.append(proofs.ProofRefused("claim_not_pending").message)
    assert any(message in page(again) for message in messages)
