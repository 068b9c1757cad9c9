"""The staff portal (Flask-Admin) under /admin, for directors, districts,
commissions and the ministry (docs/admin.md).

`init_admin(app)` builds it: the sign-in pages, the start page, and the views
of each module of VIEW_MODULES. Every model view inherits
`admin.scoping.ScopedModelView`, the one place where a user's scope is applied.
"""
import importlib
import importlib.util

from flask import current_app, g, request, request_started
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

# One module per area; each has `register(admin)`. A new area is one more line.
VIEW_MODULES = (
    "admin.schools",
    "admin.microdistricts",
    "admin.quotas",
    "admin.applications",
    "admin.referrals",
    "admin.proofs",
    "admin.documents_missing",
    "admin.commission",
    "admin.appeals",
    "admin.classes",
    "admin.users",
    "admin.audit_trail",
    "admin.reports",
)
# Areas that arrive with later work; registered when their module exists.
OPTIONAL_VIEW_MODULES = ("admin.operations",)


def init_admin(app):
    from admin import auth, security
    from admin.i18n import serve_flask_admin_strings_from_our_catalogue
    from admin.start import StartView
    from portal.extensions import login_manager
    from portal.security import csp_nonce

    serve_flask_admin_strings_from_our_catalogue(app)
    portal_admin = Admin(
        app,
        name=_l("Mektep-1: staff portal"),
        index_view=StartView(name=_l("Start"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/portal_base.html", fluid=True),
        csp_nonce_generator=csp_nonce,  # the staff portal's CSP (portal/security.py)
    )
    for name in VIEW_MODULES + tuple(m for m in OPTIONAL_VIEW_MODULES if importlib.util.find_spec(m)):
        importlib.import_module(name).register(portal_admin)

    app.register_blueprint(auth.bp)
    login_manager.login_view = "admin_auth.login"

    request_started.connect(_forget_previous_request, app)

    @app.before_request
    def _staff_session():
        if request.path == "/admin" or request.path.startswith("/admin/"):
            security.check_session(security.now())

    app.extensions["portal_admin"] = portal_admin
    return portal_admin


def _forget_previous_request(sender, **extra):
    # Who is signed in is cached on `g`, which lives as long as the app context.
    # A request that reuses an outer app context (the test client inside the
    # `app` fixture, a request made from a command) must not inherit the
    # previous request's user, scope, audit actor or CSRF token (Flask-WTF
    # keeps the signed token of the session there).
    csrf_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    for name in ("_login_user", "staff_scope", "audit_actor", csrf_key):
        g.pop(name, None)
