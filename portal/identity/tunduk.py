"""Sign-in with "Түндүк", the state identity provider, over OpenID Connect.

What is checked and why is in docs/security.md ("Sign-in with Түндүк"). In short:

- The provider is found by discovery (`{issuer}/.well-known/openid-configuration`);
  the document's `issuer` must be exactly the configured one and its endpoints
  https (Authlib allows plain http on loopback only, which the tests use).
- The browser uses the authorization code flow with PKCE (S256) and a fresh
  `state` and `nonce`; the code is exchanged at the token endpoint with the
  client secret (HTTP Basic, or in the body where the provider takes only that;
  without a secret the client is a public one and PKCE alone binds the code).
- An ID token counts only when signed by a key of the provider's key set
  (`jwks_uri`) with a public-key algorithm (never "none" or HS*, so the public
  key cannot be used as an HMAC secret), with `iss` the issuer, `aud` the client
  id (and `azp` when there are other audiences), `exp` not passed, `iat`
  present, the sign-in's `nonce` (browser flow), `at_hash` matching the access
  token when present, and a PIN (a string of 14 digits) in the configured claim.
- The discovery document and the key set are kept per process for
  `cache_seconds`. A token whose key id the kept set lacks makes one fresh fetch
  of the set (the provider rotated its keys), at most every `refresh_interval`
  seconds, so that made-up key ids cannot turn us into a flood on the provider.

Authlib does the protocol (discovery, the authorization URL, PKCE, the token
request, the ID token's claims), joserfc (Authlib's JOSE library) the key set
and the signature, and httpx the HTTP, as for the registry. Authlib's own httpx
integration is not used: in Authlib 1.9 it is deprecated in favour of another
HTTP package, and the shared client would carry one parent's access token.

Nothing personal is logged: log lines name the step and the check that failed,
never a PIN, a code or a token.
"""
import logging
import re
import time
from typing import NamedTuple
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_qs
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from portal.identity.ports import AuthorizationRequest, IdentityRefused, IdentityUnavailable
from portal.registry.ports import is_pin

log = logging.getLogger(__name__)

# Public-key signature algorithms only (OpenID Connect Core §10.1: RS256 at least).
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                         "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60  # clock skew allowed on exp, iat and nbf
REFRESH_INTERVAL = 10.0  # seconds: the least time between two fetches of the key set for an unknown key id
MAX_TOKEN_CHARS = 16 * 1024  # an ID token is a few hundred characters; refuse a flood before parsing
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")  # an OAuth error code, safe to log


class _Kept(NamedTuple):
    value: object
    fetched_at: float  # on `clock`


