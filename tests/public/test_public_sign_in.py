"""Signing in on the public form: PIN, identity document number and e-mail or
mobile number, the code sent there, the same limits as the API, CSRF, and no
personal data in URLs, cookies or logs."""
import base64
import json
import logging
import re
import zlib

import pytest

from tests.public_form import child_refs, mailed_code, page, register, sign_in
from tests.scenario import SCENARIO, STAGE1, at, id_document

PIN = SCENARIO["stage1_parent"]["parent_pin"]


@pytest.fixture
def english(client):
    client.get("/lang/en")
    return client


def test_sign_in_then_the_code_leads_to_the_children(sample, english):
    response = english.post("/sign-in", data={"pin": "1270 8198 3019 53", "id_document": id_document("1270 8198 3019 53"), "contact": " Parent@Example.kg "})
    assert response.status_code == 302 and response.location.endswith("/sign-in/code")
    code_page = english.get("/sign-in/code")
    assert 'autocomplete="one-time-code"' in page(code_page)
    response = english.post("/sign-in/code", data={"code": mailed_code(sample)})
    assert response.status_code == 302 and response.location.endswith("/children")
    children = page(english.get("/children"))
    assert "Register this child" in children and "Sign out" in children


def test_field_errors_are_summarised_at_the_top_and_linked_to_their_field(sample, english):
    response = english.post("/sign-in", data={"pin": "123", "id_document": id_document("123"), "contact": "not-an-address"})
    html = page(response)
    assert response.status_code == 422
    assert html.index('class="error-summary"') < html.index("<h1>")
    assert 'href="#pin"' in html and 'href="#contact"' in html and 'href="#id_document"' not in html
    assert "A PIN has 14 digits" in html and "name@example.kg" in html
    assert 'aria-describedby="pin-hint pin-error"' in html and 'aria-invalid="true"' in html
    assert "<title>Error:" in html
    assert 'value="123"' in html, "what was typed is kept"
    empty = page(english.post("/sign-in", data={}))
    assert "Enter your PIN." in empty and "Enter your e-mail address or mobile number." in empty
    assert "Enter the number of your ID card or passport." in empty


def test_the_errors_are_in_the_pages_language(sample, client):
    html = page(client.post("/sign-in", data={"pin": "123", "id_document": id_document("123"), "contact": "x"}))  # Kyrgyz by default
    assert '<html lang="ky">' in html and "A PIN has 14 digits" not in html
    client.get("/lang/ru")
    html = page(client.post("/sign-in", data={"pin": "123", "id_document": id_document("123"), "contact": "x"}))
    assert '<html lang="ru">' in html and "A PIN has 14 digits" not in html


def test_a_wrong_code_says_so_and_a_pin_not_in_the_registry_looks_the_same(sample, english):
    english.post("/sign-in", data={"pin": PIN, "id_document": id_document(PIN), "contact": "p@example.kg"})
    wrong = english.post("/sign-in/code", data={"code": "000000" if mailed_code(sample) != "000000" else "111111"})
    assert wrong.status_code == 422 and "not right or has expired" in page(wrong)
    unknown = english.post("/sign-in", data={"pin": "99999999999999", "id_document": id_document("99999999999999"), "contact": "p@example.kg"})
    assert unknown.status_code == 302 and unknown.location.endswith("/sign-in/code")
    assert english.post("/sign-in/code", data={"code": "123456"}).status_code == 422


def test_the_code_page_without_a_pending_code_goes_back_to_sign_in(sample, english):
    assert english.get("/sign-in/code").location.endswith("/sign-in")


def test_the_same_sign_in_limits_as_the_api(sample, english):
    for _ in range(5):
        assert english.post("/sign-in", data={"pin": PIN, "id_document": id_document(PIN), "contact": "p@example.kg"}).status_code == 302
    limited = english.post("/sign-in", data={"pin": PIN, "id_document": id_document(PIN), "contact": "p@example.kg"})
    assert limited.status_code == 429 and "Too many attempts" in page(limited)


def test_pages_of_a_parent_need_sign_in_and_come_back_after_it(sample, english):
    response = english.get("/applications")
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    sign_in(english, sample, PIN)
    # sign_in() followed the redirect's target: the page asked for first.
    english.post("/sign-out")
    english.get("/applications")
    english.post("/sign-in", data={"pin": PIN, "id_document": id_document(PIN), "contact": "p@example.kg"})
    back = english.post("/sign-in/code", data={"code": mailed_code(sample)})
    assert back.location.endswith("/applications")


def test_sign_out_ends_the_session(sample, english):
    sign_in(english, sample, PIN)
    assert english.get("/children").status_code == 200
    assert english.post("/sign-out").status_code == 302
    assert english.get("/children").status_code == 302


def test_a_form_session_ends_after_a_day(sample, english):
    from datetime import timedelta

    sign_in(english, sample, PIN)
    at(sample, STAGE1 + timedelta(hours=25))
    assert english.get("/children").location.endswith("/sign-in")


def test_csrf_protects_every_form_and_its_failure_speaks_the_parents_language(sample, client):
    sample.config["WTF_CSRF_ENABLED"] = True
    client.get("/lang/en")
    refused = client.post("/sign-in", data={"pin": PIN, "id_document": id_document(PIN), "contact": "p@example.kg"})
    assert refused.status_code == 400 and "This page has expired" in page(refused)
    assert not sample.extensions["sent_mail"]
    form = page(client.get("/sign-in"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    accepted = client.post("/sign-in", data={"pin": PIN, "id_document": id_document(PIN), "contact": "p@example.kg", "csrf_token": token})
    assert accepted.status_code == 302
    for url in ("/sign-in/code", "/sign-out", "/register/school", "/register/check", "/appeal"):
        assert client.post(url, data={}).status_code == 400, url


def _session_cookie(client):
    cookie = client.get_cookie("session")
    payload = cookie.value.split(".")[0] if not cookie.value.startswith(".") else cookie.value.split(".")[1]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        data = zlib.decompress(data)
    return json.loads(data)


def test_no_pin_in_urls_cookies_or_logs(sample, english, caplog):
    caplog.set_level(logging.DEBUG)
    person = SCENARIO["stage1_parent"]
    urls = []
    response = english.post("/sign-in", data={"pin": person["parent_pin"], "id_document": id_document(person["parent_pin"]), "contact": "p@example.kg"})
    urls.append(response.location)
    assert person["parent_pin"] not in json.dumps(_session_cookie(english))
    response = english.post("/sign-in/code", data={"code": mailed_code(sample)})
    urls.append(response.location)
    children = page(english.get("/children"))
    urls += re.findall(r'href="([^"]+)"', children) + re.findall(r'action="([^"]+)"', children)
    ref = child_refs(english)[0]
    response = register(english, ref, person["school_code"])
    urls.append(response.location)
    urls += re.findall(r'href="([^"]+)"', page(english.get(response.location)))
    cookie = json.dumps(_session_cookie(english))
    for pin in (person["parent_pin"], person["child_pin"]):
        assert not [url for url in urls if pin in (url or "")]
        assert pin not in cookie
        assert not [r for r in caplog.records if pin in r.getMessage()]


def test_the_coarse_limit_per_address_answers_in_the_parents_language(database_url, tmp_path):
    from portal import create_app
    from portal.config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path),
                     RATELIMIT_SIGN_IN="2/minute")
    client = app.test_client()
    client.get("/lang/en")
    for _ in range(2):
        client.get("/sign-in")
    limited = client.get("/sign-in")
    assert limited.status_code == 429
    assert '<html lang="en">' in page(limited) and "Too many attempts" in page(limited)
