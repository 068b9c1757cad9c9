"""A local OpenID Connect provider that plays "Түндүк" (the state identity) for tests.

It serves discovery, the key set, the authorization endpoint and the token
endpoint over real HTTP (werkzeug's server in a thread), signs real RS256 ID
tokens with keys made here by `cryptography`, and checks what a provider
checks: the client's id and secret, the redirect URI, and that the
code_verifier matches the S256 challenge of the authorization request.

    fake.person_pin = PIN          # who signs in at the authorization endpoint
    fake.authorize_error = "access_denied"   # the parent cancels there
    fake.claims = {"aud": "other"} # overrides in the next ID tokens (None removes a claim)
    fake.signing_key = OTHER_KEY   # sign with a key that is not in the key set
    fake.publish(KEY, OTHER_KEY)   # the key set it serves (a rotation)
    fake.discovery = {...}         # overrides in the discovery document (None removes a field)
    fake.token_failure = (502, "<html>")  # the token endpoint alone fails
    fake.down = True               # 503 to everything
    fake.id_token(pin)             # an ID token as a parents' app would get one

`fake.hits` counts requests per path; `fake.token_requests` keeps what each
token request carried and whether its verifier matched.
"""
import base64
import hashlib
import json
import secrets
import threading
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import unquote, urlencode

import pytest
from authlib.oidc.core.util import create_half_hash
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "mektep1-portal"
CLIENT_SECRET = "s3cret:with/odd chars"  # form-encoded in HTTP Basic (RFC 6749 §2.3.1)


def _rsa_key(kid):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return RSAKey.import_key(private, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


# Made once per test run: RSA key generation takes a moment.
KEY = _rsa_key("tunduk-2026-1")
NEXT_KEY = _rsa_key("tunduk-2026-2")  # the provider's next key (rotation)
OTHER_KEY = _rsa_key("tunduk-2026-1")  # not the provider's, with the same key id: a forged signature


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeTunduk:
    def __init__(self):
        self.person_pin = None
        self.authorize_error = None
        self.claims = {}
        self.signing_key = None
        self.down = False
        self.token_failure = None  # (status, text) the token endpoint answers instead
        self.client_secret_required = True  # False: a public client, PKCE only
        self.discovery = {}  # overrides in the discovery document (None removes a field)
        self.now = lambda: datetime.now(timezone.utc)
        self.hits = Counter()
        self.token_requests = []
        self.authorize_requests = []
        self._codes = {}
        self._published = [KEY]
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)

    def publish(self, *keys):
        self._published = list(keys)

    # --- tokens ------------------------------------------------------------------

    def id_token(self, pin, /, *, nonce=None, access_token=None, key=None, header=None, **overrides):
        """A signed ID token for `pin`, `fake.claims` and `overrides` applied (None removes)."""
        now = int(self.now().timestamp())
        claims = {"iss": self.url, "sub": f"sub-{pin}", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "auth_time": now, "pin": pin}
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["at_hash"] = create_half_hash(access_token, "RS256").decode()
        for name, value in {**self.claims, **overrides}.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = key or self.signing_key or KEY
        return jwt.encode({"alg": "RS256", "kid": key.kid, **(header or {})}, claims, key)

    # --- the provider's endpoints --------------------------------------------------

    def metadata(self):
        document = {
            "issuer": self.url,
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        }
        for name, value in self.discovery.items():
            if value is None:
                document.pop(name, None)
            else:
                document[name] = value
        return document

    def wsgi(self, environ, start_response):
        request = Request(environ)
        self.hits[request.path] += 1
        if self.down:
            response = Response("down for maintenance", status=503)
        elif request.path == "/.well-known/openid-configuration":
            response = _json(self.metadata())
        elif request.path == "/jwks":
            response = _json({"keys": [key.as_dict(private=False) for key in self._published]})
        elif request.path == "/authorize":
            response = self._authorize(request)
        elif request.path == "/token" and request.method == "POST":
            response = self._token(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _authorize(self, request):
        args = request.args
        self.authorize_requests.append(dict(args))
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return Response("unknown client", status=400)
        back = {"state": args.get("state", "")}
        if self.authorize_error:
            back["error"] = self.authorize_error
        else:
            code = secrets.token_urlsafe(16)
            self._codes[code] = {
                "challenge": args.get("code_challenge"), "method": args.get("code_challenge_method"),
                "redirect_uri": args.get("redirect_uri"), "nonce": args.get("nonce"), "pin": self.person_pin,
            }
            back["code"] = code
        return Response(status=302, headers={"Location": args.get("redirect_uri", "") + "?" + urlencode(back)})

    def _token(self, request):
        if self.token_failure is not None:
            status, body = self.token_failure
            return Response(body, status=status, mimetype="text/html")
        form = request.form
        if "Authorization" in request.headers:  # client_secret_basic
            client_id, secret = _basic_auth(request.headers["Authorization"])
        else:  # client_secret_post, or a public client (no secret)
            client_id, secret = form.get("client_id"), form.get("client_secret")
        issued = self._codes.pop(form.get("code", ""), None)  # a code works once
        verifier = form.get("code_verifier", "")
        pkce_ok = bool(issued and issued["method"] == "S256"
                       and b64(hashlib.sha256(verifier.encode()).digest()) == issued["challenge"])
        client_ok = client_id == CLIENT_ID and secret == (CLIENT_SECRET if self.client_secret_required else None)
        self.token_requests.append({"client_ok": client_ok, "pkce_ok": pkce_ok, "form": dict(form),
                                    "auth": "basic" if "Authorization" in request.headers else "body"})
        if not client_ok:
            return _json({"error": "invalid_client"}, 401)
        if (form.get("grant_type") != "authorization_code" or issued is None or not pkce_ok
                or form.get("redirect_uri") != issued["redirect_uri"]):
            return _json({"error": "invalid_grant"}, 400)
        access_token = secrets.token_urlsafe(24)
        return _json({"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                      "id_token": self.id_token(issued["pin"], nonce=issued["nonce"], access_token=access_token)})


def _json(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _basic_auth(header):
    if not header.startswith("Basic "):
        return None, None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return unquote(user), unquote(password)


def expired(fake):
    """Claims of a token that expired two minutes ago (past the allowed clock skew)."""
    now = int(fake.now().timestamp())
    return {"iat": now - 600, "exp": now - 120}


@pytest.fixture
def fake_tunduk():
    with FakeTunduk() as fake:
        yield fake


@pytest.fixture
def tunduk(app, fake_tunduk):
    """The app configured for the fake provider, which signs at the app's frozen time."""
    app.config.update(TUNDUK_OIDC_ISSUER=fake_tunduk.url, TUNDUK_OIDC_CLIENT_ID=CLIENT_ID,
                      TUNDUK_OIDC_CLIENT_SECRET=CLIENT_SECRET)
    fake_tunduk.now = lambda: app.config.get("FROZEN_NOW") or datetime.now(timezone.utc)
    yield fake_tunduk
    identity = app.extensions.pop("state_identity", None)
    if identity is not None:
        identity.close()


__all__ = ["CLIENT_ID", "CLIENT_SECRET", "KEY", "NEXT_KEY", "OTHER_KEY", "FakeTunduk", "expired",
           "fake_tunduk", "tunduk"]
