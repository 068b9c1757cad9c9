"""Sign-in with Түндүк (the state identity, OpenID Connect) against a local fake
provider that signs real RS256 tokens (tests/fake_tunduk.py): the API's
`POST /api/v1/auth/tunduk` and the sign-in page's code flow with PKCE."""
import base64
import hashlib
import hmac
import json
import logging
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import Applicant, AuditEntry
from tests.fuzzing import fuzz_settings
from tests.fake_tunduk import CLIENT_ID, NEXT_KEY, OTHER_KEY, expired
from tests.public_form import page
from tests.public.test_public_sign_in import _session_cookie
from tests.public_form import sign_in as sign_in_with_code
from tests.scenario import SCENARIO, error_code

PIN = SCENARIO["stage1_parent"]["parent_pin"]
CHILD_PIN = SCENARIO["stage1_parent"]["child_pin"]
NOT_IN_REGISTRY = "99999999999999"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims, alg="none", secret=b""):
    """A token no provider key signed: "alg": "none", or an HMAC with `secret`."""
    head = b64(json.dumps({"alg": alg, "kid": "tunduk-2026-1"}).encode())
    body = b64(json.dumps(claims).encode())
    if alg == "none":
        return f"{head}.{body}."
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def applicants():
    return db.session.query(Applicant).count()


# --- the API: POST /api/v1/auth/tunduk ------------------------------------------

def test_api_a_good_id_token_gives_a_bearer_token_for_the_pin_in_it(sample, tunduk, client):
    response = client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)})
    assert response.status_code == 200, response.json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200 and me.json["applicant"]["pin"] == PIN
    assert CHILD_PIN in [child["pin"] for child in me.json["children"]]
    applicant = db.session.query(Applicant).filter_by(pin=PIN).one()
    assert applicant.active_contacts == []  # Түндүк gives no contact
    entry = db.session.query(AuditEntry).filter_by(action="sign_in", entity="applicants").one()
    assert (entry.entity_id, entry.note, entry.actor) == (str(applicant.id), "tunduk", f"applicant:{applicant.id}")


def test_api_signing_in_again_finds_the_same_applicant_and_keeps_their_e_mail(sample, tunduk, client):
    sign_in_with_code(client, sample, PIN, email="parent@example.kg")
    for _ in range(2):
        assert client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)}).status_code == 200
    assert [c.address for c in db.session.query(Applicant).filter_by(pin=PIN).one().active_contacts] == [
        "parent@example.kg"]
    assert applicants() == 1


def _refusals(fake):
    now = int(fake.now().timestamp())
    return {
        "signed by another key": fake.id_token(PIN, key=OTHER_KEY),
        "for another client": fake.id_token(PIN, aud="another-client"),
        "by another issuer": fake.id_token(PIN, iss="https://id.example.org"),
        "expired": fake.id_token(PIN, **expired(fake)),
        "without a PIN claim": fake.id_token(PIN, pin=None),
        "with a PIN that is not 14 digits": fake.id_token(PIN, pin="1234"),
        "with the PIN as a number": fake.id_token(PIN, pin=int(PIN)),
        "without iat": fake.id_token(PIN, iat=None),
        "issued in the future": fake.id_token(PIN, iat=now + 3600, exp=now + 7200),
        "for several audiences, not authorised for us": fake.id_token(PIN, aud=[CLIENT_ID, "other"]),
        "unsigned (alg none)": unsigned({"iss": fake.url, "aud": CLIENT_ID, "sub": "x", "iat": now,
                                          "exp": now + 300, "pin": PIN}),
        "signed with HS256": unsigned({"iss": fake.url, "aud": CLIENT_ID, "sub": "x", "iat": now,
                                       "exp": now + 300, "pin": PIN}, alg="HS256", secret=b"public"),
        "not a JWT": "not-a-token",
        "three parts of garbage": "a.b.c",
    }


REFUSALS = [
    "signed by another key", "for another client", "by another issuer", "expired", "without a PIN claim",
    "with a PIN that is not 14 digits", "with the PIN as a number", "without iat", "issued in the future",
    "for several audiences, not authorised for us", "unsigned (alg none)", "signed with HS256", "not a JWT",
    "three parts of garbage",
]


@pytest.mark.parametrize("kind", REFUSALS)
def test_api_a_bad_token_is_unauthorized_and_signs_nobody_in(sample, tunduk, client, kind):
    tokens = _refusals(tunduk)
    assert sorted(tokens) == sorted(REFUSALS)
    response = client.post("/api/v1/auth/tunduk", json={"id_token": tokens[kind]})
    assert response.status_code == 401 and error_code(response) == "unauthorized", kind
    assert applicants() == 0


