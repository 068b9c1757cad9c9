"""Parent sign-in: PIN + identity document number + e-mail, a one-time code by
mail, a bearer token (tests/api/test_trust_sign_in.py: what the PIN alone cannot do)."""
import re
from datetime import timedelta


from portal.extensions import db
from portal.models import AuditEntry, SignInCode
from tests.scenario import ID_DOCUMENTS, SCENARIO, STAGE1, at, error_code, sign_in

PARENT = SCENARIO["stage1_parent"]["parent_pin"]
DOCUMENT = ID_DOCUMENTS[PARENT]


def _code_from_last_mail(app):
    return re.search(r"\b(\d{6})\b", app.extensions["sent_mail"][-1].get_content()).group(1)


def test_sign_in_mails_a_six_digit_code_and_gives_a_token(sample, client):
    headers = sign_in(client, sample, PARENT, email="Parent@Example.kg")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json["applicant"]["pin"] == PARENT
    assert SCENARIO["stage1_parent"]["child_pin"] in [c["pin"] for c in me.json["children"]]
    assert sample.extensions["sent_mail"][-1]["To"] == "parent@example.kg"


def _shape(answer):
    """An answer of auth/start without its request token, which is random every time."""
    body = dict(answer.json)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", body.pop("request"))
    return answer.status_code, body


def test_an_unknown_pin_gets_the_same_answer_and_no_mail(sample, client):
    response = client.post("/api/v1/auth/start", json={"pin": "99999999999999", "email": "x@example.kg"})
    assert response.status_code == 202
    known = client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "x@example.kg"})
    assert _shape(response) == _shape(known) == (202, {"status": "code_sent_if_known"})
    assert len(sample.extensions["sent_mail"]) == 1  # only the known PIN got a code


def test_a_wrong_code_is_refused_and_attempts_are_limited(sample, client):
    client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "p@example.kg"})
    code = _code_from_last_mail(sample)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        response = client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": wrong})
        assert response.status_code == 401 and error_code(response) == "unauthorized"
    # Five wrong tries burn the code: even the right one no longer works.
    response = client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": code})
    assert response.status_code == 401


def test_a_code_expires(sample, client):
    client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "p@example.kg"})
    code = _code_from_last_mail(sample)
    at(sample, STAGE1 + timedelta(minutes=16))
    assert client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": code}).status_code == 401


def test_a_code_works_once(sample, client):
    client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "p@example.kg"})
    code = _code_from_last_mail(sample)
    assert client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": code}).status_code == 200
    assert client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": code}).status_code == 401


def test_codes_are_rate_limited_per_requester_pin_and_contact(sample, client):
    """One requester asks for one PIN 5 times an hour; codes sent to one contact
    are 10 an hour (tests/api/test_sign_in_limits.py: what a stranger cannot do)."""
    for n in range(5):
        assert client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": f"p{n}@example.kg"}).status_code == 202
    response = client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "other@example.kg"})
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    # The same for a PIN that does not exist: the limit reveals nothing.
    for n in range(5):
        client.post("/api/v1/auth/start", json={"pin": "99999999999999", "email": f"q{n}@example.kg"})
    assert client.post("/api/v1/auth/start", json={"pin": "99999999999999", "email": "z@example.kg"}).status_code == 429
    # Codes sent to one mailbox: ten an hour, whatever the PINs (only sent codes count).
    parents = [pin for pin in ID_DOCUMENTS if pin != PARENT][:11]
    answers = [client.post("/api/v1/auth/start", json={"pin": pin, "id_document": ID_DOCUMENTS[pin],
                                                         "email": "box@example.kg"}).status_code for pin in parents]
    assert answers == [202] * 10 + [429]
    assert len([m for m in sample.extensions["sent_mail"] if m["To"] == "box@example.kg"]) == 10
    # An hour later the PIN may ask again.
    at(sample, STAGE1 + timedelta(hours=1, minutes=1))
    assert client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "p@example.kg"}).status_code == 202


def test_bad_input_is_a_validation_error(sample, client):
    for body in ({}, {"pin": "123", "email": "p@example.kg"}, {"pin": PARENT, "email": "not-an-email"}, [1, 2],
                 {"pin": PARENT}, {"pin": PARENT, "email": "p@example.kg", "phone": "+996555123456"},
                 {"pin": PARENT, "phone": "12"}, {"pin": PARENT, "email": "p@example.kg", "id_document": 7}):
        response = client.post("/api/v1/auth/start", json=body)
        assert response.status_code == 422 and error_code(response) == "validation_error"
    response = client.post("/api/v1/auth/start", data="garbage", content_type="application/json")
    assert response.status_code == 422


def test_calls_without_a_valid_token_are_unauthorized(sample, client):
    for path in ("/api/v1/me", "/api/v1/applications", "/api/v1/schools?child_pin=12345678901234"):
        response = client.get(path, headers={"Authorization": "Bearer nonsense"})
        assert response.status_code == 401 and error_code(response) == "unauthorized"
        assert client.get(path).status_code == 401


def test_codes_are_stored_only_as_hashes(sample, client):
    client.post("/api/v1/auth/start", json={"pin": PARENT, "id_document": DOCUMENT, "email": "p@example.kg"})
    code = _code_from_last_mail(sample)
    row = db.session.query(SignInCode).one()
    assert code not in (row.code_hash or "")
    assert not db.session.query(AuditEntry).filter(AuditEntry.entity == "sign_in_codes").count()


def test_an_application_of_another_family_is_not_found(sample, client):
    person = SCENARIO["stage1_parent"]
    headers = sign_in(client, sample, person["parent_pin"])
    from tests.api.test_api_rules import _first_language
    from tests.scenario import register

    created = register(client, headers, person["child_pin"], person["school_code"], _first_language(person["school_code"]))
    other = sign_in(client, sample, SCENARIO["canceller"]["parent_pin"])
    for method, path in (("get", ""), ("post", "/cancel")):
        response = getattr(client, method)(f"/api/v1/applications/{created.json['number']}{path}", headers=other)
        assert response.status_code == 404


def test_the_code_is_in_the_body_of_the_message_never_in_its_subject(sample, client):
    """Issue 15, item 13: a subject shows on a locked screen and in mail logs."""
    for language in ("ky", "ru", "en"):
        client.post("/api/v1/auth/start", headers={"Accept-Language": language},
                    json={"pin": PARENT, "id_document": DOCUMENT, "email": f"{language}@example.kg"})
        mail = sample.extensions["sent_mail"][-1]
        code = _code_from_last_mail(sample)
        assert mail["To"] == f"{language}@example.kg"
        assert not re.search(r"\d{6}", mail["Subject"]), mail["Subject"]
        assert code in mail.get_content()
    # The code that confirms a cancel or a move: in the body only too.
    from types import SimpleNamespace

    from portal.notifications import render

    for language in ("ky", "ru", "en"):
        message = SimpleNamespace(template="confirmation_code", channel="email", locale=language,
                                  context={"code": "482915", "minutes": 15, "number": "2026-GB-7KQ4-M2XD"})
        subject, body = render(message)
        assert "482915" not in subject and "482915" in body
