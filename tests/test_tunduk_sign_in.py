"""Sign-in with Түндүк (the state identity, OpenID Connect) against a local fake
provider that signs real RS256 tokens (tests/fake_tunduk.py): the API's
`POST /api/v1/auth/tunduk`."""
import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import Applicant, AuditEntry
from tests.fake_tunduk import CLIENT_ID, NEXT_KEY, OTHER_KEY, expired, fake_tunduk, tunduk  # noqa: F401
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
    assert applicant.email == ""  # Түндүк gives no contact; the column is NOT NULL until the contacts rework
    entry = db.session.query(AuditEntry).filter_by(action="sign_in", entity="applicants").one()
    assert (entry.entity_id, entry.note, entry.actor) == (str(applicant.id), "tunduk", f"applicant:{applicant.id}")


def test_api_signing_in_again_finds_the_same_applicant_and_keeps_their_e_mail(sample, tunduk, client):
    sign_in_with_code(client, sample, PIN, email="parent@example.kg")
    for _ in range(2):
        assert client.post("/api/v1/auth/tunduk", json={"id_token": tunduk.id_token(PIN)}).status_code == 200
    assert db.session.query(Applicant).filter_by(pin=PIN).one().email == "parent@example.kg"
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
    # (the adapter allows that once per REFRESH_INTERVAL; tests/test_tunduk_identity.py times it).
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
@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_any_text_as_an_id_token_is_refused_never_a_server_error(sample, tunduk, client, id_token):
    if "\x00" in id_token:
        return  # refused at the edge (validation_error), tests/test_bad_input_api.py
    response = client.post("/api/v1/auth/tunduk", json={"id_token": id_token})
    assert response.status_code in (401, 422), (id_token, response.status_code)