def test_api_a_pin_not_in_the_registry_is_unauthorized(sample, tunduk, client):
    response = client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(NOT_IN_REGISTRY)})
    assert response.status_code == 401 and error_code(response) == "unauthorized"
    assert applicants() == 0


@pytest.mark.parametrize("body", [{}, {"id_token": ""}, {"id_token": 5}, {"id_token": ["a"]}, [], "text"])
def test_api_a_malformed_body_is_a_validation_error(sample, tunduk, client, body):
    response = client.post("/api/v1/auth/tunduk", json=body)
    assert response.status_code == 422 and error_code(response) == "validation_error"


def test_api_not_configured_is_404_not_configured_whatever_the_body(sample, client):
    for body in ({"id_token": "a.b.c"}, {}):
        response = client.post("/api/v1/auth/tunduk", json=body, headers={"Accept-Language": "ru"})
        assert response.status_code == 404 and error_code(response) == "not_configured"
        assert "Түндүк" in response.json["error"]["message"] and "not available" not in response.json["error"]["message"]


def test_api_a_provider_that_does_not_answer_is_503_with_retry_after(sample, tunduk, client):
    tunduk.down = True
    response = client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)})
    assert response.status_code == 503 and error_code(response) == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    tunduk.down = False
    assert client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)}).status_code == 200


def test_api_discovery_and_keys_are_fetched_once_and_again_for_a_new_key(sample, tunduk, client):
    for _ in range(3):
        assert client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)}).status_code == 200
    assert tunduk.hits["/.well-known/openid-configuration"] == 1 and tunduk.hits["/jwks"] == 1
    # The provider rotates its key. The kept key set lacks the new key id: fetched again once
    # (the adapter allows that once per REFRESH_INTERVAL; tests/registry/test_tunduk_identity.py times it).
    sample.extensions["state_identity"].refresh_interval = 0
    tunduk.publish(NEXT_KEY)
    assert client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN, key=NEXT_KEY)}).status_code == 200
    assert tunduk.hits["/jwks"] == 2


@given(id_token=st.one_of(
    st.text(max_size=300),
    st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/",
                     max_size=80), min_size=3, max_size=3).map(".".join),
    st.builds(lambda head, body: f"{b64(head)}.{b64(body)}.{b64(b'x')}",
              st.binary(max_size=60), st.binary(max_size=60)),
))
@fuzz_settings(60)
def test_api_any_text_as_an_id_token_is_refused_never_a_server_error(sample, tunduk, client, id_token):
    if "\x00" in id_token:
        return  # refused at the edge (validation_error), tests/api/test_bad_input_api.py
    response = client.post("/api/v1/auth/tunduk", json={"id_token": id_token})
    assert response.status_code in (401, 422), (id_token, response.status_code)


# --- the sign-in page: the authorization code flow with PKCE -----------------------

@pytest.fixture
def english(client):
    client.get("/lang/en")
    return client


def press_the_button(client, fake):
    """GET /sign-in/tunduk: the redirect to the provider, and its query."""
    response = client.get("/sign-in/tunduk")
    assert response.status_code == 302 and response.location.startswith(fake.url + "/authorize?")
    return response.location, {name: values[0] for name, values in parse_qs(urlsplit(response.location).query).items()}


def at_the_provider(location):
    """The parent's browser at the provider: its redirect back to us (path and query)."""
    back = httpx.get(location, follow_redirects=False)
    assert back.status_code == 302
    parts = urlsplit(back.headers["location"])
    assert parts.path == "/sign-in/tunduk/callback"
    return f"{parts.path}?{parts.query}"


def through_tunduk(client, fake, pin):
    fake.person_pin = pin
    location, _ = press_the_button(client, fake)
    return client.get(at_the_provider(location))


def test_the_button_comes_first_and_is_a_plain_link(sample, tunduk, english):
    html = page(english.get("/sign-in"))
    assert 'id="tunduk"' in html and "Sign in with Түндүк" in html
    assert html.index('id="tunduk"') < html.index('name="pin"')
    assert re.search(r'<a class="button start" id="tunduk" href="/sign-in/tunduk">', html)
    assert "<script" not in html


