"""Issue 14, items 3 and 4: commission decisions for every child (§9, §26, §3)
and referral to a special school (§18, §23), in the domain layer, at the API,
in the import, and in the staff portal's scope."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.admission import campaigns, cancelling, commission, referrals, registration, schools
from portal.admission.commission import ChildRecord, CommissionRefused, NamedApplicant
from portal.admission.errors import AdmissionError
from portal.admission.referrals import ReferralRefused
from portal.admission.sign_in import valid_pin
from portal.extensions import db
from portal.models import (
    Applicant,
    Application,
    AuditEntry,
    CommissionDecision,
    OutboxMessage,
    RegistryPerson,
    School,
    SeatPool,
)
from portal.notifications import render
from tests.builders import SECRET, create_applicant
from tests.scenario import SCENARIO, STAGE1, STAGE2, at, error_code, register, sign_in
from tests.staff import COMMISSION_A, PINS, STAFF, marker  # noqa: F401  (fixtures)
from tests.staff import sign_in as staff_sign_in
from tests.importer.test_import import failure, load

SCHOOL = "GB-LEN-039"


def _school(code=SCHOOL):
    return db.session.scalars(select(School).where(School.code == code)).one()


def _pool(code=SCHOOL, language="ky"):
    return db.session.scalars(select(SeatPool).join(School).where(School.code == code,
                                                                   SeatPool.language == language)).one()


def _messages(template):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)
                              .order_by(OutboxMessage.id)).all()


def _decide(*, child, applicant, number="КДД-21", decided_on=date(2026, 3, 30), school_code=SCHOOL,
            language="ky", now=STAGE1):
    return commission.record_decision(
        campaigns.current_campaign(), district_id=_school(school_code).district_id, number=number,
        decided_on=decided_on, school_code=school_code, language=language, grounds="§9: no documents", now=now,
        child=child, applicant=applicant, secret=SECRET)


def _without_pin(birth_date):
    return ChildRecord(last_name="Асанова", first_name="Айзада", birth_date=birth_date, sex="F")


def _worker(**overrides):
    values = dict(name="Жумабаева Гүлнара, ЖКБ", role="child_protection", phone="0555 123 456",
                  email="worker@socfond.example.kg", locale="ru")
    values.update(overrides)
    return NamedApplicant(**values)


# --- §9: a child without a PIN, later joined to it --------------------------------------------
def test_s9_a_child_without_a_pin_is_recorded_under_a_temporary_identifier_and_later_joined(sample):
    known = db.session.get(RegistryPerson, SCENARIO["no_registration"]["child_pin"])
    decision = _decide(child=_without_pin(known.birth_date), applicant=_worker())
    db.session.commit()
    application = decision.application
    temporary = decision.child_temp_id
    assert len(temporary) == 14 and temporary.startswith("T") and not temporary.isdigit()
    assert application.child_pin == decision.child_pin == temporary
    assert (application.child_last_name, application.child_sex, application.status) == \
        ("Асанова", "F", "admitted_by_commission")
    assert _pool().taken == 1

    with pytest.raises(CommissionRefused) as unknown:  # the registry does not know the PIN yet
        commission.join_child_to_pin(decision, "29999999999999", now=STAGE2)
    assert unknown.value.code == "join_not_in_registry" and unknown.value.field == "pin"
    other = db.session.get(RegistryPerson, SCENARIO["stage1_parent"]["child_pin"])
    assert other.birth_date != known.birth_date
    with pytest.raises(CommissionRefused) as differs:
        commission.join_child_to_pin(decision, other.pin, now=STAGE2)
    assert differs.value.code == "join_birth_date_differs"
    db.session.rollback()

    commission.join_child_to_pin(decision, known.pin, now=STAGE2)
    db.session.commit()
    application = db.session.get(Application, application.id)
    decision = db.session.get(CommissionDecision, decision.id)
    assert application.child_pin == decision.child_pin == known.pin
    assert (application.child_last_name, application.child_first_name) == (known.last_name, known.first_name)
    assert decision.child_temp_id == temporary and decision.child_joined_at is not None
    # Audited (R13): the trail keeps the temporary identifier as the value before.
    changes = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "applications",
                                                          AuditEntry.entity_id == str(application.id),
                                                          AuditEntry.action == "update")).all()
    assert any(entry.before.get("child_pin") == temporary and entry.after.get("child_pin") == known.pin
               for entry in changes)
    with pytest.raises(CommissionRefused) as again:
        commission.join_child_to_pin(decision, known.pin, now=STAGE2)
    assert again.value.code == "already_joined"


def test_s9_a_join_keeps_r10_when_the_pin_already_holds_an_application(sample):
    parent = SCENARIO["stage1_parent"]
    child = db.session.get(RegistryPerson, parent["child_pin"])
    decision = _decide(child=_without_pin(child.birth_date), applicant=_worker())
    held = registration.register(create_applicant(pin=parent["parent_pin"]), child.pin, SCHOOL, "ky", now=STAGE1, secret=SECRET)
    db.session.commit()
    with pytest.raises(CommissionRefused) as refusal:
        commission.join_child_to_pin(decision, child.pin, now=STAGE2)
    assert refusal.value.code == "join_pin_has_application" and held.number in refusal.value.message


# --- §3: any applicant the commission names, told at the contact it records ----------------------
def test_s3_a_child_protection_worker_is_the_applicant_and_is_told_by_sms_and_email(sample):
    decision = _decide(child=_without_pin(date(2018, 2, 3)), applicant=_worker())
    db.session.commit()
    assert (decision.applicant_role, decision.applicant_phone, decision.applicant_email) == \
        ("child_protection", "+996555123456", "worker@socfond.example.kg")
    applicant = decision.application.applicant
    # A stand-in nobody can sign in as: never a PIN.
    assert not valid_pin(applicant.pin) and applicant.pin.startswith("N") and len(applicant.pin) == 14
    told = {(m.channel, m.recipient, m.locale) for m in _messages("commission_decision")}
    assert told == {("sms", "+996555123456", "ru"), ("email", "worker@socfond.example.kg", "ru")}
    mail = next(m for m in _messages("commission_decision") if m.channel == "email")
    subject, body = render(mail)
    assert decision.application.number in body and "КДД-21" in body and "30.03.2026" in body
    assert render(next(m for m in _messages("commission_decision") if m.channel == "sms"))[1]


def test_s3_a_parent_with_an_account_is_told_at_the_bound_contact_and_the_recorded_one_is_not_bound(sample):
    parent = SCENARIO["too_old"]
    account = create_applicant(pin=parent["parent_pin"], email="bound@example.kg")
    db.session.commit()
    decision = _decide(child=ChildRecord(pin=parent["child_pin"]),
                       applicant=NamedApplicant(name="Parent", role="parent", pin=parent["parent_pin"],
                                                phone="+996700111222"))
    db.session.commit()
    assert decision.application.applicant_id == account.id and decision.child_temp_id is None
    assert {m.recipient for m in _messages("commission_decision")} == {"bound@example.kg", "+996700111222"}
    # A bound contact receives sign-in codes: the commission's record does not make one.
    assert [c.address for c in db.session.get(Applicant, account.id).active_contacts] == ["bound@example.kg"]


@pytest.mark.parametrize("child, applicant, code, field", [
    (ChildRecord(pin="12345"), _worker(), "child_pin_format", "child_pin"),
    (ChildRecord(pin="29999999999999"), _worker(), "child_not_in_registry", "child_pin"),
    (ChildRecord(last_name="Асанова", birth_date=date(2018, 1, 1), sex="F"), _worker(), "child_name_required",
     "child_last_name"),
    (ChildRecord(last_name="А", first_name="Б", sex="F"), _worker(), "child_birth_date_required",
     "child_birth_date"),
    (_without_pin(date(2018, 1, 1)), _worker(phone="", email=""), "contact_required", "applicant_phone"),
    (_without_pin(date(2018, 1, 1)), _worker(phone="12"), "phone_invalid", "applicant_phone"),
    (_without_pin(date(2018, 1, 1)), _worker(email="not-an-address"), "email_invalid", "applicant_email"),
    (_without_pin(date(2018, 1, 1)), _worker(role="neighbour"), "applicant_role_invalid", "applicant_role"),
    (_without_pin(date(2018, 1, 1)), _worker(pin="29999999999999"), "applicant_not_in_registry", "applicant_pin"),
])
def test_r12_a_refused_decision_names_the_field_and_records_nothing(sample, child, applicant, code, field):
    with pytest.raises(CommissionRefused) as refusal:
        _decide(child=child, applicant=applicant)
    assert (refusal.value.code, refusal.value.field) == (code, field)
    db.session.rollback()
    assert db.session.scalars(select(CommissionDecision)).all() == [] and _pool().taken == 0


def test_r12_a_decision_dated_after_today_is_refused(sample):
    with pytest.raises(CommissionRefused) as refusal:
        _decide(child=_without_pin(date(2018, 1, 1)), applicant=_worker(), decided_on=date(2026, 4, 2))
    assert refusal.value.field == "decided_on"


# --- §18, §23: referral to a special school ---------------------------------------------------------
def _registered(key):
    person = SCENARIO[key]
    application = registration.register(create_applicant(pin=person["parent_pin"]), person["child_pin"], SCHOOL,
                                        "ky", now=STAGE1, secret=SECRET)
    db.session.commit()
    return application


def test_s18_a_referral_releases_the_seat_and_the_next_parent_can_take_it(sample):
    referred = _registered("stage1_parent")
    pool = _pool()
    pool.seats = pool.taken  # the school is full
    db.session.commit()
    waiting = SCENARIO["canceller"]
    waiting_applicant = create_applicant(pin=waiting["parent_pin"])
    with pytest.raises(AdmissionError) as full:
        registration.register(waiting_applicant, waiting["child_pin"], SCHOOL, "ky", now=STAGE1, secret=SECRET)
    assert full.value.code == "no_free_seats"
    db.session.rollback()

    referrals.refer_to_special_school(referred, conclusion_number="ПМПК-77", conclusion_date=date(2026, 3, 31),
                                      now=STAGE1)
    db.session.commit()
    referred = db.session.get(Application, referred.id)
    assert referred.status == "transferred_to_special_school" and not referred.is_active
    assert referred.history[-1].note == "ПМПК № ПМПК-77, 31.03.2026" and referred.history[-1].by == "school"
    assert _pool().taken == _pool().seats - 1
    [told] = _messages("transferred_to_special_school")
    assert told.context["conclusion_number"] == "ПМПК-77"
    assert "ПМПК-77" in render(told)[1] and "31.03.2026" in render(told)[1]

    taken = registration.register(create_applicant(pin=waiting["parent_pin"], email="w@example.kg"),
                                  waiting["child_pin"], SCHOOL, "ky", now=STAGE1, secret=SECRET)
    db.session.commit()
    assert taken.status == "registered" and _pool().taken == _pool().seats


def test_s18_a_referral_cites_the_conclusion_and_only_an_active_application_is_referred(sample):
    application = _registered("stage1_parent")
    for number, on, field in (("", date(2026, 3, 31), "conclusion_number"),
                              ("П-1", date(2026, 4, 2), "conclusion_date")):
        with pytest.raises(ReferralRefused) as refusal:
            referrals.refer_to_special_school(application, conclusion_number=number, conclusion_date=on,
                                              now=STAGE1)
        assert refusal.value.field == field
    db.session.rollback()
    cancelling.cancel(application.applicant, application.number, now=STAGE1)
    db.session.commit()
    with pytest.raises(ReferralRefused) as refusal:
        referrals.refer_to_special_school(application, conclusion_number="П-1", conclusion_date=date(2026, 3, 31),
                                          now=STAGE1)
    assert refusal.value.code == "not_allowed"


# --- special schools are never offered ------------------------------------------------------------
def _make_special(code=SCHOOL):
    _school(code).kind = "special"
    db.session.commit()


def test_s23_a_special_school_is_never_offered_nor_counted_in_free_seats(sample):
    parent = SCENARIO["stage1_parent"]
    offered = lambda: {c.school.code for c in schools.schools_for_child(parent["parent_pin"], parent["child_pin"],  # noqa: E731
                                                                       now=at_now(sample), district_code="GB-LEN")[1]}
    public = lambda: {c.school.code for c in schools.free_seats(district_code="GB-LEN")[1]}  # noqa: E731
    assert SCHOOL in offered() and SCHOOL in public()
    _make_special()
    assert SCHOOL not in offered() and SCHOOL not in public()
    at(sample, STAGE2)
    assert offered() and SCHOOL not in offered()


def at_now(app):
    return app.config["FROZEN_NOW"]


def test_s23_a_registration_to_a_special_school_is_refused_by_the_api(sample, client):
    parent = SCENARIO["stage1_parent"]
    _make_special()
    headers = sign_in(client, sample, parent["parent_pin"])
    listed = client.get(f"/api/v1/schools?child_pin={parent['child_pin']}", headers=headers)
    assert listed.status_code == 200 and SCHOOL not in {s["code"] for s in listed.json["schools"]}
    free = client.get("/api/v1/free-seats?district=GB-LEN")
    assert free.status_code == 200 and SCHOOL not in {s["code"] for s in free.json["schools"]}
    for moment in (STAGE1, STAGE2):
        at(sample, moment)
        headers = sign_in(client, sample, parent["parent_pin"])  # a token does not last two months
        response = register(client, headers, parent["child_pin"], SCHOOL)
        assert response.status_code == 422 and error_code(response) == "school_not_available"
    assert _pool().taken == 0


# --- schools.csv: the optional column kind ---------------------------------------------------------
def test_schools_csv_kind_is_optional_general_by_default_and_a_bad_value_is_refused(session, folder):  # noqa: F811
    load(folder)  # the sample has no kind column
    assert {s.kind for s in db.session.scalars(select(School))} == {"general"}
    path = folder / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",kind"] + [line + (",special" if line.startswith("GB-LEN-041,") else ",")
                                    for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load(folder)
    assert _school("GB-LEN-041").kind == "special" and _school(SCHOOL).kind == "general"
    lines[2] = lines[2].rsplit(",", 1)[0] + ",correctional"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert failure(folder) == ["schools.csv:3: kind must be one of general, special"]
    assert _school("GB-LEN-041").kind == "special"  # all or nothing


# --- the staff portal: each action within its scope only -----------------------------------------------
def _decision_form(**overrides):
    values = {"number": "КДД-5", "decided_on": "2026-03-19", "school_code": SCHOOL, "language": "ky",
              "grounds": "§9", "child_pin": "", "child_last_name": "Асанова", "child_first_name": "Айзада",
              "child_patronymic": "", "child_birth_date": "2018-02-03", "child_sex": "F",
              "applicant_role": "child_protection", "applicant_name": "Жумабаева Гүлнара", "applicant_pin": "",
              "applicant_phone": "0555 123 456", "applicant_email": "", "message_locale": "ky"}
    values.update(overrides)
    return values


def _decisions():
    return db.session.scalars(select(CommissionDecision).where(CommissionDecision.number == "КДД-5")).all()


def test_a_secretary_records_a_child_without_a_pin_and_errors_name_the_field(portal, world, client):  # noqa: F811
    staff_sign_in(client, COMMISSION_A)
    en = {"Accept-Language": "en"}
    page = client.post("/admin/commission_decision/new/", data=_decision_form(applicant_phone="12"), headers=en)
    text = page.get_data(as_text=True)
    assert "Applicant&#39;s mobile number: this is not a valid mobile number" in text
    assert "Not a valid" not in text and "Invalid" not in text and _decisions() == []
    page = client.post("/admin/commission_decision/new/", data=_decision_form(child_birth_date="03.02.2018"),
                       headers=en)
    assert "Child&#39;s date of birth: enter a date such as" in page.get_data(as_text=True) and _decisions() == []

    assert client.post("/admin/commission_decision/new/", data=_decision_form()).status_code == 302
    [decision] = _decisions()
    assert decision.child_temp_id and decision.applicant_phone == "+996555123456"
    page = client.get(f"/admin/commission_decision/join-pin/?id={decision.id}", headers=en)
    assert page.status_code == 200 and decision.child_temp_id in page.get_data(as_text=True)


def test_a_secretary_of_another_district_cannot_record_for_a_school_here_nor_join_its_decisions(portal, world,  # noqa: F811
                                                                                               client):
    staff_sign_in(client, "commission.go-osh@example.kg")
    page = client.post("/admin/commission_decision/new/", data=_decision_form(), headers={"Accept-Language": "en"})
    assert "School: choose a school of your district" in page.get_data(as_text=True)
    assert _decisions() == [] and _pool().taken == 0
    decision = db.session.scalars(select(CommissionDecision).where(
        CommissionDecision.number == marker("A", "Decision"))).one()
    decision.child_temp_id, decision.child_pin = "T000000000000A", "T000000000000A"
    db.session.commit()
    for method in ("GET", "POST"):
        response = client.open(f"/admin/commission_decision/join-pin/?id={decision.id}", method=method,
                               data={"pin": PINS["A"]})
        assert response.status_code == 404
    assert db.session.get(CommissionDecision, decision.id).child_joined_at is None


def _application_a():
    return db.session.scalars(select(Application).where(Application.number == marker("A", "Number"))).one()


def test_a_director_refers_on_a_confirmation_page_and_another_school_s_director_cannot(portal, world, client):  # noqa: F811
    application = _application_a()
    url = f"/admin/special_referral/?application_id={application.id}"
    conclusion = {"conclusion_number": "ПМПК-9", "conclusion_date": "2026-03-18", "application_id": application.id}
    staff_sign_in(client, STAFF["director_b"])
    assert client.get(url).status_code == 404
    assert client.post(url, data=conclusion).status_code == 404
    assert _application_a().status == "registered"
    client.get("/admin/logout")

    staff_sign_in(client, STAFF["director_a"])
    page = client.get(url, headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Its seat is released at once" in text and "<script" not in \
        text.split("<form", 1)[1].split("</form>", 1)[0]
    assert _application_a().status == "registered"  # the page alone changes nothing
    assert client.post(url, data=conclusion).status_code == 302
    db.session.expire_all()
    assert _application_a().status == "transferred_to_special_school"
    assert [m.template for m in _messages("transferred_to_special_school")]


# --- the messages, in each language -----------------------------------------------------------------
MESSAGE_CONTEXT = {"number": "2026-GB-7KQ4-M2XD", "school_code": "GB-LEN-039", "school_name_ky": "№39 мектеп",
                   "school_name_ru": "Школа №39", "language": "ky", "child_first_name": "Айжан", "child_sex": "F",
                   "conclusion_number": "ПМПК-77", "conclusion_date": "31.03.2026", "decision_number": "КДД-21",
                   "decided_on": "30.03.2026"}


@pytest.mark.parametrize("template, channel", [("transferred_to_special_school", "email"),
                                               ("transferred_to_special_school", "sms"),
                                               ("commission_decision", "email"), ("commission_decision", "sms")])
def test_the_referral_and_decision_messages_speak_each_language(app, template, channel):
    texts = {}
    for locale in ("ky", "ru", "en"):
        subject, body = render(OutboxMessage(template=template, channel=channel, locale=locale,
                                             context=MESSAGE_CONTEXT))
        assert body.strip() and "%(" not in body and (channel == "sms" or (subject and "%(" not in subject))
        texts[locale] = body
    assert texts["ky"] != texts["en"] and texts["ru"] != texts["en"]
    if channel == "sms":
        assert len(texts["ru"]) <= 160
    elif template == "transferred_to_special_school":
        assert all("ПМПК-77" in body and "31.03.2026" in body for body in texts.values())
    else:
        assert all("КДД-21" in body and "30.03.2026" in body for body in texts.values())


def test_the_secretarys_form_offers_only_the_languages_the_districts_schools_teach(portal, world, client):  # noqa: F811
    """Issue 16: no Russian, Uzbek, Tajik or English where no first grade of the district is taught in it
    (the sample's GB-LEN teaches its first grades in Kyrgyz only)."""
    staff_sign_in(client, COMMISSION_A)
    page = client.get("/admin/commission_decision/new/").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="(\w\w)"', page.split('name="language"', 1)[1].split("</select>", 1)[0])
    assert offered == ["ky"]
