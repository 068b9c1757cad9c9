"""Each role's work through the portal, done by the domain layer: the director's
quota changes (refused with the rule explained), confirmation and approval,
documents received, proofs verified, addresses added (R17); the commission's
decision admitting over the quota (R12); the district's answer to an appeal
(R16). Every change leaves an audit entry naming the staff user."""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.admission import quota_changes
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import (
    Appeal,
    Application,
    AuditEntry,
    ClassSet,
    CommissionDecision,
    Document,
    MicrodistrictAddress,
    OutboxMessage as Outbox,
    SchoolQuota,
    SeatPool,
)
from tests.scenario import SCENARIO, at
from tests.staff import COMMISSION_A, PASSWORD, STAFF, _spare_address, sign_in, staff

BISHKEK = timezone(timedelta(hours=6))
AFTER_DEADLINE = datetime(2026, 3, 28, 0, 1, tzinfo=BISHKEK)


def signed_in(app, email):
    client = app.test_client()
    client.get("/lang/en")  # read the messages in English
    sign_in(client, email)
    return client


def flashed(response):
    return response.get_data(as_text=True)


def audited_by(email, entity):
    user = staff(email)
    return db.session.scalars(select(AuditEntry).where(AuditEntry.entity == entity,
                                                       AuditEntry.actor == f"staff:{user.id}")).all()


def quota_of(school):
    return db.session.scalars(select(SchoolQuota).where(SchoolQuota.school_id == school.id)).one()


def class_sets(school):
    return db.session.scalars(select(ClassSet).where(ClassSet.school_id == school.id)
                              .order_by(ClassSet.number)).all()


def test_r5_director_changes_the_draft_quota_and_a_refusal_explains_the_rule(portal, world):
    app, school = portal, world["A"]
    client = signed_in(app, STAFF["director_a"])
    first = class_sets(school)[0]
    assert first.computed_seats == 41
    refused = client.post("/admin/quota/seats/", data={"class_set_id": first.id, "seats": 30}, follow_redirects=True)
    assert "Seats can only be raised: this class-set was computed with 41 seats." in flashed(refused)
    assert db.session.get(ClassSet, first.id).seats == 41
    too_many = client.post("/admin/quota/seats/", data={"class_set_id": first.id, "seats": 43}, follow_redirects=True)
    assert "A class-set has at most 42 seats." in flashed(too_many)
    client.post("/admin/quota/seats/", data={"class_set_id": first.id, "seats": 42})
    db.session.expire_all()
    assert db.session.get(ClassSet, first.id).seats == 42
    russian = client.post("/admin/quota/language/", data={"class_set_id": first.id, "language": "ru"},
                          follow_redirects=True)
    assert "can be changed only to Kyrgyz" in flashed(russian)
    quota = quota_of(school)
    client.post("/admin/quota/add-class-set/", data={"id": quota.id, "seats": 30})
    assert len(class_sets(school)) == 5 and class_sets(school)[-1].added_by_director
    pool = db.session.scalars(select(SeatPool).where(SeatPool.school_id == school.id,
                                                     SeatPool.language == "ky")).one()
    assert pool.seats == sum(c.seats for c in class_sets(school) if c.language == "ky")
    client.post("/admin/quota/confirm/", data={"confirmed": "1", "id": quota.id})
    db.session.expire_all()
    assert quota_of(school).state == "confirmed_by_director"
    assert quota_of(school).director_confirmed_by_id == staff(STAFF["director_a"]).id
    late = client.post("/admin/quota/seats/", data={"class_set_id": first.id, "seats": 41}, follow_redirects=True)
    assert "already confirmed" in flashed(late)
    assert {e.entity for e in audited_by(STAFF["director_a"], "class_sets")} == {"class_sets"}
    assert audited_by(STAFF["director_a"], "school_quotas")


