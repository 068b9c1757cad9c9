"""Parents sign in with "Түндүк", the state identity (OpenID Connect): the
button on the sign-in page leads here, here to the provider, and the provider
back to the callback, which signs the parent in as the code does.

The session holds the request's `state`, `nonce` and PKCE verifier between the
two (the cookie is signed, so the browser cannot change them), for
REQUEST_MINUTES at most and for one callback only. The PIN comes only from the
validated ID token, never from a form or the address. Whatever goes wrong, the
parent is sent back to the sign-in page with a message saying what happened
(`sign_in_views.PROBLEMS`), and can try again or use the code. No script.
"""
import hmac

from flask import abort, current_app, redirect, request, session, url_for

from portal import clock
from portal.admission import sign_in as sign_in_rules
from portal.identity import IdentityRefused, IdentityUnavailable, get_state_identity
from portal.public.edge import after_sign_in_target, attempt, current_applicant, locale, start_session

PENDING = "tunduk_request"  # the session key of a sign-in on its way through the provider
PROBLEM = "sign_in_problem"  # the session key of what the sign-in page must say
REQUEST_MINUTES = 10  # a parent who takes longer at the provider starts again


def _identity():
    identity = get_state_identity()
    if identity is None:
        abort(404)  # not configured: the sign-in page shows no button either
    return identity


def _callback_url():
    # Registered with the provider as it is: built from where people reach the
    # site, not from the request's Host header.
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("public.sign_in_tunduk_callback")


def _back_to_sign_in(problem):
    session[PROBLEM] = problem
    return redirect(url_for("public.sign_in"))


def sign_in_tunduk():
    identity = _identity()
    if current_applicant() is not None:
        return redirect(url_for("public.children"))
    try:
        outgoing = identity.authorization_request(redirect_uri=_callback_url(), locale=locale())
    except IdentityUnavailable:
        return _back_to_sign_in("tunduk_unavailable")
    session[PENDING] = {"state": outgoing.state, "nonce": outgoing.nonce,
                        "verifier": outgoing.code_verifier, "at": clock.now().timestamp()}
    return redirect(outgoing.url)


def sign_in_tunduk_callback():
    identity = _identity()
    pending = session.pop(PENDING, None)  # one callback per request, whatever its outcome
    if not _matches(pending, request.args.get("state")):
        return _back_to_sign_in("tunduk_failed")
    if "error" in request.args:
        # RFC 6749 §4.1.2.1: the parent said no, or the provider could not go on.
        error = request.args.get("error")
        if error == "access_denied":
            return _back_to_sign_in("tunduk_cancelled")
        if error == "temporarily_unavailable":
            return _back_to_sign_in("tunduk_unavailable")
        return _back_to_sign_in("tunduk_refused")
    code = request.args.get("code")
    if not code:
        return _back_to_sign_in("tunduk_failed")
    try:
        pin = identity.pin_from_code(code, redirect_uri=_callback_url(), code_verifier=pending["verifier"],
                                     nonce=pending["nonce"], now=clock.now())
    except IdentityUnavailable:
        return _back_to_sign_in("tunduk_unavailable")
    except IdentityRefused:
        return _back_to_sign_in("tunduk_failed")
    applicant, error = attempt(
        lambda: sign_in_rules.sign_in_with_state_identity(pin, now=clock.now(), locale=locale())
    )
    if error is not None:
        return _back_to_sign_in("registry_unavailable" if error.code == "registry_unavailable"
                                else "tunduk_not_in_registry")
    target = after_sign_in_target()
    start_session(applicant)
    return redirect(target)


def _matches(pending, state):
    if not isinstance(pending, dict) or not isinstance(state, str):
        return False
    if clock.now().timestamp() - pending.get("at", 0) > REQUEST_MINUTES * 60:
        return False
    return hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode())