def test_the_round_trip_with_pkce_signs_the_parent_in(sample, tunduk, english):
    tunduk.person_pin = PIN
    location, query = press_the_button(english, tunduk)
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"] and query["state"] != query["nonce"]
    assert query["redirect_uri"] == "http://127.0.0.1:5000/sign-in/tunduk/callback"  # PUBLIC_BASE_URL
    assert query["scope"] == "openid" and query["ui_locales"] == "en"
    assert PIN not in location
    response = english.get(at_the_provider(location))
    assert response.status_code == 302 and response.location.endswith("/children")
    [token_request] = tunduk.token_requests
    assert token_request["pkce_ok"] and token_request["client_ok"]  # the fake checked the verifier's S256
    assert token_request["form"]["redirect_uri"] == query["redirect_uri"]
    children = page(english.get("/children"))
    assert "Register this child" in children and "Sign out" in children
    assert db.session.query(Applicant).filter_by(pin=PIN).one().active_contacts == []


def test_after_signing_in_the_parent_gets_the_page_asked_for(sample, tunduk, english):
    assert english.get("/applications").location.endswith("/sign-in")
    response = through_tunduk(english, tunduk, PIN)
    assert response.status_code == 302 and response.location.endswith("/applications")


def test_a_signed_in_parent_pressing_the_button_goes_to_the_children(sample, tunduk, english):
    through_tunduk(english, tunduk, PIN)
    assert english.get("/sign-in/tunduk").location.endswith("/children")


def _came_back(client, response):
    """The callback sent the parent to the sign-in page: that page, with its message."""
    assert response.status_code == 302 and response.location.endswith("/sign-in"), response.status_code
    again = client.get("/sign-in")
    assert 'href="#tunduk"' in page(again)  # the summary points at the button
    assert client.get("/children").status_code == 302, "not signed in"
    return again


@pytest.mark.parametrize(("claims", "why"), [
    ({"aud": "another-client"}, "another audience"),
    ({"iss": "https://id.example.org"}, "another issuer"),
    ({"pin": None}, "no PIN claim"),
    ({"nonce": "not-the-nonce-of-this-sign-in"}, "another nonce"),
    ({"nonce": None}, "no nonce"),
    ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "an at_hash of another access token"),
    ("expired", "expired"),
    ("forged", "a signature by another key"),
])
def test_a_bad_id_token_from_the_token_endpoint_is_refused_with_a_message(sample, tunduk, english, claims, why):
    if claims == "expired":
        claims = expired(tunduk)
    elif claims == "forged":
        tunduk.signing_key, claims = OTHER_KEY, {}
    tunduk.claims = claims
    again = _came_back(english, through_tunduk(english, tunduk, PIN))
    assert again.status_code == 401 and "could not be completed" in page(again), why
    assert tunduk.token_requests[-1]["pkce_ok"]
    assert applicants() == 0


def test_a_state_that_is_not_ours_is_refused_before_the_provider_is_asked(sample, tunduk, english):
    tunduk.person_pin = PIN
    location, _ = press_the_button(english, tunduk)
    back = at_the_provider(location)
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    again = _came_back(english, english.get(forged))
    assert "could not be completed" in page(again)
    assert tunduk.token_requests == []
    # The request is used up: the right state no longer works either.
    _came_back(english, english.get(back))
    assert tunduk.token_requests == []


def test_a_callback_without_a_request_of_this_browser_is_refused(sample, tunduk, english, client):
    tunduk.person_pin = PIN
    location, _ = press_the_button(english, tunduk)
    back = at_the_provider(location)
    other_browser = type(client)(client.application, client.response_wrapper, use_cookies=True)
    response = other_browser.get(back)
    assert response.location.endswith("/sign-in") and tunduk.token_requests == []


def test_a_code_with_another_requests_verifier_is_refused_by_the_provider(sample, tunduk, english):
    """PKCE: a code issued for the first request, brought back with the second
    request's state, is exchanged with the second verifier, and the provider refuses."""
    tunduk.person_pin = PIN
    first, _ = press_the_button(english, tunduk)
    first_back = at_the_provider(first)
    _, second = press_the_button(english, tunduk)
    replayed = re.sub(r"state=[^&]+", f"state={second['state']}", first_back)
    again = _came_back(english, english.get(replayed))
    assert "could not be completed" in page(again)
    assert tunduk.token_requests[-1]["pkce_ok"] is False


def test_a_request_older_than_ten_minutes_is_refused(sample, tunduk, english):
    from datetime import timedelta

    from tests.scenario import STAGE1, at

    tunduk.person_pin = PIN
    location, _ = press_the_button(english, tunduk)
    back = at_the_provider(location)
    at(sample, STAGE1 + timedelta(minutes=11))
    _came_back(english, english.get(back))
    assert tunduk.token_requests == []


