"""Trust (DESIGN.md, "Who is signing in"): knowing a parent's PIN is never enough.

The fallback sign-in asks for the identity document number the registry holds;
contacts are bound, never overwritten, and the earlier ones are told of a new
one; a cancel or a move from another contact needs that contact's code.
"""
import re

import pytest
from sqlalchemy import select

from portal.admission.sign_in import mobile_number
from portal.extensions import db
from portal.models import ApplicantContact, AuditEntry, RegistryPerson
from tests.scenario import ID_DOCUMENTS, SCENARIO, STAGE2, at, error_code, register

FAMILY = SCENARIO["stage1_parent"]
PARENT, DOCUMENT = FAMILY["parent_pin"], ID_DOCUMENTS[FAMILY["parent_pin"]]


@pytest.fixture(autouse=True)
def sms(sample):
    sample.extensions["sent_sms"] = []


def _start(client, **body):
    return client.post("/api/v1/auth/start", json={"pin": PARENT, **body})


def _mails_to(app, address):
    return [m for m in app.extensions["sent_mail"] if m["To"] == address]


def _code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


def _signed_in(client, app, address, document=DOCUMENT):
    """A bearer token for PARENT through the contact `address` (e-mail or phone)."""
    field = "email" if "@" in address else "phone"
    assert _start(client, id_document=document, **{field: address}).status_code == 202
    if field == "email":
        text = _mails_to(app, address)[-1].get_content()
    else:
        text = [m for m in app.extensions["sent_sms"] if m["to"] == mobile_number(address)][-1]["text"]
    response = client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": _code_in(text)})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_pin_alone_gets_no_code_delivered_anywhere(sample, client):
    response = _start(client, email="intruder@example.kg")
    assert response.status_code == 202
    assert _mails_to(sample, "intruder@example.kg") == []
    # Nor with an empty number: the registry holds one for this parent.
    assert _start(client, email="intruder@example.kg", id_document="").status_code == 202
    assert _mails_to(sample, "intruder@example.kg") == []


def test_a_wrong_document_number_answers_like_a_right_one_and_delivers_nothing(sample, client):
    wrong = _start(client, email="intruder@example.kg", id_document="ID0000000")
    right = _start(client, email="parent@example.kg", id_document=DOCUMENT)
    # The same answer; only the request token differs, random each time.
    assert wrong.status_code == right.status_code == 202
    assert set(wrong.json) == set(right.json) == {"status", "request"} and wrong.json["status"] == right.json["status"]
    assert len(wrong.json["request"]) == len(right.json["request"])
    assert _mails_to(sample, "intruder@example.kg") == []
    assert len(_mails_to(sample, "parent@example.kg")) == 1
    # The number is read as people type it: spaces, dashes, small letters.
    typed = f"{DOCUMENT[:2].lower()} {DOCUMENT[2:5]}-{DOCUMENT[5:]}"
    _start(client, email="typed@example.kg", id_document=typed)
    assert len(_mails_to(sample, "typed@example.kg")) == 1


def test_wrong_document_numbers_count_against_the_pins_limit(sample, client):
    for n in range(5):
        assert _start(client, email=f"guess{n}@example.kg", id_document=f"ID{n:07d}").status_code == 202
    response = _start(client, email="parent@example.kg", id_document=DOCUMENT)
    assert response.status_code == 429 and error_code(response) == "rate_limited"


def test_where_the_registry_holds_no_document_number_it_is_not_asked(sample, client):
    db.session.get(RegistryPerson, PARENT).id_document = None
    db.session.commit()
    assert _start(client, email="parent@example.kg").status_code == 202
    assert len(_mails_to(sample, "parent@example.kg")) == 1


