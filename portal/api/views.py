"""Handlers of the JSON API: parse, call the domain, commit once, answer.

Errors are `{"error": {"code", "message"}}` with the status of
data-formats.md; the message is in the request's language.
"""
import functools
import logging
from datetime import date

from flask import current_app, g, jsonify, request
from flask_babel import get_locale
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal import clock
from portal.admission import applications, cancelling, claims, documents, family, registration, sign_in, sign_out
from portal.admission import schools as school_choice
from portal.admission.calendar import stage_at
from portal.admission.errors import AdmissionError, Refusal
from portal.api import serializers
from portal.api.openapi import document as openapi_document
from portal.audit import set_request_actor
from portal.errors import HTTP_STATUS, database_unavailable, with_retry_after
from portal.extensions import db
from portal.unit_of_work import finish
from portal.identity import IdentityRefused, IdentityUnavailable, get_state_identity
from portal.models import LANGUAGES
from portal.registry import RegistryUnavailable, get_registry
from portal.reports import open_statistics

log = logging.getLogger(__name__)

def error_response(error, **extra):
    body = {"error": {"code": error.code, "message": error.message}, **extra}
    response = jsonify(body)
    response.status_code = HTTP_STATUS[error.code]
    return with_retry_after(response, error.code)


def api_error(code):
    return error_response(AdmissionError(code))


def handle_error(error):
    if isinstance(error, OperationalError):
        return database_unavailable(error)
    if isinstance(error, Refusal):
        finish(error)
        return error_response(error)
    db.session.rollback()
    if isinstance(error, HTTPException) and error.code < 500:
        code = {401: "unauthorized", 404: "not_found", 429: "rate_limited"}.get(
            error.code, "validation_error"
        )
        response = error_response(AdmissionError(code))
        if error.code not in (401, 404, 429):
            response.status_code = error.code
        return response
    log.exception("API error")  # no personal data: the traceback holds no request body
    return api_error("server_error")


def bearer_token(header):
    """The token of an `Authorization: Bearer TOKEN` header, or None. The scheme
    is read in any case and spaces around the token are dropped (RFC 6750), so
    every spelling that authenticates names the same token (portal/limits.py
    keys the limit per parent on it)."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def token_holder():
    """(Applicant or None, contact id, token) of this request's bearer token,
    looked up once per request: the limit's key and the view both ask. Kept in
    the request's environ, not on `g`, which a reused app context carries over."""
    found = request.environ.get("mektep.token_holder")
    if found is None:
        token = bearer_token(request.headers.get("Authorization"))
        found = (*sign_in.applicant_for_token(token, now=clock.now()), token)
        request.environ["mektep.token_holder"] = found
    return found


