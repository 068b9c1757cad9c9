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

from flask import make_response, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import (
    BadRequest,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    TooManyRequests,
)

from portal.extensions import db

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30  # long enough for a failover or a restart of PostgreSQL


def _for_api():
    return request.path == "/api" or request.path.startswith("/api/")


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
    if _for_api():
        from portal.api.views import api_error

        response = api_error("service_unavailable")
    else:
        from portal.public.errors import service_unavailable

        response = make_response(service_unavailable())
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def http_error(error):
    response = make_response(_http_error_answer(error))
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)  # as HTTP asks of a 405
    return response


def _http_error_answer(error):
    if _for_api():
        from portal.api.views import handle_error

        return handle_error(error)
    from portal.public import errors as pages

    if isinstance(error, NotFound):
        return pages.not_found(error)
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


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def refuse_nul_characters():
    """PostgreSQL cannot store or even compare text with a NUL character
    (psycopg raises DataError, a 500): no person types one, so a request that
    carries one in its address, query, form fields or JSON is refused up front.
    Uploaded files are not looked at (binary content is theirs to have)."""
    carried = [request.view_args or {}, list(request.args.lists())]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        carried.append(list(request.form.lists()))
    elif request.is_json:
        carried.append(request.get_json(silent=True))  # parsed once: the view reuses it
    if not any("\x00" in text for text in _strings(carried)):
        return None
    if _for_api():
        from portal.api.views import api_error

        return api_error("validation_error")
    from portal.public.errors import bad_request

    return make_response(bad_request(None))


def init_app(app):
    app.before_request(refuse_nul_characters)
    app.register_error_handler(OperationalError, database_unavailable)
    for exception in (BadRequest, NotFound, MethodNotAllowed, RequestEntityTooLarge, TooManyRequests,
                      InternalServerError):
        app.register_error_handler(exception, http_error)