def test_the_parent_cancelling_at_the_provider_is_told_so_in_their_language(sample, tunduk, client):
    tunduk.authorize_error = "access_denied"
    seen = {}
    for language in ("en", "ru", "ky"):
        client.get(f"/lang/{language}")
        again = _came_back(client, through_tunduk(client, tunduk, PIN))
        assert again.status_code == 401
        seen[language] = re.search(r'<a href="#tunduk">([^<]+)</a>', page(again)).group(1)
    assert seen["en"].startswith("Signing in with Түндүк was cancelled")
    assert len(set(seen.values())) == 3, seen
    assert tunduk.token_requests == []


def test_the_provider_refusing_is_told_and_the_code_form_still_works(sample, tunduk, english):
    tunduk.authorize_error = "login_required"
    again = _came_back(english, through_tunduk(english, tunduk, PIN))
    assert "did not confirm who you are" in page(again)
    assert 'name="pin"' in page(again)
    # The message is shown once: the next visit is the plain page.
    assert english.get("/sign-in").status_code == 200
    sign_in_with_code(english, sample, PIN)


def test_a_pin_not_in_the_registry_is_refused_with_its_own_message(sample, tunduk, english):
    again = _came_back(english, through_tunduk(english, tunduk, NOT_IN_REGISTRY))
    assert again.status_code == 401 and "not found in the population registry" in page(again)
    assert applicants() == 0


def test_a_provider_that_does_not_answer_is_a_503_page_with_a_message(sample, tunduk, english):
    tunduk.down = True
    response = english.get("/sign-in/tunduk")
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    again = english.get("/sign-in")
    assert again.status_code == 503 and "not answering right now" in page(again)
    assert again.headers["Retry-After"]


def test_a_registry_outage_after_tunduk_says_try_again_on_the_page_and_503_on_the_api(sample, tunduk, english):
    from portal.registry import get_registry
    from tests.public.test_public_registration import _DownRegistry

    registry = _DownRegistry(get_registry())
    registry.down = True
    sample.extensions["registry"] = registry
    again = _came_back(english, through_tunduk(english, tunduk, PIN))
    assert again.status_code == 503 and again.headers["Retry-After"]
    assert "population registry is not answering" in page(again)
    response = english.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)})
    assert response.status_code == 503 and error_code(response) == "registry_unavailable"
    assert applicants() == 0
    registry.down = False
    assert through_tunduk(english, tunduk, PIN).location.endswith("/children")


def test_not_configured_there_is_no_button_and_no_route(sample, english):
    html = page(english.get("/sign-in"))
    assert "Түндүк" not in html and 'id="tunduk"' not in html
    assert english.get("/sign-in/tunduk").status_code == 404
    assert english.get("/sign-in/tunduk/callback?code=x&state=y").status_code == 404


def test_no_pin_in_the_flows_urls_cookies_or_logs(sample, tunduk, english, caplog):
    caplog.set_level(logging.DEBUG)
    tunduk.person_pin = PIN
    location, _ = press_the_button(english, tunduk)
    assert PIN not in json.dumps(_session_cookie(english))
    back = at_the_provider(location)
    response = english.get(back)
    for url in (location, back, response.location):
        assert PIN not in url
    cookie = _session_cookie(english)
    assert PIN not in json.dumps(cookie) and "tunduk_request" not in cookie, "the request is used up"
    english.post("/sign-out")
    tunduk.claims = {"aud": "another-client"}  # a refusal is logged too, without the PIN
    english.get(at_the_provider(press_the_button(english, tunduk)[0]))
    assert any("refused" in record.getMessage() for record in caplog.records)
    assert not [record for record in caplog.records if PIN in record.getMessage()]


def test_api_a_tunduk_token_cancels_without_a_confirmation_code(sample, tunduk, client):
    """The state identity proves the parent: an application made from a contact
    may be cancelled after a Түндүк sign-in without that contact's code."""
    from tests.scenario import register
    from tests.scenario import sign_in as api_sign_in

    family = SCENARIO["stage1_parent"]
    by_code = api_sign_in(client, sample, family["parent_pin"])
    number = register(client, by_code, family["child_pin"], family["school_code"]).json["number"]
    token = client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(family["parent_pin"])}).json["token"]
    response = client.post(f"/api/v1/applications/{number}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
