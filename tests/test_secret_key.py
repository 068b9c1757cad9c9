"""Issue 15, item 3: nothing serves with a SECRET_KEY others know or can guess.

The public development value (Config's default, so that the demo runs on a fresh
machine) or a key under 32 characters makes gunicorn and `flask worker` refuse to
start, on any database, with a message that names SECRET_KEY; the demo and the
tests say explicitly that they may run with one (tests/test_demo_command.py runs
the demo without SECRET_KEY).
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request

import click
import pytest

from portal import create_app
from portal.config import Config, TestConfig
from portal.extensions import db
from portal.secret_key import DEVELOPMENT_VALUE, WeakSecretKey

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
STRONG = "a3f1c9e07b5d4e2a8c6b0f9d1e7a5c3b"  # 32 characters: the shortest key accepted
WEAK = {"unset": None, "the development value": DEVELOPMENT_VALUE, "31 characters": STRONG[:31]}


def _env(database_url, secret_key, **extra):
    env = {name: value for name, value in os.environ.items()
           if name not in ("SECRET_KEY", "REDIS_URL", "MAIL_SERVER", "FLASK_APP")}
    env.update(DATABASE_URL=database_url, FLASK_DEBUG="0", **extra)
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return env


@pytest.mark.parametrize("key", WEAK.values(), ids=WEAK.keys())
def test_the_app_built_to_be_served_refuses_a_weak_secret_key(database_url, key):
    with pytest.raises(WeakSecretKey, match="SECRET_KEY"):
        create_app(Config, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY=key)


def test_a_long_key_is_accepted_and_the_tests_say_so_explicitly(database_url):
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY=STRONG)
    assert app.config["ALLOW_WEAK_SECRET_KEY"] is False
    assert TestConfig.ALLOW_WEAK_SECRET_KEY is True
    # Not even the environment can allow it: only code says so.
    os.environ["ALLOW_WEAK_SECRET_KEY"] = "1"
    try:
        with pytest.raises(WeakSecretKey):
            create_app(Config, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY=DEVELOPMENT_VALUE)
    finally:
        del os.environ["ALLOW_WEAK_SECRET_KEY"]


def test_flask_run_refuses_every_request_with_a_weak_key(database_url, caplog):
    """Under the `flask` command the app is built before the command is known (the
    demo must run with the development key): `flask run` then refuses each request."""
    with click.Context(click.Command("run")):
        app = create_app(Config, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY=DEVELOPMENT_VALUE)
    response = app.test_client().get("/healthz")
    assert response.status_code == 500
    assert any("SECRET_KEY" in record.getMessage() or "SECRET_KEY" in str(record.exc_info)
               for record in caplog.records)
    with app.app_context():
        db.engine.dispose()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _gunicorn(env):
    return subprocess.Popen([os.path.join(BIN, "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("key", WEAK.values(), ids=WEAK.keys())
def test_gunicorn_refuses_to_start_with_a_weak_secret_key(database_url, key):
    server = _gunicorn(_env(database_url, key, GUNICORN_BIND=f"127.0.0.1:{_free_port()}", WEB_CONCURRENCY="1"))
    try:
        output, _ = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode != 0
    assert "SECRET_KEY" in output


def test_gunicorn_serves_with_a_long_random_key(database_url):
    port = _free_port()
    server = _gunicorn(_env(database_url, STRONG, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1"))
    try:
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    answer = response.status
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert answer == 200, output


@pytest.mark.parametrize("key", WEAK.values(), ids=WEAK.keys())
def test_the_worker_refuses_to_start_with_a_weak_secret_key(database_url, key):
    """On SQLite and, in the PostgreSQL pass, on PostgreSQL: on any database."""
    done = subprocess.run([os.path.join(BIN, "flask"), "--app", "wsgi", "worker", "--burst"], cwd=REPO,
                          env=_env(database_url, key), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_the_worker_starts_with_a_long_random_key(database_url):
    done = subprocess.run([os.path.join(BIN, "flask"), "--app", "wsgi", "worker", "--burst"], cwd=REPO,
                          env=_env(database_url, STRONG), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
