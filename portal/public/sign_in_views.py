"""Parents sign in with PIN, identity document number and an e-mail address or
a mobile number, then the one-time code (the same domain functions, and so the
same limits, as the API); or, first where it is configured, with Түндүк
(portal/public/tunduk_views.py)."""
from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.sign_in import CodeForm, SignInForm
from portal import clock
from portal.admission import sign_in as sign_in_rules
from portal.admission.errors import AdmissionError
from portal.errors import RETRY_AFTER_SECONDS
from portal.admission import sign_out as sign_out_rules
from portal.audit import set_request_actor
from portal.extensions import db
from portal.identity import get_state_identity
from portal.models import SignInCode
from portal.public.edge import (
    after_sign_in_target,
    attempt,
    current_applicant,
    end_session,
    form_errors,
    locale,
    render_form,
    start_session,
)
from portal.public.tunduk_views import PROBLEM

# What the sign-in page says when a sign-in with Түндүк came back without the
# parent signed in (tunduk_views), and the status of that page.
PROBLEMS = {
    "tunduk_cancelled": (_l("Signing in with Түндүк was cancelled. You can try again, "
                            "or sign in with a one-time code below."), 401),
    "tunduk_refused": (_l("Түндүк did not confirm who you are. You can try again, "
                          "or sign in with a one-time code below."), 401),
    "tunduk_failed": (_l("Signing in with Түндүк could not be completed. Please try again, "
                         "or sign in with a one-time code below."), 401),
    "tunduk_unavailable": (_l("Түндүк is not answering right now. Please try again in a few minutes, "
                              "or sign in with a one-time code below."), 503),
    "tunduk_not_in_registry": (_l("Түндүк confirmed who you are, but your PIN was not found in the "
                                  "population registry. Please contact your district education department."), 401),
}


def _sign_in_page(form, errors=(), error=None, **context):
    return render_form("public/sign_in.html", error, form=form, errors=errors,
                       tunduk=get_state_identity() is not None, **context)


def _came_back_from_tunduk(form):
    """The sign-in page after a sign-in with Түндүк that did not sign the parent in."""
    problem = session.pop(PROBLEM, None)
    if problem == "registry_unavailable":
        return _sign_in_page(form, error=AdmissionError("registry_unavailable"), error_target="#tunduk")
    message, status = PROBLEMS.get(problem, PROBLEMS["tunduk_failed"])
    response = _sign_in_page(form, errors=[(str(message), "#tunduk")])
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def sign_in():
    if current_applicant() is not None:
        return redirect(url_for("public.children"))
    form = SignInForm()
    if request.method == "GET" and PROBLEM in session:
        return _came_back_from_tunduk(form)
    if not form.validate_on_submit():
        return _sign_in_page(form, errors=form_errors(form, ("pin", "id_document", "contact")))

    def mail_a_code():
        # The session remembers the code's row, not the PIN: no PIN in the cookie.
        return sign_in_rules.start(form.pin.data, id_document=form.id_document.data, requester=request.remote_addr,
                                   now=clock.now(), locale=locale(), **form.contact_fields()).code_id

    code_id, error = attempt(mail_a_code)
    if error is not None:
        # The form keeps what was typed (an outage loses nothing).
        return _sign_in_page(form, error=error, error_target="#pin")
    session["sign_in_code_id"] = code_id
    return redirect(url_for("public.sign_in_code"))


def sign_in_code():
    code_id = session.get("sign_in_code_id")
    pending = db.session.get(SignInCode, code_id) if code_id else None
    if pending is None:
        return redirect(url_for("public.sign_in"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_form("public/sign_in_code.html", form=form, errors=form_errors(form, ("code",)))
    pin = pending.pin
    signed, error = attempt(
        # The code this browser asked for: its tries are this browser's own.
        lambda: sign_in_rules.verify(pin, form.code.data, requester=request.remote_addr, code_id=code_id,
                                     now=clock.now(), locale=locale())
    )
    if error is None:
        target = after_sign_in_target()
        start_session(*signed)
        return redirect(target)
    if error.code == "unauthorized":
        form.code.errors.append(
            _("The code is not right or has expired. Check the latest message from us, or ask for a new code.")
        )
        return render_form("public/sign_in_code.html", form=form, errors=form_errors(form, ("code",)))
    return render_form("public/sign_in_code.html", error, form=form, error_target="#code")


def sign_out():
    """End the parent's form sessions on the server (every copy of this cookie,
    and the parent's other browsers), then forget this one."""
    applicant = current_applicant()
    if applicant is not None:
        set_request_actor(f"applicant:{applicant.id}")
        attempt(lambda: sign_out_rules.end_web_sessions(applicant))
    end_session()
    flash(_("You have signed out."))
    return redirect(url_for("public.start"))
