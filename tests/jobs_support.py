"""Helpers of the jobs tests (no tests here): a local SMTP server, a local SMS
gateway, a real RQ worker in a subprocess, and Redis set aside per test.

Tests that need Redis skip with a reason when REDIS_URL is unset (the default
SQLite pass); with MEKTEP_REQUIRE_REDIS=1 (set by .ci/run) that skip is a
failure, so the PostgreSQL/Redis pass can never skip them silently.
"""
import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from portal.extensions import db

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLASK = os.path.join(os.path.dirname(sys.executable), "flask")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, *, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def require_redis():
    url = os.environ.get("REDIS_URL")
    if not url:
        reason = "needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run the real-worker tests"
        if os.environ.get("MEKTEP_REQUIRE_REDIS") == "1":
            pytest.fail(reason + " (MEKTEP_REQUIRE_REDIS=1: this pass must not skip them)")
        pytest.skip(reason)
    return url


class Inbox:
    """An aiosmtpd handler that keeps every accepted message. With `hold`
    set, a client that reaches RCPT waits there (the test can kill it mid-send)."""

    def __init__(self):
        self.messages = []
        self.hold = threading.Event()
        self.held = threading.Event()

    def release(self):
        """Let every held client go on (before the server stops)."""
        self.hold.clear()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold.is_set():
            self.held.set()
            while self.hold.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, recipient):
        return [m for m in self.messages if m["To"] == recipient]


def serve(inbox):
    """Serve `inbox` as an SMTP server on a free local port until the generator ends."""
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    inbox.release()
    controller.stop()


@pytest.fixture
def smtp_inbox():
    yield from serve(Inbox())


class SmsGateway:
    """A local HTTP SMS gateway: records each request; `status` sets the answer."""

    def __init__(self):
        self.requests, self.status = [], 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(gateway.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway():
    gateway = SmsGateway()
    yield gateway
    gateway.close()


def _descendants(pid):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                children += [int(entry)] + _descendants(int(entry))
    return children


class WorkerProcess:
    """`flask --app wsgi worker` as a subprocess against the test's database,
    Redis namespace and SMTP server."""

    def __init__(self, env, log_path, *args):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [FLASK, "--app", "wsgi", "worker", "--name", f"{env['RQ_NAMESPACE']}.{uuid.uuid4().hex[:6]}", *args],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self):
        """SIGKILL the worker and everything it forked (the work horse has a group of its own)."""
        for pid in [self.process.pid] + _descendants(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)

    def kill_work_horse(self):
        """SIGKILL only the process running the job (RQ forks it into a group of its own)."""
        horses = [pid for pid in _descendants(self.process.pid) if os.getpgid(pid) == pid]
        assert len(horses) == 1, f"expected one work horse, found {horses}"
        os.kill(horses[0], signal.SIGKILL)

    def stop(self):
        if self.process.poll() is None:
            children = _descendants(self.process.pid)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            for pid in [self.process.pid] + children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait(timeout=10)
        self.log.close()

    def output(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()


@pytest.fixture
def redis_app(app, database_url, smtp_inbox, tmp_path):
    """The test's app on the real Redis (a namespace of its own) and the local
    SMTP server, plus `start_worker()` for workers on the same."""
    from redis import Redis

    from portal.jobs.queues import purge_namespace

    url = require_redis()
    namespace = f"mektep-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=url, RQ_NAMESPACE=namespace, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_inbox.port)
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=url, RQ_NAMESPACE=namespace,
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_inbox.port), SECRET_KEY=app.config["SECRET_KEY"],
               OUTBOX_SWEEP_SECONDS="1", OUTBOX_LEASE_SECONDS="3", OUTBOX_RETRY_SECONDS="1",
               FLASK_DEBUG="0")
    workers = []

    def start_worker(*args):
        worker = WorkerProcess(env, tmp_path / f"worker-{len(workers)}.log", *args)
        workers.append(worker)
        return worker

    app.start_worker = start_worker
    yield app
    for worker in workers:
        worker.stop()
        print(f"--- {worker.log_path}\n{worker.output()[-6000:]}")  # shown when the test fails
    db.session.remove()
    redis = Redis.from_url(url)
    purge_namespace(namespace, redis)
    redis.close()
