"""The Түндүк adapter (portal/identity/tunduk.py) on its own, against the fake
provider: what discovery must say, how long the documents are kept, key
rotation, how the client authenticates, and what counts as an outage."""
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from portal.identity import IdentityRefused, IdentityUnavailable, TundukIdentity, get_state_identity
from portal.identity.tunduk import REFRESH_INTERVAL
from tests.fake_tunduk import CLIENT_ID, CLIENT_SECRET, KEY, NEXT_KEY

PIN = "12708198301953"
NOW = datetime(2026, 4, 1, 4, 5, tzinfo=timezone.utc)
CALLBACK = "http://127.0.0.1:5000/sign-in/tunduk/callback"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def fake(fake_tunduk):
    fake_tunduk.now = lambda: NOW
    return fake_tunduk


def identity(fake, **options):
    return TundukIdentity(fake.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **options)


def code_for(fake, adapter, pin=PIN):
    """An authorization request and the code the fake provider sends back for it."""
    fake.person_pin = pin
    outgoing = adapter.authorization_request(redirect_uri=CALLBACK)
    back = httpx.get(outgoing.url, follow_redirects=False).headers["location"]
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == [outgoing.state]
    return outgoing, query["code"][0]


def test_the_app_has_no_state_identity_unless_issuer_and_client_id_are_set(app):
    assert get_state_identity() is None
    app.config["TUNDUK_OIDC_ISSUER"] = "https://id.example.kg"
    assert get_state_identity() is None, "a client id is needed too"


def test_the_app_makes_one_adapter_from_the_configuration(app, tunduk):
    app.config["TUNDUK_OIDC_PIN_CLAIM"] = "personal_number"
    made = get_state_identity()
    assert isinstance(made, TundukIdentity) and made is get_state_identity()
    assert (made.issuer, made.client_id, made.client_secret, made.pin_claim) == (
        tunduk.url, CLIENT_ID, CLIENT_SECRET, "personal_number")


def test_the_pin_comes_from_the_configured_claim(fake):
    adapter = TundukIdentity(fake.url, client_id=CLIENT_ID, pin_claim="personal_number")
    assert adapter.pin_from_id_token(fake.id_token(PIN, personal_number=PIN, pin=None), now=NOW) == PIN
    with pytest.raises(IdentityRefused):
        adapter.pin_from_id_token(fake.id_token(PIN), now=NOW)  # "pin" is not the configured claim


def test_discovery_and_the_key_set_are_kept_for_cache_seconds(fake):
    clock = Clock()
    adapter = identity(fake, cache_seconds=600, clock=clock)
    for _ in range(3):
        assert adapter.pin_from_id_token(fake.id_token(PIN), now=NOW) == PIN
    assert fake.hits["/.well-known/openid-configuration"] == 1 and fake.hits["/jwks"] == 1
    clock.t += 601
    assert adapter.pin_from_id_token(fake.id_token(PIN), now=NOW) == PIN
    assert fake.hits["/.well-known/openid-configuration"] == 2 and fake.hits["/jwks"] == 2


def test_an_unknown_key_id_fetches_the_key_set_again_once(fake):
    clock = Clock()
    adapter = identity(fake, clock=clock)
    adapter.pin_from_id_token(fake.id_token(PIN), now=NOW)
    fake.publish(KEY, NEXT_KEY)  # the provider rotates its keys
    clock.t += REFRESH_INTERVAL + 1
    assert adapter.pin_from_id_token(fake.id_token(PIN, key=NEXT_KEY), now=NOW) == PIN
    assert fake.hits["/jwks"] == 2
    # A key id the fresh set lacks too: refused, with no second fetch for that token.
    clock.t += REFRESH_INTERVAL + 1
    with pytest.raises(IdentityRefused, match="invalid_key_id"):
        adapter.pin_from_id_token(fake.id_token(PIN, header={"kid": "made-up"}), now=NOW)
    assert fake.hits["/jwks"] == 3


def test_made_up_key_ids_do_not_flood_the_provider(fake):
    clock = Clock()
    adapter = identity(fake, clock=clock)
    adapter.pin_from_id_token(fake.id_token(PIN), now=NOW)
    for n in range(20):
        with pytest.raises(IdentityRefused):
            adapter.pin_from_id_token(fake.id_token(PIN, header={"kid": f"made-up-{n}"}), now=NOW)
    assert fake.hits["/jwks"] == 1, "no fetch within REFRESH_INTERVAL of the last"
    clock.t += REFRESH_INTERVAL
    with pytest.raises(IdentityRefused):
        adapter.pin_from_id_token(fake.id_token(PIN, header={"kid": "made-up"}), now=NOW)
    assert fake.hits["/jwks"] == 2
    # The known key still works throughout, from the kept set.
    assert adapter.pin_from_id_token(fake.id_token(PIN), now=NOW) == PIN
    assert fake.hits["/jwks"] == 2