def test_r5_district_approves_a_confirmed_quota_and_no_role_does_the_others_part(portal, world):
    app, school = portal, world["A"]
    quota = quota_of(school)
    district = signed_in(app, STAFF["district_a"])
    # The district does not change or confirm a school's quota: that is the director's.
    district.post("/admin/quota/seats/", data={"class_set_id": class_sets(school)[0].id, "seats": 42})
    district.post("/admin/quota/confirm/", data={"confirmed": "1", "id": quota.id})
    refused = district.post("/admin/quota/approve/", data={"confirmed": "1", "id": quota.id}, follow_redirects=True)
    assert "The director has not confirmed the quota yet." in flashed(refused)
    db.session.expire_all()
    assert quota_of(school).state == "draft" and class_sets(school)[0].seats == 41
    director = signed_in(app, STAFF["director_a"])
    director.post("/admin/quota/approve/", data={"confirmed": "1", "id": quota.id})  # not the director's to approve
    director.post("/admin/quota/confirm/", data={"confirmed": "1", "id": quota.id})
    db.session.expire_all()
    assert quota_of(school).state == "confirmed_by_director"
    district.post("/admin/quota/approve/", data={"confirmed": "1", "id": quota.id})
    db.session.expire_all()
    assert quota_of(school).state == "approved_by_district"
    assert quota_of(school).district_approved_by_id == staff(STAFF["district_a"]).id
    for email in (COMMISSION_A, STAFF["ministry"]):
        client = signed_in(app, email)
        client.post("/admin/quota/seats/", data={"class_set_id": class_sets(school)[0].id, "seats": 42})
    db.session.expire_all()
    assert class_sets(school)[0].seats == 41


def test_r5_the_automatic_confirmation_is_shown_as_such(portal, world):
    app, school = portal, world["A"]
    at(app, AFTER_DEADLINE)
    quota_changes.confirm_overdue_quotas(current_campaign(), now=AFTER_DEADLINE)
    db.session.commit()
    district = signed_in(app, STAFF["district_a"])
    page = district.get(f"/admin/quota/details/?id={quota_of(school).id}").get_data(as_text=True)
    assert "confirmed automatically at the deadline" in page
    listing = district.get("/admin/quota/").get_data(as_text=True)
    assert "Confirmed automatically at the deadline" in listing
    district.post("/admin/quota/", data={})
    district.post("/admin/quota/action/", data={"action": "approve", "confirmed": "1", "rowid": [quota_of(school).id]})
    db.session.expire_all()
    assert quota_of(school).state == "approved_by_district"


def test_r5_a_quota_below_the_kyrgyz_floor_says_so_on_its_page(portal, world):
    """§11: the page asks the same domain function as both confirmations."""
    app, school = portal, world["A"]
    quota = quota_of(school)
    director = signed_in(app, STAFF["director_a"])
    page = director.get(f"/admin/quota/details/?id={quota.id}").get_data(as_text=True)
    assert "state-language-shortfall" not in page
    quota.min_state_language_class_sets = sum(1 for c in class_sets(school) if c.language == "ky") + 1
    db.session.commit()
    page = director.get(f"/admin/quota/details/?id={quota.id}").get_data(as_text=True)
    assert "state-language-shortfall" in page and "1 more are needed" in page
    director.post("/admin/quota/confirm/", data={"confirmed": "1", "id": quota.id})
    db.session.expire_all()
    assert quota_of(school).state == "draft"


def _application(place):
    from tests.staff import marker

    return db.session.scalars(select(Application).where(Application.number == marker(place, "Number"))).one()


def test_r11_the_director_marks_documents_received(portal, world):
    app = portal
    application = _application("A")
    district = signed_in(app, STAFF["district_a"])
    district.post("/admin/application/documents-received/", data={"id": application.id})
    db.session.expire_all()
    assert application.status == "registered"  # the school's act, not the district's
    director = signed_in(app, STAFF["director_a"])
    director.post("/admin/application/documents-received/", data={"id": application.id})
    db.session.expire_all()
    assert application.status == "documents_received" and application.documents_received_at is not None
    assert [event.status for event in application.history][-1] == "documents_received"
    page = director.get(f"/admin/application/details/?id={application.id}").get_data(as_text=True)
    assert "Status history" in page and "Documents received" in page
    twice = director.post("/admin/application/documents-received/", data={"id": application.id},
                          follow_redirects=True)
    assert twice.status_code == 200
    assert audited_by(STAFF["director_a"], "applications")
    # The parent was told, and the staff see to whom (masked) and how, never the body.
    messages = db.session.scalars(select(Outbox.recipient).where(Outbox.application_id == application.id,
                                                                 Outbox.template == "documents_received")).all()
    assert messages and all(recipient not in page for recipient in messages)
    listing = page.split("outbox-messages", 1)[1]
    for recipient in messages:
        shown = "•••@" + recipient.split("@")[1] if "@" in recipient else recipient[-3:]
        assert shown in listing
    assert "Documents received" in listing and "E-mail" in listing


