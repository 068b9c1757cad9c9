"""What a parent sees when a request cannot be handled: an expired form (CSRF),
a file too large, a page that does not exist."""
from flask import render_template, request, session
from flask_babel import gettext as _

from portal.admission.errors import AdmissionError


def _problem(title, message, status, back=None):
    return render_template("public/problem.html", title=title, message=message, back=back), status


def csrf_failed(error):
    # Flask-WTF's reason is English and technical; the parent gets ours.
    return _problem(
        _("This page has expired"),
        _("For your safety, forms expire. Go back, reload the page and send it again."),
        400, back=request.path,
    )


def file_too_large(error):
    return _problem(
        _("The file is too large"),
        _("A document can be at most 5 MB. Take a smaller photo or a PDF and try again."),
        413, back=request.path,
    )


def too_many_requests(error):
    # The coarse per-address limit (portal/limits.py) answers like the domain's own.
    return _problem(_("Please try again later"), AdmissionError("rate_limited").message, 429, back=request.path)


def forbidden(error):
    return _problem(_("You may not open this page"),
                    _("Your account does not give access to this page. If you need it, ask your district education "
                      "department or the ministry."), 403)


def not_found(error):
    return _problem(_("Page not found"), _("Check the address, or start again from the first page."), 404)


def private_pages(response):
    """A signed-in parent's pages are not kept by shared caches or the back button's cache."""
    if session.get("applicant_id") is not None or request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


def method_not_allowed(error):
    return _problem(_("This page cannot do that"),
                    _("Check the address, or start again from the first page."), 405)


def bad_request(error):
    return _problem(_("The request could not be read"),
                    _("Go back, reload the page and send it again."), 400)


def service_unavailable():
    return _problem(_("The service is not available right now"),
                    AdmissionError("service_unavailable").message, 503)


def server_error(error):
    return _problem(_("Something went wrong"), AdmissionError("server_error").message, 500)
