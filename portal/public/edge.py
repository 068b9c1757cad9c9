"""What every handler of the public pages shares: the signed-in parent, the
children as opaque references, the draft of an application, and calling the
domain with one commit (or a rollback and a message for the parent).

Personal data stays out of URLs and cookies: the session cookie holds the
applicant's id, the id of a pending sign-in code and a draft made of school
codes and opaque child references; a child is named in a URL by an HMAC of its
PIN that only this server can tie back to it.

The cookie also holds a copy of the applicant's session version: sign-out
raises the version (`portal.admission.sign_out`), so a copy of the cookie kept
from before signs nobody in. It is checked on the applicant's row, which every
signed-in page loads anyway.
"""
import functools
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from portal import clock
from portal.admission import claims, sign_in
from portal.audit import set_request_actor
from portal.errors import HTTP_STATUS, with_retry_after
from portal.extensions import db
from portal.unit_of_work import attempt  # noqa: F401  (the views' one way to commit)
from portal.models import Applicant

# Refusals a page shows with their own HTTP status (`portal.errors.HTTP_STATUS`, the
# API's): asking again cannot help now. Every other refusal re-renders the form, 422.
OWN_STATUS = frozenset({"registry_unavailable", "rate_limited", "unauthorized", "not_found", "not_allowed",
                        "confirmation_required", "appeal_limit_reached", "appeal_already_open",
                        "document_limit_reached", "service_unavailable", "server_error"})


def page_status(code):
    """The HTTP status of a page that shows the refusal `code`."""
    return HTTP_STATUS[code] if code in OWN_STATUS else 422
SESSION_KEYS_KEPT_ON_SIGN_IN = ("lang",)


def locale():
    return str(get_locale())


# --- the signed-in parent ----------------------------------------------------

def start_session(applicant, contact=None):
    """A fresh session for a signed-in parent (no fixation: nothing else survives).
    `contact`: the contact whose code signed them in; None after Түндүк."""
    kept = {key: session[key] for key in SESSION_KEYS_KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    session["applicant_id"] = applicant.id
    session["contact_id"] = contact.id if contact is not None else None
    session["applicant_version"] = applicant.session_version
    session["signed_in_at"] = clock.now().timestamp()


def end_session():
    """Forget the signed-in parent in this cookie (sign-out also ends it on the
    server: `portal.admission.sign_out.end_web_sessions`)."""
    kept = {key: session[key] for key in SESSION_KEYS_KEPT_ON_SIGN_IN if key in session}
    session.clear()
    session.update(kept)


def current_applicant():
    applicant_id, since = session.get("applicant_id"), session.get("signed_in_at")
    # A session from before contacts were bound has no "contact_id": sign in again.
    if applicant_id is None or since is None or "contact_id" not in session:
        return None
    # A form session lasts as long as an API token.
    started = datetime.fromtimestamp(since, tz=timezone.utc)
    if clock.now() - started > timedelta(hours=sign_in.TOKEN_HOURS):
        end_session()
        return None
    applicant = db.session.get(Applicant, applicant_id)
    if applicant is None or applicant.session_version != session.get("applicant_version"):
        end_session()  # ended on the server: signed out here, or everywhere from the app
        flash(_("You have been signed out. Please sign in again."))
        return None
    contact_id = session["contact_id"]
    if contact_id is not None and contact_id not in {contact.id for contact in applicant.active_contacts}:
        end_session()  # the contact it came through was removed
        return None
    return applicant


def signed_in(view):
    """The page needs a signed-in parent: otherwise go to sign-in, then come back."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        applicant = current_applicant()
        if applicant is None:
            if request.method == "GET":
                session["after_sign_in"] = request.path
            return redirect(url_for("public.sign_in"))
        g.applicant, g.contact_id = applicant, session.get("contact_id")
        set_request_actor(f"applicant:{applicant.id}")
        return view(*args, **kwargs)

    return wrapper


def after_sign_in_target():
    target = session.pop("after_sign_in", None)
    # Only a path of this site (never another host).
    if isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("public.children")


# --- children ----------------------------------------------------------------

def child_ref(pin):
    key = current_app.config["SECRET_KEY"].encode()
    message = f"child:{g.applicant.id}:{pin}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def children():
    """[(ref, Link, Person)] of the parent's children: those the registry links to
    the parent and those the parent added that it does not show (`claims`)."""
    return [(child_ref(person.pin), link, person) for link, person in claims.children_of(g.applicant)]


def child(ref):
    """(Link, Person) of one of the parent's children, or 404."""
    for found, link, person in children():
        if hmac.compare_digest(found, ref):
            return link, person
    abort(404)


# --- the draft of an application (between the steps) --------------------------

def draft():
    return dict(session.get("draft") or {})


def save_draft(**changes):
    current = draft()
    current.update(changes)
    session["draft"] = current
    return current


def clear_draft():
    session.pop("draft", None)


# --- calling the domain ------------------------------------------------------

def render_form(template, error=None, *, errors=(), status=None, **context):
    """A page with a form. `errors` is [(message, "#field-id")] for the summary at
    the top; a domain `error` joins it, linked to `context["error_target"]` if given.
    A page with errors answers 422 (503 for an outage, 429 for too many tries)."""
    errors = list(errors)
    if error is not None:
        errors.append((error.message, context.get("error_target")))
    if status is None and errors:
        status = page_status(error.code) if error is not None else 422
    response = make_response(render_template(template, errors=errors, error=error, **context), status or 200)
    return with_retry_after(response, error.code) if error is not None else response


# Fields whose first input carries an id of its own ("choice-0"): the summary links there.
_OPTION_FIELDS = ("RadioField", "SelectMultipleField")


def form_errors(form, order):
    """The summary entries of a form's field errors, in the order of the page."""
    entries = []
    for name in order:
        field = getattr(form, name, None)
        if field is None or not field.errors:
            continue
        target = f"#{field.id}-0" if field.type in _OPTION_FIELDS else f"#{field.id}"
        entries.append((field.errors[0], target))
    return entries


def unavailable(error):
    """A page that could not be shown because the domain refused (mostly: the
    registry is not answering); it offers to try the same page again."""
    return render_form("public/unavailable.html", error, status=page_status(error.code),
                       retry=request.full_path.rstrip("?") if request.method == "GET" else None)