def requires_applicant(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        applicant, contact_id, token = token_holder()
        if applicant is None:
            raise AdmissionError("unauthorized")
        g.applicant, g.contact_id, g.api_token = applicant, contact_id, token
        set_request_actor(f"applicant:{applicant.id}")
        return view(*args, **kwargs)

    return wrapper


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AdmissionError("validation_error")
    return body


def _text(body, name, required=True):
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise AdmissionError("validation_error")
        return None
    if not isinstance(value, str):
        raise AdmissionError("validation_error")
    return value.strip()


def _locale():
    return str(get_locale())


def openapi():
    return jsonify(openapi_document())


def auth_start():
    body = _json_body()
    asked = sign_in.start(_text(body, "pin"), email=_text(body, "email", required=False),
                          phone=_text(body, "phone", required=False),
                          id_document=_text(body, "id_document", required=False), requester=request.remote_addr,
                          give_token=True, now=clock.now(), locale=_locale())
    db.session.commit()
    # The request token, sent back with the code, makes the tries this client's
    # own: a stranger's wrong guesses cannot use them up (sign_in.verify).
    return jsonify({"status": "code_sent_if_known", "request": asked.token}), 202


def auth_verify():
    body = _json_body()
    applicant, contact = sign_in.verify(_text(body, "pin"), _text(body, "code"), requester=request.remote_addr,
                                        request_token=_text(body, "request", required=False),
                                        now=clock.now(), locale=_locale())
    token = sign_in.issue_token(applicant, now=clock.now(), contact=contact)
    db.session.commit()
    return jsonify({"token": token, "token_type": "Bearer", "expires_in": sign_in.TOKEN_HOURS * 3600})


def auth_tunduk():
    """An ID token from the state identity provider ("Түндүк"), obtained by the
    parents' app itself, for a bearer token (data-formats.md)."""
    identity = get_state_identity()
    if identity is None:
        raise AdmissionError("not_configured")
    id_token = _text(_json_body(), "id_token")
    try:
        pin = identity.pin_from_id_token(id_token, now=clock.now())
    except IdentityRefused:
        raise AdmissionError("unauthorized") from None
    except IdentityUnavailable:
        raise AdmissionError("service_unavailable") from None  # nothing decided or saved
    applicant = sign_in.sign_in_with_state_identity(pin, now=clock.now(), locale=_locale())
    token = sign_in.issue_token(applicant, now=clock.now())
    db.session.commit()
    return jsonify({"token": token, "token_type": "Bearer", "expires_in": sign_in.TOKEN_HOURS * 3600})


@requires_applicant
def auth_sign_out():
    """The token of this call ends; the applicant's other devices stay signed in."""
    ended = sign_out.revoke_token(g.applicant, g.api_token, now=clock.now())
    db.session.commit()
    return jsonify({"status": "signed_out", "tokens_revoked": ended})


@requires_applicant
def auth_sign_out_everywhere():
    """Every token of the applicant ends, and their sessions on the public site."""
    ended = sign_out.sign_out_everywhere(g.applicant, now=clock.now())
    db.session.commit()
    return jsonify({"status": "signed_out", "tokens_revoked": ended})


@requires_applicant
def me():
    registry = get_registry()
    try:
        person = registry.person(g.applicant.pin)
    except RegistryUnavailable:
        raise AdmissionError("registry_unavailable") from None
    children = claims.children_of(g.applicant)  # the registry's and the ones the parent added
    return jsonify(serializers.me(g.applicant, person, children, claims.live_claims(g.applicant.id)))


@requires_applicant
def list_children():
    """The children the applicant added (every claim, with its state)."""
    return jsonify({"children": [serializers.claim(c) for c in claims.claims_of(g.applicant.id)]})


@requires_applicant
def add_child():
    """A child the registry does not show: the parent adds it (2026 text, obligations of the applicant)."""
    body = _json_body()
    try:
        birth_date = date.fromisoformat(_text(body, "birth_date"))
    except ValueError:
        raise AdmissionError("validation_error") from None
    claim = claims.add_child(
        g.applicant, pin=_text(body, "child_pin"), last_name=_text(body, "last_name"),
        first_name=_text(body, "first_name"), patronymic=_text(body, "patronymic", required=False) or "",
        sex=_text(body, "sex"), birth_date=birth_date, certificate_series=_text(body, "certificate_series"),
        certificate_number=_text(body, "certificate_number"), now=clock.now(),
    )
    answer = serializers.claim(claim)
    db.session.commit()
    return jsonify(answer), 201


@requires_applicant
def schools():
    child_pin = request.args.get("child_pin", "")
    language = request.args.get("language") or None
    if not sign_in.valid_pin(child_pin):
        raise AdmissionError("validation_error")
    stage, choices = school_choice.schools_for_child(
        g.applicant.pin, child_pin, now=clock.now(), language=language,
        district_code=request.args.get("district") or None,
    )
    return jsonify({"stage": stage, "schools": [serializers.school(c, _locale()) for c in choices]})


@requires_applicant
def create_application():
    if request.mimetype == "multipart/form-data":
        body = request.form.to_dict()
        file = request.files.get("document")
    else:
        body, file = _json_body(), None
    child_pin = _text(body, "child_pin")
    school_code = _text(body, "school_code")
    language = _text(body, "language")
    category = _text(body, "category", required=False)
    if not sign_in.valid_pin(child_pin):
        raise AdmissionError("validation_error")
    # The upload is checked in memory first; its row goes in with the
    # registration and its file is written only once the rules said yes (a
    # failed commit deletes it again: documents.write_file).
    upload = documents.read_upload(file.stream, filename=file.filename) if file is not None and file.filename \
        else None
    document = None
    if upload is not None:
        as_representative = family.family_of(g.applicant.pin, child_pin).as_representative
        kind = documents.kind_for(as_representative=as_representative, category=category)
        document = documents.new_document(upload, owner_pin=g.applicant.pin, kind=kind)
    try:
        application = registration.register(
            g.applicant, child_pin, school_code, language,
            now=clock.now(), secret=current_app.config["SECRET_KEY"], category=category, document=document,
            contact_id=g.contact_id,
        )
    except AdmissionError as error:
        if error.code != "already_registered":
            raise
        return _already_registered(error, child_pin)
    if document is not None:
        documents.write_file(document, upload)
    # The answer is read before the commit: the commit expires every loaded
    # object, and reading them after it would cost a round trip each.
    body = serializers.application(application)
    db.session.commit()
    return jsonify(body), 201


def _already_registered(error, child_pin):
    """409 already_registered; when this parent holds the child's application
    (a retry after a lost answer, a double click), the answer carries it, place
    included, so the parent learns the outcome either way."""
    db.session.rollback()
    held = applications.held_application(g.applicant, child_pin)
    return error_response(error, **({"application": serializers.application(held)} if held else {}))


@requires_applicant
def list_applications():
    rows = applications.applications_of(g.applicant)
    return jsonify({"applications": [serializers.application(a) for a in rows]})


@requires_applicant
def get_application(number):
    return jsonify(serializers.application(applications.own_application(g.applicant, number)))


@requires_applicant
def cancel_application(number):
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    application = cancelling.cancel(
        g.applicant, number, now=clock.now(), contact_id=g.contact_id,
        confirmation_code=_text(body, "confirmation_code", required=False), locale=_locale(),
    )
    db.session.commit()
    return jsonify(serializers.application(application))


@requires_applicant
def move_application(number):
    body = _json_body()
    moved = cancelling.move(
        g.applicant, number, _text(body, "school_code"), _text(body, "language"), now=clock.now(),
        secret=current_app.config["SECRET_KEY"],
        contact_id=g.contact_id, confirmation_code=_text(body, "confirmation_code", required=False),
        locale=_locale(),
    )
    db.session.commit()
    return jsonify(serializers.application(moved)), 201


@requires_applicant
def contacts():
    return jsonify(serializers.contacts(g.applicant, g.contact_id))


@requires_applicant
def remove_contact(contact_id):
    sign_in.remove_contact(g.applicant, contact_id, acting_contact_id=g.contact_id, now=clock.now())
    db.session.commit()
    return jsonify(serializers.contacts(g.applicant, g.contact_id))


def free_seats():
    """Public: free seats per school and language, optionally of one district and
    one language, with their totals. The answer is kept for a few seconds per
    district, language and reader's language (portal/reports/open_statistics.py):
    a crowd asking at once costs the database one query per key and process.
    ETag and Cache-Control let browsers and proxies keep it as long."""
    district = request.args.get("district") or None
    language = request.args.get("language") or None
    locale = _locale()

    def answer():
        campaign, choices = school_choice.free_seats(district_code=district)
        stage = stage_at(campaign, clock.now()) if campaign else None
        schools = [serializers.school(c, locale) for c in choices]
        if language:
            schools = [{**school, "languages": [entry for entry in school["languages"] if entry["language"] == language]}
                       for school in schools]
            schools = [school for school in schools if school["languages"]]
        totals = open_statistics.totals_of(entry for school in schools for entry in school["languages"])
        body = current_app.json.dumps({"stage": stage, "schools": schools, "totals": totals}).encode()
        return body, open_statistics.etag_of(body)

    # Only keys that can exist are kept, so made-up ones cannot crowd the cache out.
    if open_statistics.plausible_code(district) and language in (None, *LANGUAGES):
        body, etag = open_statistics.cached(("api.free_seats", district, language, locale), answer)
    else:
        body, etag = answer()
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={int(open_statistics.ttl())}"
    return response.make_conditional(request)