def test_r7_the_director_verifies_a_proof_and_can_open_the_file(portal, world):
    app = portal
    application = _application("A")
    document = db.session.scalars(select(Document).where(Document.application_id == application.id)).one()
    director = signed_in(app, STAFF["director_a"])
    file = director.get(f"/admin/application/document/?id={document.id}")
    assert file.status_code == 200 and file.data.startswith(b"%PDF")
    director.post("/admin/application/verify-proof/", data={"confirmed": "1", "document_id": document.id, "verdict": "accept"})
    db.session.expire_all()
    assert document.verification == "accepted" and document.verified_by_id == staff(STAFF["director_a"]).id
    district = signed_in(app, STAFF["district_a"])
    district.post("/admin/application/verify-proof/", data={"confirmed": "1", "document_id": document.id, "verdict": "reject"})
    db.session.expire_all()
    assert document.verification == "accepted"
    assert audited_by(STAFF["director_a"], "documents")


def test_directors_cannot_move_a_child_or_change_the_order(portal, world):
    app = portal
    application = _application("A")
    director = signed_in(app, STAFF["director_a"])
    edit = director.post(f"/admin/application/edit/?id={application.id}",
                         data={"school": world["B"].id, "queue_no": 1, "status": "enrolled"})
    assert edit.status_code == 302
    assert director.get("/admin/application/new/").status_code == 302
    director.post("/admin/application/delete/", data={"id": application.id})
    db.session.expire_all()
    assert (application.school_id, application.queue_no, application.status) == (world["A"].id, 900, "registered")


def test_r12_the_commission_records_a_decision_that_admits_over_a_full_quota(portal, world):
    app = portal
    pool = db.session.scalars(select(SeatPool).where(SeatPool.school_id == world["A"].id,
                                                     SeatPool.language == "ky")).one()
    pool.taken = pool.seats
    db.session.commit()
    person = SCENARIO["too_old"]
    form = {"number": "КДД-17", "decided_on": "2026-03-19", "child_pin": person["child_pin"],
            "applicant_pin": person["parent_pin"], "school_code": "GB-LEN-039", "language": "ky",
            "grounds": "§9: the child is over 8", "applicant_name": "Parent", "applicant_role": "parent", "applicant_phone": "0555 123 456"}
    director = signed_in(app, STAFF["director_a"])
    director.post("/admin/commission_decision/new/", data=form)
    other = {**form, "school_code": "GO-OSH-084"}
    commission = signed_in(app, COMMISSION_A)
    refused = commission.post("/admin/commission_decision/new/", data=other).get_data(as_text=True)
    assert "School: choose a school of your district" in refused  # names the field, for the secretary
    assert db.session.scalars(select(CommissionDecision).where(CommissionDecision.number == "КДД-17")).all() == []
    response = commission.post("/admin/commission_decision/new/", data=form, follow_redirects=True)
    assert "admitted over the quota" in flashed(response)
    decision = db.session.scalars(select(CommissionDecision).where(CommissionDecision.number == "КДД-17")).one()
    assert decision.application.status == "admitted_by_commission" and decision.application.over_quota
    assert decision.recorded_by_id == staff(COMMISSION_A).id
    assert decision.district_id == world["A"].district_id
    listing = commission.get("/admin/commission_decision/").get_data(as_text=True)
    assert "КДД-17" in listing and "Over the quota" in listing
    again = commission.post("/admin/commission_decision/new/", data=form, follow_redirects=True)
    assert "a decision with this number is already recorded" in flashed(again)
    again = commission.post("/admin/commission_decision/new/", data={**form, "number": "КДД-18"},
                            follow_redirects=True)
    assert "already has an active application" in flashed(again)
    assert audited_by(COMMISSION_A, "commission_decisions")