def test_a_sign_in_never_replaces_a_bound_contact_and_the_earlier_one_is_told(sample, client):
    _signed_in(client, sample, "parent@example.kg")
    before = len(_mails_to(sample, "parent@example.kg"))
    _signed_in(client, sample, "newcomer@example.kg")

    contacts = db.session.scalars(select(ApplicantContact).order_by(ApplicantContact.id)).all()
    assert [(c.channel, c.address, c.removed_at) for c in contacts] == [
        ("email", "parent@example.kg", None), ("email", "newcomer@example.kg", None)]
    told = _mails_to(sample, "parent@example.kg")[before:]
    assert len(told) == 1
    assert "n***@example.kg" in told[0].get_content()  # which contact, masked
    # The newcomer itself is not told of itself, and a repeat sign-in tells nobody again.
    assert len(_mails_to(sample, "newcomer@example.kg")) == 1
    _signed_in(client, sample, "newcomer@example.kg")
    assert len(_mails_to(sample, "parent@example.kg")) == before + 1


def test_r13_the_trail_shows_who_bound_which_contact(sample, client):
    _signed_in(client, sample, "parent@example.kg")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "applicant_contacts")).all()
    assert len(entries) == 1 and entries[0].action == "insert"
    assert "parent@example.kg" in str(entries[0].after)


def test_a_mobile_number_signs_in_by_sms_and_hears_of_every_change(sample, client):
    phone = "+996555123456"
    mail = _signed_in(client, sample, "parent@example.kg")
    sms = _signed_in(client, sample, "0555 123 456")  # a Kyrgyz number as people type it
    contacts = client.get("/api/v1/contacts", headers=sms).json["contacts"]
    assert [(c["channel"], c["address"], c["current"]) for c in contacts] == [
        ("email", "parent@example.kg", False), ("sms", phone, True)]

    created = register(client, mail, FAMILY["child_pin"], FAMILY["school_code"])
    assert created.status_code == 201, created.json
    number = created.json["number"]
    assert any(number in m.get_content() for m in _mails_to(sample, "parent@example.kg"))
    assert any(number in m["text"] for m in sample.extensions["sent_sms"] if m["to"] == phone)


def test_an_invalid_mobile_number_is_a_validation_error(sample, client):
    for phone in ("+1", "not a number", "+99655512345678901"):
        response = _start(client, id_document=DOCUMENT, phone=phone)
        assert response.status_code == 422 and error_code(response) == "validation_error"


def test_a_cancel_from_another_contact_needs_the_code_of_the_contact_that_applied(sample, client):
    parent = _signed_in(client, sample, "parent@example.kg")
    number = register(client, parent, FAMILY["child_pin"], FAMILY["school_code"]).json["number"]
    intruder = _signed_in(client, sample, "intruder@example.kg")
    asked = len(_mails_to(sample, "parent@example.kg"))

    refused = client.post(f"/api/v1/applications/{number}/cancel", headers=intruder)
    assert refused.status_code == 428 and error_code(refused) == "confirmation_required"
    assert "p***@example.kg" in refused.json["error"]["message"]
    confirmation = _mails_to(sample, "parent@example.kg")[asked:]
    assert len(confirmation) == 1 and number in confirmation[0].get_content()
    assert _mails_to(sample, "intruder@example.kg")[-1].get_content().count(number) == 0
    code = _code_in(confirmation[0].get_content())
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    guessed = client.post(f"/api/v1/applications/{number}/cancel", headers=intruder,
                          json={"confirmation_code": wrong})
    assert guessed.status_code == 401
    assert client.get(f"/api/v1/applications/{number}", headers=parent).json["status"] == "registered"

    # The parent's own contact cancels without a code; so would the intruder with it.
    confirmed = client.post(f"/api/v1/applications/{number}/cancel", headers=intruder,
                            json={"confirmation_code": code})
    assert confirmed.status_code == 200 and confirmed.json["status"] == "cancelled"
    # Both contacts hear of it.
    assert any("cancel" in m["Subject"].lower() or number in m.get_content()
               for m in _mails_to(sample, "parent@example.kg")[asked + 1:])


def test_the_applying_contact_cancels_without_a_code(sample, client):
    parent = _signed_in(client, sample, "parent@example.kg")
    number = register(client, parent, FAMILY["child_pin"], FAMILY["school_code"]).json["number"]
    _signed_in(client, sample, "other@example.kg")
    assert client.post(f"/api/v1/applications/{number}/cancel", headers=parent).status_code == 200