@pytest.mark.parametrize(("discovery", "why"), [
    ({"issuer": "https://id.example.org"}, "another issuer than the one configured"),
    ({"jwks_uri": None}, "no key set"),
    ({"jwks_uri": "http://id.example.org/jwks"}, "a key set over plain http"),
    ({"token_endpoint": "http://id.example.org/token"}, "a token endpoint over plain http"),
])
def test_a_discovery_document_that_cannot_be_trusted_is_an_outage_not_a_sign_in(fake, discovery, why):
    fake.discovery = discovery
    with pytest.raises(IdentityUnavailable):
        identity(fake).pin_from_id_token(fake.id_token(PIN), now=NOW)


@pytest.mark.parametrize("failure", ["down", "key set not found", "no keys"])
def test_a_provider_that_cannot_answer_is_unavailable(fake, failure):
    if failure == "down":
        fake.down = True
    elif failure == "key set not found":
        fake.discovery = {"jwks_uri": fake.url + "/not-there"}
    else:
        fake.publish()
    with pytest.raises(IdentityUnavailable):
        identity(fake).pin_from_id_token(fake.id_token(PIN), now=NOW)


def test_an_unreachable_provider_is_unavailable_within_the_timeout():
    adapter = TundukIdentity("http://127.0.0.1:9", client_id=CLIENT_ID, timeout=1)
    with pytest.raises(IdentityUnavailable):
        adapter.authorization_request(redirect_uri=CALLBACK)


def test_the_authorization_request_carries_pkce_state_nonce_and_language(fake):
    outgoing = identity(fake).authorization_request(redirect_uri=CALLBACK, locale="ky")
    query = {name: values[0] for name, values in parse_qs(urlsplit(outgoing.url).query).items()}
    assert query["code_challenge_method"] == "S256" and outgoing.code_verifier not in outgoing.url
    assert (query["state"], query["nonce"], query["ui_locales"]) == (outgoing.state, outgoing.nonce, "ky")
    assert 43 <= len(outgoing.code_verifier) <= 128
    again = identity(fake).authorization_request(redirect_uri=CALLBACK)
    assert {again.state, again.nonce, again.code_verifier}.isdisjoint(
        {outgoing.state, outgoing.nonce, outgoing.code_verifier})


def test_the_code_is_exchanged_with_the_secret_by_http_basic(fake):
    adapter = identity(fake)
    outgoing, code = code_for(fake, adapter)
    assert adapter.pin_from_code(code, redirect_uri=CALLBACK, code_verifier=outgoing.code_verifier,
                                 nonce=outgoing.nonce, now=NOW) == PIN
    [request] = fake.token_requests
    assert request["auth"] == "basic" and request["client_ok"] and request["pkce_ok"]
    assert "client_secret" not in request["form"]


def test_the_secret_goes_in_the_body_where_the_provider_takes_only_that(fake):
    fake.discovery = {"token_endpoint_auth_methods_supported": ["client_secret_post"]}
    adapter = identity(fake)
    outgoing, code = code_for(fake, adapter)
    adapter.pin_from_code(code, redirect_uri=CALLBACK, code_verifier=outgoing.code_verifier,
                          nonce=outgoing.nonce, now=NOW)
    assert fake.token_requests[-1]["auth"] == "body" and fake.token_requests[-1]["client_ok"]


def test_without_a_secret_the_client_is_public_and_pkce_binds_the_code(fake):
    fake.client_secret_required = False
    adapter = TundukIdentity(fake.url, client_id=CLIENT_ID)
    outgoing, code = code_for(fake, adapter)
    assert adapter.pin_from_code(code, redirect_uri=CALLBACK, code_verifier=outgoing.code_verifier,
                                 nonce=outgoing.nonce, now=NOW) == PIN
    assert fake.token_requests[-1]["form"]["client_id"] == CLIENT_ID


def test_a_refused_code_is_a_refusal_and_a_failing_token_endpoint_an_outage(fake):
    adapter = identity(fake)
    outgoing, code = code_for(fake, adapter)
    with pytest.raises(IdentityRefused, match="invalid_grant"):
        adapter.pin_from_code(code, redirect_uri=CALLBACK, code_verifier="x" * 43, nonce=outgoing.nonce, now=NOW)
    for failure in ((502, "<html>bad gateway</html>"), (200, "not json"), (400, "<html>")):
        fake.token_failure = failure
        outgoing, code = code_for(fake, adapter)
        with pytest.raises(IdentityUnavailable):
            adapter.pin_from_code(code, redirect_uri=CALLBACK, code_verifier=outgoing.code_verifier,
                                  nonce=outgoing.nonce, now=NOW)