def test_r16_the_district_answers_an_appeal_which_is_mailed(portal, world):
    app = portal
    appeal = db.session.scalars(select(Appeal).where(Appeal.district_id == world["A"].district_id)).first()
    for email in (STAFF["director_a"], COMMISSION_A, STAFF["ministry"]):
        signed_in(app, email).post("/admin/appeal/answer/", data={"confirmed": "1", "id": appeal.id, "answer": "No."})
    db.session.expire_all()
    assert appeal.status == "open"
    district = signed_in(app, STAFF["district_a"])
    page = district.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert "Send the answer" in page
    district.post("/admin/appeal/answer/", data={"confirmed": "1", "id": appeal.id, "answer": "The school will call you."})
    db.session.expire_all()
    assert appeal.status == "answered" and appeal.answered_by_id == staff(STAFF["district_a"]).id
    assert [m["To"] for m in app.extensions["sent_mail"]] == [c.address for c in appeal.applicant.active_contacts]
    assert audited_by(STAFF["district_a"], "appeals")


def test_r17_the_director_adds_a_missing_address_with_its_reason(portal, world):
    app, school = portal, world["A"]
    address = _spare_address(school)
    director = signed_in(app, STAFF["director_a"])
    no_reason = director.post("/admin/microdistrict/add/", data={"school_id": school.id, "address_id": address.address_id})
    assert no_reason.status_code == 200
    osh_address = _spare_address(world["O"])
    other = director.post("/admin/microdistrict/add/", data={"school_id": school.id, "address_id": osh_address.address_id,
                                                             "reason": "registration certificate"})
    assert "not a registered dwelling of the school" in other.get_data(as_text=True)
    director.post("/admin/microdistrict/add/", data={"school_id": school.id, "address_id": address.address_id,
                                                    "reason": "registration certificate No. 5"})
    entry = db.session.get(MicrodistrictAddress, (school.id, address.address_id))
    assert entry.added_reason == "registration certificate No. 5"
    assert entry.added_by_id == staff(STAFF["director_a"]).id
    assert audited_by(STAFF["director_a"], "microdistrict_addresses")


def test_r17_import_of_addresses_is_all_or_nothing(portal, world):
    app, school = portal, world["A"]
    first, osh = _spare_address(school), _spare_address(world["O"])
    director = signed_in(app, STAFF["director_a"])
    bad = f"school_code,address_id\nGB-LEN-039,{first.address_id}\nGB-LEN-041,{first.address_id}\n" \
          f"GB-LEN-039,{osh.address_id}\n"
    response = director.post("/admin/microdistrict/import/", data={
        "reason": "district list of 2026", "file": (io.BytesIO(bad.encode()), "list.csv")})
    page = response.get_data(as_text=True)
    assert "list.csv:3" in page and "list.csv:4" in page
    assert db.session.get(MicrodistrictAddress, (school.id, first.address_id)) is None
    good = f"school_code,address_id\nGB-LEN-039,{first.address_id}\n"
    director.post("/admin/microdistrict/import/", data={
        "reason": "district list of 2026", "file": (io.BytesIO(good.encode()), "list.csv")})
    assert db.session.get(MicrodistrictAddress, (school.id, first.address_id)).added_reason == "district list of 2026"


def test_the_district_verifies_its_schools(portal, world):
    app = portal
    director = signed_in(app, STAFF["director_a"])
    director.post("/admin/school/action/", data={"action": "verify", "confirmed": "1", "rowid": [world["A"].id]})
    db.session.expire_all()
    assert world["A"].verified_at is None
    district = signed_in(app, STAFF["district_a"])
    district.post("/admin/school/action/", data={"action": "verify", "confirmed": "1", "rowid": [world["A"].id, world["O"].id]})
    db.session.expire_all()
    assert world["A"].verified_at is not None and world["O"].verified_at is None
    district.post(f"/admin/school/edit/?id={world['A'].id}", data={
        "name_ky": "№39 мектеп-гимназиясы", "name_ru": world["A"].name_ru, "address": "Бишкек, Ахунбаев 31",
        "participates": "y"})
    db.session.expire_all()
    assert world["A"].name_ky == "№39 мектеп-гимназиясы"
    assert audited_by(STAFF["district_a"], "schools")


def _token(page):
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