def test_a_move_from_another_contact_needs_the_code_too(sample, client):
    parent = _signed_in(client, sample, "parent@example.kg")
    number = register(client, parent, FAMILY["child_pin"], FAMILY["school_code"]).json["number"]
    at(sample, STAGE2)  # tokens last a day: both sign in again
    parent = _signed_in(client, sample, "parent@example.kg")
    intruder = _signed_in(client, sample, "intruder@example.kg")
    other = next(code for code in ("GB-LEN-041", "GB-LEN-040") if code != FAMILY["school_code"])
    response = client.post(f"/api/v1/applications/{number}/move", headers=intruder,
                           json={"school_code": other, "language": "ky"})
    assert response.status_code == 428 and error_code(response) == "confirmation_required"
    assert client.get(f"/api/v1/applications/{number}", headers=parent).json["status"] == "registered"


def test_a_newer_contact_cannot_remove_an_older_one_but_the_older_can_remove_it(sample, client):
    parent = _signed_in(client, sample, "parent@example.kg")
    intruder = _signed_in(client, sample, "intruder@example.kg")
    older, newer = (c["id"] for c in client.get("/api/v1/contacts", headers=parent).json["contacts"])

    response = client.delete(f"/api/v1/contacts/{older}", headers=intruder)
    assert response.status_code == 409 and error_code(response) == "not_allowed"
    response = client.delete(f"/api/v1/contacts/{newer}", headers=parent)
    assert response.status_code == 200
    assert [c["address"] for c in response.json["contacts"]] == ["parent@example.kg"]
    # The last contact stays: the parent must remain reachable.
    response = client.delete(f"/api/v1/contacts/{older}", headers=parent)
    assert response.status_code == 409
    # Another family's contact is not found.
    assert client.delete("/api/v1/contacts/999999", headers=parent).status_code == 404


def test_removing_a_contact_ends_the_sessions_signed_in_through_it(sample, client):
    parent = _signed_in(client, sample, "parent@example.kg")
    intruder = _signed_in(client, sample, "intruder@example.kg")
    newer = client.get("/api/v1/contacts", headers=parent).json["contacts"][1]["id"]
    assert client.delete(f"/api/v1/contacts/{newer}", headers=parent).status_code == 200
    assert client.get("/api/v1/me", headers=intruder).status_code == 401
    assert client.get("/api/v1/me", headers=parent).status_code == 200


def test_the_form_asks_for_the_applying_contacts_code_before_cancelling(sample, client):
    from tests.public_form import page, sign_in as form_sign_in

    parent = _signed_in(client, sample, "parent@example.kg")
    number = register(client, parent, FAMILY["child_pin"], FAMILY["school_code"]).json["number"]
    client.get("/lang/en")
    form_sign_in(client, sample, PARENT, email="intruder@example.kg")
    asked = len(_mails_to(sample, "parent@example.kg"))

    refused = client.post(f"/applications/{number}/cancel", data={})
    html = page(refused)
    assert refused.status_code == 428
    assert "p***@example.kg" in html and 'name="confirmation_code"' in html
    code = _code_in(_mails_to(sample, "parent@example.kg")[asked].get_content())
    assert client.get(f"/api/v1/applications/{number}", headers=parent).json["status"] == "registered"

    done = client.post(f"/applications/{number}/cancel", data={"confirmation_code": code})
    assert done.status_code == 302
    assert client.get(f"/api/v1/applications/{number}", headers=parent).json["status"] == "cancelled"


def test_the_contacts_page_lists_and_removes_contacts(sample, client):
    from tests.public_form import page, sign_in as form_sign_in

    client.get("/lang/en")
    form_sign_in(client, sample, PARENT, email="parent@example.kg")
    _signed_in(client, sample, "second@example.kg")
    html = page(client.get("/contacts"))
    assert "parent@example.kg" in html and "second@example.kg" in html
    assert "you signed in through this one" in html
    newer = db.session.scalars(select(ApplicantContact.id).where(ApplicantContact.address == "second@example.kg")).one()
    response = client.post("/contacts", data={"contact_id": newer})
    assert response.status_code == 302
    html = page(client.get("/contacts"))
    assert "second@example.kg is removed" in html  # the notice, once
    assert "second@example.kg" not in page(client.get("/contacts")) and "parent@example.kg" in html
