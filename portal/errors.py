"""Answers for requests that fail outside the rules, for the whole site: an
address that matches no page, a method a page does not take, a request that
cannot be read, the database lost in the middle of a request, a bug.

A person never sees a stack trace: /api/... answers the API's JSON error (in
the request's language), every other address a page in the person's language.
The blueprints' own handlers (portal/public/__init__.py, the API's) come first;
these catch what reaches no blueprint (an unknown address) and what no
blueprint handles (a lost database connection on a public page).
"""
import logging

from flask import current_app, make_response, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    TooManyRequests,
)

from portal.extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30  # long enough for a failover or a restart of PostgreSQL

# The one map from refusal codes (portal/admission/errors.py) to HTTP statuses,
# for both edges: the API answers with it (data-formats.md), the public pages show
# a refusal with it where the page cannot simply be asked again (`portal.public.edge`).
HTTP_STATUS = {
    "validation_error": 422,
    "not_in_registry": 404,
    "not_parent_of_child": 403,
    "not_eligible_age": 422,
    "commission_required": 422,
    "registration_closed": 409,
    "outside_microdistrict": 422,
    "no_free_seats": 409,
    "already_registered": 409,
    "cancel_limit_reached": 409,
    "representative_limit_reached": 409,
    "document_required": 422,
    "document_limit_reached": 409,  # the form's drafts; the API keeps no unattached document
    "appeal_limit_reached": 429,  # appeals (portal/admission/appeals.py)
    "appeal_already_open": 409,
    "unauthorized": 401,
    "rate_limited": 429,
    # Added codes (data-formats.md allows extending by adding):
    "registry_unavailable": 503,
    "school_not_available": 422,
    "not_found": 404,
    "not_allowed": 409,
    "not_configured": 404,  # POST /auth/tunduk where no state identity is configured
    "confirmation_required": 428,  # a code went to the contact the application was made from
    "proof_rejected": 409,  # R7: the school rejected this child's teacher proof; the way is an appeal
    # A child the parent adds (POST /children):
    "child_already_shown": 409,
    "child_linked_to_another_parent": 409,
    "child_claimed_by_another": 409,
    "child_already_added": 409,
    "claim_data_mismatch": 422,
    "service_unavailable": 503,  # the database was lost mid-request: nothing saved
    "server_error": 500,
}


def with_retry_after(response, code):
    """When to come back, on an answer that says the service cannot help now."""
    if code == "registry_unavailable":
        # Come back when the circuit breaker lets a probe through again.
        response.headers["Retry-After"] = str(int(current_app.config["REGISTRY_BREAKER_RESET"]))
    elif code == "service_unavailable":
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _for_api():
    return request.path == "/api" or request.path.startswith("/api/")


def _answers():
    """(the API's answers, the public site's pages): given by the app factory, so
    that this module stays a leaf both edges may import."""
    return current_app.extensions["error_answers"]


def _rolled_back():
    # The session may hold a failed transaction (or a connection now invalid);
    # rolling back gives it a clean state for the rest of this app context.
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the rollback of a dead connection may fail too
        log.warning("rollback after a failed request failed as well", exc_info=True)


def database_unavailable(error):
    """The database went away mid-request (failover, restart, network): nothing
    of the request was committed; the next request gets a live connection."""
    _rolled_back()
    # The statement and its parameters may hold personal data: log the kind only.
    log.error("database unavailable during %s %s: %s", request.method, request.url_rule or "?",
              type(getattr(error, "orig", error)).__name__)
    api, pages = _answers()
    if _for_api():
        response = api.api_error("service_unavailable")
    else:
        response = make_response(pages.service_unavailable())
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def http_error(error):
    response = make_response(_http_error_answer(error))
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)  # as HTTP asks of a 405
    return response


def _http_error_answer(error):
    api, pages = _answers()
    if _for_api():
        return api.handle_error(error)
    if isinstance(error, NotFound):
        return pages.not_found(error)
    if isinstance(error, Forbidden):  # a staff page outside the user's role
        return pages.forbidden(error)
    if isinstance(error, RequestEntityTooLarge):
        return pages.file_too_large(error)
    if isinstance(error, TooManyRequests):  # a limit outside the public pages: the staff sign-in
        return pages.too_many_requests(error)
    if isinstance(error, MethodNotAllowed):
        return pages.method_not_allowed(error)
    if isinstance(error, InternalServerError):
        _rolled_back()
        return pages.server_error(error)
    return pages.bad_request(error)


# No body the site takes nests deeper than a few levels; a JSON body nested deeper
# than this is refused before anything walks it (issue 15, item 9: a body of
# 100,000 brackets was a RecursionError, a 500, at any address, unauthenticated).
MAX_JSON_DEPTH = 32


class _TooDeep(ValueError):
    pass


def _strings(value):
    """Every string in `value` (keys included), walked without recursion."""
    stack = [(value, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, (dict, list, tuple)):
            if depth > MAX_JSON_DEPTH:
                raise _TooDeep()
            items = [item for pair in value.items() for item in pair] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)


def _json_of_request():
    try:
        return request.get_json(silent=True)  # parsed once: the view reuses it
    except RecursionError:  # the JSON decoder's own limit, far past MAX_JSON_DEPTH
        raise _TooDeep() from None


def refuse_unreadable_input():
    """Refused up front, at every address, before any view: a NUL character
    anywhere (PostgreSQL cannot store or even compare text with one: psycopg
    raises DataError, a 500; no person types one) in the address, query, form
    fields or JSON, and a JSON body nested deeper than MAX_JSON_DEPTH. Uploaded
    files are not looked at (binary content is theirs to have)."""
    carried = [request.view_args or {}, list(request.args.lists())]
    try:
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            carried.append(list(request.form.lists()))
        elif request.is_json:
            carried.append(_json_of_request())
        if not any("\x00" in text for text in _strings(carried)):
            return None
    except _TooDeep:
        pass
    api, pages = _answers()
    if _for_api():
        return api.api_error("validation_error")
    return make_response(pages.bad_request(None))


def init_app(app, *, api, pages):
    """`api`: the module with the API's `api_error(code)` and `handle_error(error)`;
    `pages`: the public site's error pages (`not_found`, `bad_request`, ...)."""
    app.extensions["error_answers"] = (api, pages)
    app.before_request(refuse_unreadable_input)
    app.register_error_handler(OperationalError, database_unavailable)
    for exception in (BadRequest, Forbidden, NotFound, MethodNotAllowed, RequestEntityTooLarge, TooManyRequests,
                      InternalServerError):
        app.register_error_handler(exception, http_error)