def test_with_csrf_on_the_portals_own_forms_carry_their_token(portal, world):
    """Production runs with CSRF checks: a list's bulk action, a details page's
    button and a create form each work with the token their page gives, and
    not without it."""
    portal.config["WTF_CSRF_ENABLED"] = True
    client = portal.test_client()
    login = client.get("/admin/login").get_data(as_text=True)
    client.post("/admin/login", data={"email": STAFF["district_a"], "password": PASSWORD, "csrf_token": _token(login)})
    school = world["A"]
    listing = client.get("/admin/school/").get_data(as_text=True)
    assert client.post("/admin/school/action/", data={"action": "verify", "confirmed": "1", "rowid": [school.id]}).status_code == 400
    client.post("/admin/school/action/", data={"action": "verify", "confirmed": "1", "rowid": [school.id], "csrf_token": _token(listing)})
    db.session.expire_all()
    assert school.verified_at is not None
    appeal = db.session.scalars(select(Appeal).where(Appeal.district_id == school.district_id)).first()
    details = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    client.post("/admin/appeal/answer/", data={"confirmed": "1", "id": appeal.id, "answer": "Yes.", "csrf_token": _token(details)})
    db.session.expire_all()
    assert appeal.status == "answered"

    commission = portal.test_client()
    login = commission.get("/admin/login").get_data(as_text=True)
    commission.post("/admin/login", data={"email": COMMISSION_A, "password": PASSWORD, "csrf_token": _token(login)})
    page = commission.get("/admin/commission_decision/new/").get_data(as_text=True)
    person = SCENARIO["too_old"]
    commission.post("/admin/commission_decision/new/", data={
        "number": "КДД-18", "decided_on": "2026-03-19", "child_pin": person["child_pin"],
        "applicant_pin": person["parent_pin"], "school_code": "GB-LEN-039", "language": "ky",
        "grounds": "§9", "applicant_name": "Parent", "applicant_role": "parent", "applicant_phone": "0555 123 456", "csrf_token": _token(page)})
    assert db.session.scalars(select(CommissionDecision).where(CommissionDecision.number == "КДД-18")).one()


# --- each role may do what the regulation gives it, and nothing else -------------------
def _quota_change(client, world):
    return client.post("/admin/quota/seats/", data={"class_set_id": class_sets(world["A"])[0].id, "seats": 42})


def _confirm(client, world):
    return client.post("/admin/quota/confirm/", data={"confirmed": "1", "id": quota_of(world["A"]).id})


def _approve(client, world):
    return client.post("/admin/quota/approve/", data={"confirmed": "1", "id": quota_of(world["B"]).id})


def _verify_school(client, world):
    return client.post("/admin/school/action/", data={"action": "verify", "confirmed": "1", "rowid": [world["A"].id]})


def _add_address(client, world):
    return client.post("/admin/microdistrict/add/", data={
        "school_id": world["A"].id, "address_id": _spare_address(world["A"]).address_id, "reason": "certificate"})


def _documents_received(client, world):
    return client.post("/admin/application/documents-received/", data={"id": _application("A").id})


def _verify_proof(client, world):
    document = db.session.scalars(select(Document).where(Document.application_id == _application("A").id)).one()
    return client.post("/admin/application/verify-proof/", data={"confirmed": "1", "document_id": document.id, "verdict": "accept"})


def _record_decision(client, world):
    person = SCENARIO["too_old"]
    return client.post("/admin/commission_decision/new/", data={
        "number": "КДД-99", "decided_on": "2026-03-19", "child_pin": person["child_pin"],
        "applicant_pin": person["parent_pin"], "school_code": "GB-LEN-039", "language": "ky", "grounds": "§9",
        "applicant_name": "Parent", "applicant_role": "parent", "applicant_phone": "0555 123 456"})


def _answer_appeal(client, world):
    appeal = db.session.scalars(select(Appeal).where(Appeal.application_id == _application("A").id)).one()
    return client.post("/admin/appeal/answer/", data={"confirmed": "1", "id": appeal.id, "answer": "Answered."})


def _create_director(client, world):
    return client.post("/admin/staff_user/provision/", data={
        "role": "director", "rows": "matrix.039@example.kg, Matrix, GB-LEN-039\n"})


REGULATION = {  # action: the roles it belongs to
    "R5 change a class-set": (_quota_change, {"director"}),
    "R5 confirm the quota": (_confirm, {"director"}),
    "R5 approve a confirmed quota": (_approve, {"district"}),
    "§17 verify a school": (_verify_school, {"district"}),
    "R17 add a missing address": (_add_address, {"director", "district"}),
    "R11 documents received": (_documents_received, {"director"}),
    "R7 verify a proof": (_verify_proof, {"director"}),
    "R12 record a commission decision": (_record_decision, {"commission"}),
    "R16 answer an appeal": (_answer_appeal, {"district"}),
    "provision a director": (_create_director, {"district", "ministry"}),
}


