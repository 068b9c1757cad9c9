"""Coarse rate limits at the edge (Flask-Limiter), on Redis in production and in
memory on the embedded default.

The fine limits live in the domain: sign-in codes per PIN and per e-mail
address (portal/admission/sign_in.py), staff lockout per account. These are the
coarse ones that stop a flood, set high enough for thousands of parents behind
one mobile operator's shared address (carrier-grade NAT):

- per client address on the sign-in calls (`RATELIMIT_SIGN_IN`);
- per parent on the calls that take, give back or move a seat, in the API and
  on the form (`RATELIMIT_REGISTER`), so one parent's script cannot hammer the
  seat rows;
- per client address on the staff sign-in pages (`RATELIMIT_STAFF_SIGN_IN`),
  against guessing many accounts' passwords from one place (the lockout is per
  account and address, admin/security.py).

The client address is `request.remote_addr`, which the app factory takes from
X-Forwarded-For behind PROXY_COUNT proxies (`portal.trust_the_proxies`).

Limits are applied here by endpoint name, so views stay free of them; a limit
refusal is answered like any other: 429 `rate_limited`.
"""
import hashlib

from flask import request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from portal.api.views import token_holder

SIGN_IN_ENDPOINTS = ("api.auth_start", "api.auth_verify", "api.auth_tunduk", "public.sign_in", "public.sign_in_code",
                     "public.sign_in_tunduk", "public.sign_in_tunduk_callback")
REGISTER_ENDPOINTS = ("api.create_application", "api.cancel_application", "api.move_application")
# The form's submit, cancel and move: limited when they act (POST), like the API's.
FORM_REGISTER_ENDPOINTS = ("public.check", "public.cancel", "public.move", "public.move_confirm")
# Staff sign-in: the password, the second factor, asking for a reset link (POST).
STAFF_SIGN_IN_ENDPOINTS = ("admin_auth.login", "admin_auth.second_factor", "admin_auth.totp_setup",
                           "admin_auth.reset_request")


def per_parent():
    """The signed-in parent, however the request says who it is: the applicant of
    the bearer token (looked up once, whatever the spaces or the case of `Bearer`)
    or of the form session. A parent with several tokens or browsers has one
    bucket. A token that names nobody is its own bucket (the call answers 401);
    no credential at all: the address."""
    if request.blueprint == "api":
        applicant, _, token = token_holder()
        if applicant is not None:
            return f"p:{applicant.id}"
        if token:
            return "t:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    else:
        applicant_id = session.get("applicant_id")  # the signed cookie: nobody else can name this parent
        if applicant_id is not None:
            return f"p:{applicant_id}"
    return "a:" + (get_remote_address() or "")


def init_app(app):
    config = app.config
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "memory://")
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Fail open: if Redis is down, registration goes on (the domain limits still hold).
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # One limiter per app: tests build many apps, each with its own counters.
    limiter = Limiter(key_func=get_remote_address, app=app)
    # The decorated views refer to the limiter weakly, and a disabled limiter
    # (RATELIMIT_ENABLED=0) does not register itself with the app: keep it alive here.
    app.extensions["mektep_limiter"] = limiter
    for endpoint in SIGN_IN_ENDPOINTS:
        _limit(app, limiter, endpoint, config["RATELIMIT_SIGN_IN"], get_remote_address)
    for endpoint in REGISTER_ENDPOINTS:
        _limit(app, limiter, endpoint, config["RATELIMIT_REGISTER"], per_parent)
    for endpoint in FORM_REGISTER_ENDPOINTS:
        _limit(app, limiter, endpoint, config["RATELIMIT_REGISTER"], per_parent, methods=["POST"])
    for endpoint in STAFF_SIGN_IN_ENDPOINTS:
        _limit(app, limiter, endpoint, config["RATELIMIT_STAFF_SIGN_IN"], get_remote_address, methods=["POST"])
    return limiter


def _limit(app, limiter, endpoint, rule, key_func, methods=None):
    view = app.view_functions.get(endpoint)
    if view is not None and rule:
        app.view_functions[endpoint] = limiter.limit(rule, key_func=key_func, methods=methods)(view)
