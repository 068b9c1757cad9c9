"""Mektep-1: electronic registration of children into first grade.

`create_app()` is the only way to get an application; nothing runs at import time.
"""
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import Config
from portal.extensions import babel, csrf, db, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config=None, **overrides):
    """Build the application.

    `config` is a config class (default `Config`, from the environment);
    keyword overrides win over it, e.g. `create_app(SQLALCHEMY_DATABASE_URI=...)`.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config or Config)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    app.config.setdefault("UPLOAD_FOLDER", None)
    if not app.config["UPLOAD_FOLDER"]:
        app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")

    trust_the_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_admin(app)
    register_limits(app)
    register_security(app)
    register_errors(app)
    register_cli(app)
    register_secret_key_check(app)
    return app


def trust_the_proxies(app):
    """Behind PROXY_COUNT reverse proxies, take the client's address from the
    X-Forwarded-For entries they appended (werkzeug's ProxyFix), never from more:
    what comes before them the client wrote itself. Without this every request
    comes from the proxy, and all parents share one rate-limit bucket."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count < 0:
        raise ValueError("PROXY_COUNT must be 0 or more")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=0, x_host=0, x_port=0, x_prefix=0)


def database_url(app):
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        return "sqlite:///" + os.path.join(app.instance_path, "mektep.sqlite3")
    # psycopg 3 is the driver we install; accept the usual spellings of the URL.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(app):
    """SQLALCHEMY_ENGINE_OPTIONS with what the settings ask of the driver:
    DB_PREPARED_STATEMENTS=0 turns psycopg's server-side prepared statements off
    (`prepare_threshold=None`), which PgBouncer < 1.21 in transaction mode cannot keep."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql+psycopg://") and not app.config.get("DB_PREPARED_STATEMENTS", True):
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
    return options


def register_extensions(app):
    from portal import audit, audit_chain, i18n, mail, models  # noqa: F401  (models fill the metadata)
    from portal.admission import documents
    from portal.jobs.outbox import install_relay

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    audit.install()
    install_relay()
    documents.install()
    audit_chain.install()
    mail.init_app(app)

    @login_manager.user_loader
    def load_staff_user(session_id):
        # "id:version": a session ended by sign-out, a new password or disabling
        # names an old version and signs nobody in (portal.staff_accounts).
        from portal.staff_accounts import user_for_session

        return user_for_session(session_id)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # Foreign keys are off by default in SQLite; WAL lets readers and a writer
    # work at once; busy_timeout makes concurrent writers queue, not fail.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(connection):
    # A deferred SQLite transaction that read first and writes later fails at
    # once (SQLITE_BUSY_SNAPSHOT) when another writer committed in between;
    # taking the write lock at BEGIN makes concurrent requests queue instead.
    # This serialises writers on the embedded default; PostgreSQL is for load.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_blueprints(app):
    from portal.api import bp as api_bp
    from portal.public import bp as public_bp

    app.register_blueprint(public_bp)
    # The API authenticates by bearer token, not by cookie: no CSRF token there.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)


def register_admin(app):
    from admin import init_admin

    init_admin(app)


def register_limits(app):
    # After every blueprint: limits are attached to view functions by endpoint name.
    from portal import limits

    limits.init_app(app)


def register_security(app):
    from portal import security

    security.init_app(app)


def register_errors(app):
    from portal import errors
    from portal.api import views as api_views
    from portal.public import errors as pages

    errors.init_app(app, api=api_views, pages=pages)


def register_secret_key_check(app):
    # Last: its refusal is a message in the catalogues' language.
    from portal import secret_key

    secret_key.init_app(app)


def register_cli(app):
    from portal.cli import register_commands

    register_commands(app)