@pytest.mark.parametrize("role", ["director", "district", "commission", "ministry"])
def test_each_role_does_what_the_regulation_gives_it_and_nothing_else(portal, world, role):
    from tests.staff import ROLE_LOGINS

    quota_of(world["B"]).state = "confirmed_by_director"
    db.session.commit()
    email = ROLE_LOGINS[role]
    client, actor = signed_in(portal, email), f"staff:{staff(email).id}"
    done = set()
    for name, (act, _roles) in REGULATION.items():
        before = db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == actor))
        response = act(client, world)
        assert response.status_code < 500, f"{role}: {name}: {response.status_code}"
        db.session.expire_all()
        if db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor == actor)) > before:
            done.add(name)
    assert done == {name for name, (_act, roles) in REGULATION.items() if role in roles}


def test_r17_addresses_import_from_an_xlsx_workbook_too(portal, world):
    from openpyxl import Workbook

    school, address = world["A"], _spare_address(world["A"])
    workbook = Workbook()
    workbook.active.append(["school_code", "address_id"])
    workbook.active.append(["GB-LEN-039", address.address_id])
    data = io.BytesIO()
    workbook.save(data)
    director = signed_in(portal, STAFF["director_a"])
    director.post("/admin/microdistrict/import/", data={
        "reason": "district list of 2026", "file": (io.BytesIO(data.getvalue()), "list.xlsx")})
    assert db.session.get(MicrodistrictAddress, (school.id, address.address_id)).added_reason == "district list of 2026"
    broken = director.post("/admin/microdistrict/import/", data={
        "reason": "x", "file": (io.BytesIO(b"not a workbook"), "list.xlsx")})
    assert "not a readable XLSX workbook" in broken.get_data(as_text=True)


@pytest.mark.parametrize("locale", ["ky", "ru"])
def test_a_list_action_with_a_question_is_confirmed_on_a_page_of_its_own_first(portal, world, client, locale):
    """Issue 16: Flask-Admin confirmed list actions with the browser's JavaScript only; without it
    "Approve the quotas" ran at once. The first POST shows what will happen, in the user's language,
    and changes nothing; the confirmed POST does it."""
    sign_in(client, STAFF["district_a"])
    client.get(f"/lang/{locale}")
    quota = db.session.scalars(select(SchoolQuota).where(SchoolQuota.school_id == world["A"].id)).one()
    quota.state = "confirmed_by_director"
    db.session.commit()
    page = client.post("/admin/quota/action/", data={"action": "approve", "rowid": [quota.id]})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="confirmed" value="1"' in text and world["A"].code in text
    with force_locale(locale):
        assert str(_l("Approve the selected quotas?")) in text.replace("&#39;", "'")
    db.session.expire_all()
    assert db.session.get(SchoolQuota, quota.id).state == "confirmed_by_director", "nothing changed yet"
    client.post("/admin/quota/action/", data={"action": "approve", "rowid": [quota.id], "confirmed": "1"})
    db.session.expire_all()
    assert db.session.get(SchoolQuota, quota.id).state == "approved_by_district"


@pytest.mark.parametrize("locale", ["ky", "ru"])
def test_an_irreversible_form_shows_what_will_happen_before_it_does_it(portal, world, client, locale):
    """Issue 16: confirming a quota (nobody can change it afterwards) first shows a page that says
    so, in the user's language, with the same form and a CSRF token; only the confirmed POST acts."""
    sign_in(client, STAFF["director_a"])
    client.get(f"/lang/{locale}")
    quota = quota_of(world["A"])
    page = client.post("/admin/quota/confirm/", data={"id": quota.id})
    text = page.get_data(as_text=True).replace("&#39;", "'")
    assert page.status_code == 200 and 'name="confirmed" value="1"' in text
    assert f'name="id" value="{quota.id}"' in text and 'name="csrf_token"' in text
    with force_locale(locale):
        assert str(_l("The district education department then approves it.")) in text
    db.session.expire_all()
    assert quota_of(world["A"]).state == "draft", "nothing changed yet"
    client.post("/admin/quota/confirm/", data={"id": quota.id, "confirmed": "1"})
    db.session.expire_all()
    assert quota_of(world["A"]).state == "confirmed_by_director"