class TundukIdentity:
    """The `StateIdentity` adapter for an OpenID Connect provider (Түндүк).

    One instance per app (portal.identity.get_state_identity), shared by every
    thread: httpx.Client is thread-safe, and the kept documents are replaced
    whole, so a thread sees either the old or the new one.
    """

    def __init__(
        self,
        issuer: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        pin_claim: str = "pin",
        scope: str = "openid",
        timeout: float = 5.0,
        cache_seconds: float = 3600.0,
        refresh_interval: float = REFRESH_INTERVAL,
        transport: httpx.BaseTransport | None = None,
        clock=time.monotonic,
    ):
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret or None
        self.pin_claim = pin_claim
        self.scope = scope
        self.cache_seconds = float(cache_seconds)
        self.refresh_interval = float(refresh_interval)
        self._clock = clock
        self._metadata: _Kept | None = None
        self._keys: _Kept | None = None
        self._http = httpx.Client(
            timeout=httpx.Timeout(float(timeout)),
            headers={"Accept": "application/json", "User-Agent": "mektep1-tunduk"},
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_config(cls, config) -> "TundukIdentity":
        return cls(
            config["TUNDUK_OIDC_ISSUER"],
            client_id=config["TUNDUK_OIDC_CLIENT_ID"],
            client_secret=config.get("TUNDUK_OIDC_CLIENT_SECRET"),
            pin_claim=config.get("TUNDUK_OIDC_PIN_CLAIM") or "pin",
            scope=config.get("TUNDUK_OIDC_SCOPE") or "openid",
            timeout=float(config.get("TUNDUK_OIDC_TIMEOUT", 5)),
            cache_seconds=float(config.get("TUNDUK_OIDC_CACHE_SECONDS", 3600)),
        )

    def close(self) -> None:
        self._http.close()

    # --- the browser flow ------------------------------------------------------

    def authorization_request(self, *, redirect_uri: str, locale: str | None = None) -> AuthorizationRequest:
        endpoint = self.metadata().get("authorization_endpoint")
        if not endpoint:
            raise self._unavailable("discovery", "no authorization_endpoint")
        # RFC 7636 §4.1: a verifier of 43 to 128 unreserved characters.
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        extra = {"nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
                 "code_challenge_method": "S256"}
        if locale:
            extra["ui_locales"] = locale  # the provider's pages in the parent's language, if it can
        url = prepare_grant_uri(endpoint, self.client_id, "code", redirect_uri=redirect_uri,
                                scope=self.scope, state=state, **extra)
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def pin_from_code(self, code, *, redirect_uri, code_verifier, nonce, now):
        metadata = self.metadata()
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri,
                                     code_verifier=code_verifier)
        body, auth = self._client_authentication(metadata, body)
        try:
            response = self._http.post(metadata["token_endpoint"], content=body, auth=auth,
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        except httpx.HTTPError as error:
            raise self._unavailable("token endpoint", type(error).__name__) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 500 or not isinstance(answer, dict):
            raise self._unavailable("token endpoint", f"HTTP {response.status_code}")
        if response.status_code != 200 or "error" in answer:
            error = answer.get("error")
            raise self._refused("token endpoint", error if isinstance(error, str) and _ERROR_CODE.fullmatch(error)
                                else f"HTTP {response.status_code}")
        access_token = answer.get("access_token")
        return self.pin_from_id_token(answer.get("id_token"), now=now, nonce=nonce,
                                      access_token=access_token if isinstance(access_token, str) else None)

    def _client_authentication(self, metadata, body):
        """RFC 6749 §2.3.1: the secret by HTTP Basic (its parts form-encoded first),
        in the body where the provider takes only that; without one, the client id."""
        if not self.client_secret:
            return add_params_to_qs(body, [("client_id", self.client_id)]), None
        supported = metadata.token_endpoint_auth_methods_supported or ["client_secret_basic"]
        if "client_secret_basic" not in supported and "client_secret_post" in supported:
            return add_params_to_qs(body, [("client_id", self.client_id), ("client_secret", self.client_secret)]), None
        return body, httpx.BasicAuth(quote(self.client_id, safe=""), quote(self.client_secret, safe=""))

    # --- the ID token ----------------------------------------------------------

    def pin_from_id_token(self, id_token, *, now, nonce=None, access_token=None):
        if not isinstance(id_token, str) or not 0 < len(id_token) <= MAX_TOKEN_CHARS or id_token.count(".") != 2:
            raise self._refused("id token", "not a signed JWT")
        algorithms = self._algorithms()
        keys = self._key_set()
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=algorithms)
            except InvalidKeyIdError:
                fresh = self._key_set(stale=keys)
                if fresh is keys:
                    raise
                token = jwt.decode(id_token, fresh, algorithms=algorithms)
        except JoseError as error:
            raise self._refused("id token", error.error or type(error).__name__) from None
        except (ValueError, TypeError, KeyError):  # garbage the parser did not wrap
            raise self._refused("id token", "malformed") from None
        claims = CodeIDToken(
            token.claims, token.header,
            {"iss": {"essential": True, "value": self.issuer}, "aud": {"essential": True, "value": self.client_id}},
            {"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
        )
        try:
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except JoseError as error:
            raise self._refused("id token", f"{error.error} {getattr(error, 'claim', '')}".strip()) from None
        pin = claims.get(self.pin_claim)
        if not is_pin(pin):
            raise self._refused("id token", f"no PIN in claim {self.pin_claim!r}")
        return pin

    def _algorithms(self):
        offered = self.metadata().get("id_token_signing_alg_values_supported")
        allowed = [name for name in ASYMMETRIC_ALGORITHMS if isinstance(offered, list) and name in offered]
        return allowed or list(ASYMMETRIC_ALGORITHMS)

    # --- discovery and the key set, kept per process ----------------------------

    def metadata(self) -> OpenIDProviderMetadata:
        kept = self._metadata
        if kept is None or self._clock() - kept.fetched_at >= self.cache_seconds:
            kept = self._metadata = _Kept(self._discover(), self._clock())
        return kept.value

    def _discover(self) -> OpenIDProviderMetadata:
        metadata = OpenIDProviderMetadata(self._get_json(get_well_known_url(self.issuer, external=True), "discovery"))
        try:
            # OpenID Connect Discovery §4.3: exactly the issuer that was asked.
            if metadata.get("issuer") != self.issuer:
                raise ValueError('"issuer" is not TUNDUK_OIDC_ISSUER')
            metadata.validate_issuer()
            metadata.validate_authorization_endpoint()
            metadata.validate_token_endpoint()
            metadata.validate_jwks_uri()  # required in OpenID Connect, https
        except ValueError as error:
            raise self._unavailable("discovery", str(error)) from None
        return metadata

    def _key_set(self, *, stale: KeySet | None = None) -> KeySet:
        """The provider's keys. `stale` is a set that lacked a token's key id: fetch
        again, unless another thread just did or the last fetch is too recent."""
        kept, now = self._keys, self._clock()
        if kept is not None:
            if stale is None and now - kept.fetched_at < self.cache_seconds:
                return kept.value
            if stale is not None and (kept.value is not stale or now - kept.fetched_at < self.refresh_interval):
                return kept.value
        document = self._get_json(self.metadata()["jwks_uri"], "key set")
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, KeyError, TypeError, ValueError):
            raise self._unavailable("key set", "not a JWK set") from None
        self._keys = _Kept(keys, now)
        return keys

    def _get_json(self, url, step):
        try:
            response = self._http.get(url)
        except httpx.HTTPError as error:
            raise self._unavailable(step, type(error).__name__) from None
        if response.status_code != 200:
            raise self._unavailable(step, f"HTTP {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise self._unavailable(step, "not a JSON object")
        return document

    # --- refusals and outages, logged without personal data ----------------------

    @staticmethod
    def _refused(step, reason):
        log.info("Түндүк sign-in refused at the %s: %s", step, reason)
        return IdentityRefused(f"{step}: {reason}")

    @staticmethod
    def _unavailable(step, reason):
        log.warning("Түндүк not usable now, %s: %s", step, reason)
        return IdentityUnavailable(f"{step}: {reason}")
