"""Test set-up: one database state per test, the schema built by the migrations.

Without DATABASE_URL the suite runs on SQLite: the migrations build a template
file once, and each test gets its own copy. With DATABASE_URL (PostgreSQL in
CI) the migrations build a database of the run's own and each test ends by truncating
every table, so tests can commit from many connections (the race tests need
real commits) and still start from nothing.
"""
import os
import shutil

import pytest
from sqlalchemy import create_engine, make_url, text

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin reads its seed option
def pytest_configure(config):
    from tests import fuzzing

    fuzzing.configure(config)


def pytest_report_header(config):
    from tests import fuzzing

    return fuzzing.reproduction()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests import fuzzing

    if exitstatus != 0 and fuzzing.reproduction():
        terminalreporter.write_line(fuzzing.reproduction())
SAMPLE_DIR = os.path.join(REPO, "portal", "sample_data")


def _server_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url and not url.startswith("sqlite") else None


def _migrate(url):
    from flask_migrate import upgrade

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    url = _server_url()
    if url:
        # A database of its own for this run, next to the one named in
        # DATABASE_URL, so that concurrent runs (and pytest-xdist workers)
        # never drop each other's schema.
        base = make_url(create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url).config["SQLALCHEMY_DATABASE_URI"])
        name = f"{base.database}_run_{os.getpid()}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        run_url = base.set(database=name).render_as_string(hide_password=False)
        _migrate(run_url)
        yield {"kind": "server", "url": run_url}
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        return
    template = tmp_path_factory.mktemp("db") / "template.sqlite3"
    _migrate("sqlite:///" + str(template))
    yield {"kind": "sqlite", "template": template}


def _truncate_all(url):
    engine = create_engine(create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url).config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                     " AND tablename <> 'alembic_version'")
            )
        ]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database, tmp_path):
    if database["kind"] == "server":
        yield database["url"]
        _truncate_all(database["url"])
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copy(database["template"], path)
        yield "sqlite:///" + str(path)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def sample(app):
    """The sample data set imported, mail collected, the clock at stage 1 (10:05, 1 April 2026)."""
    from tests.scenario import STAGE1, at, load_sample

    app.extensions["sent_mail"] = []
    load_sample()
    at(app, STAGE1)
    return app



@pytest.fixture
def folder(tmp_path):
    """A copy of the sample folder to spoil."""
    target = tmp_path / "folder"
    shutil.copytree(SAMPLE_DIR, target)
    return target


# Fixtures shared by several directories, kept in support modules (not test modules).
from tests.fake_registry import fake_registry  # noqa: E402,F401
from tests.fake_tunduk import fake_tunduk, tunduk  # noqa: E402,F401
from tests.jobs_support import redis_app, sms_gateway, smtp_inbox  # noqa: E402,F401
from tests.staff import portal, world  # noqa: E402,F401
