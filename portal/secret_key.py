"""Nothing serves with a SECRET_KEY that others know or can guess (issue 15, item 3).

SECRET_KEY signs the session cookies and CSRF tokens and keys the HMACs of
sign-in codes, children's references and application numbers: with the public
development value anyone forges a parent's session cookie and reads another
family's applications, and computes application numbers. So the application
refuses to serve with that value or a key shorter than MIN_LENGTH characters,
unless its configuration says so explicitly (`ALLOW_WEAK_SECRET_KEY`): the tests
(`TestConfig`) and the demo command do, nothing else, and no environment variable
can.

Where it is refused:
- any WSGI server (gunicorn with `wsgi:app`, or anything else that builds the app
  outside the `flask` command): `create_app()` raises `WeakSecretKey`, so gunicorn
  does not start;
- `flask --app wsgi worker` (and a plain `rq worker`, which builds the app the same
  way), on any database: the command stops before it takes a job;
- `flask --app wsgi run`: every request is refused.
Other commands (`db upgrade`, `data import`, `users create`, ...) serve nothing and
run with any key; `flask --app wsgi demo` says it is the demo.
"""
import click
from flask_babel import gettext

DEVELOPMENT_VALUE = "dev-only-not-secret"  # Config's default, so that the demo runs on a fresh machine
MIN_LENGTH = 32  # characters; `secrets.token_hex(32)` gives 64


class WeakSecretKey(RuntimeError):
    """SECRET_KEY is unset, the development value or too short; the message says what to do."""


def weakness(key):
    """Why `key` must not sign anything in production, or None when it may."""
    if not key:
        return gettext("SECRET_KEY is not set.")
    if key == DEVELOPMENT_VALUE:
        return gettext("SECRET_KEY is the public development value.")
    if len(key) < MIN_LENGTH:
        return gettext("SECRET_KEY is shorter than %(count)d characters.", count=MIN_LENGTH)
    return None


def refuse_weak_secret_key(app):
    """Raise WeakSecretKey unless the app's key is strong or its configuration
    explicitly allows a weak one (the tests, the demo)."""
    if app.config.get("ALLOW_WEAK_SECRET_KEY"):
        return
    with app.app_context():
        reason = weakness(app.config.get("SECRET_KEY"))
        if reason is None:
            return
        message = gettext(
            "%(reason)s Sessions, CSRF tokens and application numbers could be forged or computed, so this "
            "refuses to serve. Set SECRET_KEY to a long random value, the same on every web node and worker, "
            "e.g. the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'. Only the demo "
            "(flask --app wsgi demo) and the tests run without one.", reason=reason)
    raise WeakSecretKey(message)


def allow_weak_secret_key(app):
    """The demo says so: it serves on one machine with the development value."""
    app.config["ALLOW_WEAK_SECRET_KEY"] = True


def init_app(app):
    if click.get_current_context(silent=True) is None:
        # Built to be served (gunicorn imports wsgi:app, a plain `rq worker` builds
        # one for its jobs): refuse now, so nothing starts.
        refuse_weak_secret_key(app)
        return
    # Under the `flask` command each command decides: the demo allows a weak key,
    # the worker refuses it; `flask run`, which we cannot change, refuses each request.
    @app.before_request
    def refuse_to_serve_with_a_weak_secret_key():
        refuse_weak_secret_key(app)
