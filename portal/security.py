"""Security headers on every answer (OWASP ASVS 14.4).

The public pages and the API use no script and no inline style, so their
Content-Security-Policy allows nothing but this site's own files. The staff
portal (Flask-Admin) needs its few inline scripts: each answer under /admin
gets a fresh nonce, Flask-Admin writes it on its script and style tags
(`csp_nonce_generator`), and the policy allows this site's files plus what
carries the nonce. No inline event handler, `javascript:` address or style
attribute runs: the templates that had them are overridden in
portal/templates/admin/ and portal/static/admin/ does their work.
"""
import secrets

from flask import request

# Pages without personal data, which caches may keep (the API's free seats set their own).
PUBLIC_PAGES = {"public.start", "public.free_seats", "public.health", "api.free_seats", "api.openapi"}

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
ADMIN_CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csp_nonce():
    """This answer's nonce for inline <script> and <style> of the staff portal.

    Kept in the request's environ, not on `g`, which a reused app context (tests,
    commands) would carry over to the next request.
    """
    return request.environ.setdefault("mektep.csp_nonce", secrets.token_urlsafe(18))


def init_app(app):
    # Behind TLS (PUBLIC_BASE_URL https://...) cookies travel only over TLS.
    if str(app.config.get("PUBLIC_BASE_URL", "")).startswith("https://"):
        app.config.setdefault("SESSION_COOKIE_SECURE", True)
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        admin = request.path.startswith("/admin")
        headers.setdefault("Content-Security-Policy",
                           ADMIN_CSP.format(nonce=csp_nonce()) if admin else STRICT_CSP)
        if request.is_secure or app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint not in PUBLIC_PAGES and request.endpoint != "static":
            # Personal data: never kept by a browser's or a proxy's cache.
            headers.setdefault("Cache-Control", "no-store")
        return response
