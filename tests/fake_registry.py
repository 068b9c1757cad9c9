"""A local HTTP server that plays the state registry ("Түндүк") for tests.

It serves the contract of docs/registry.md from the sample data
(portal/sample_data/registry_*.csv) and can be told to misbehave:

    fake.mode = "slow"       # answers after `fake.delay` seconds (longer than the client's timeout)
    fake.mode = "error"      # 500 to everything
    fake.mode = "garbage"    # 200 with an HTML page instead of JSON
    fake.mode = "bad_shape"  # 200 JSON that breaks the contract
    fake.mode = "status"     # `fake.status` (e.g. 400, 403, 429) to everything
    fake.failures = 2        # 500 to the next two requests, then normal again
    fake.go_down()           # closes the listening socket: connection refused
    fake.come_back()         # listens again on the same port

`fake.requests` counts the requests that reached it; `fake.headers` keeps the
headers of the last one. Use the `fake_registry` fixture (import it into the
test module).
"""
import csv
import json
import os
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "portal", "sample_data")

_PERSON = re.compile(r"^/persons/([0-9]{14})$")
_LINKS = re.compile(r"^/persons/([0-9]{14})/(children|parents)$")


def load_sample(sample_dir=SAMPLE_DIR):
    """The sample registry as {pin: row} and [link rows], straight from the CSV files."""
    with open(os.path.join(sample_dir, "registry_persons.csv"), encoding="utf-8-sig", newline="") as f:
        persons = {row["pin"]: row for row in csv.DictReader(f)}
    with open(os.path.join(sample_dir, "registry_links.csv"), encoding="utf-8-sig", newline="") as f:
        links = list(csv.DictReader(f))
    return persons, links


def person_json(row):
    return {
        "pin": row["pin"],
        "last_name": row["last_name"],
        "first_name": row["first_name"],
        "patronymic": row["patronymic"],
        "sex": row["sex"],
        "birth_date": row["birth_date"],
        "address_id": row["address_id"] or None,
        "has_documents": row["has_documents"] == "1",
        "id_document": row.get("id_document") or None,
    }


class FakeRegistry:
    def __init__(self, persons, links):
        self.persons = persons
        self.links = links
        self.mode = "ok"
        self.delay = 1.0
        self.status = 400
        self.failures = 0
        self.headers = None
        self._count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()  # lets sleeping handlers finish at teardown
        self._server = None
        self._connections = set()
        self.port = 0
        self.come_back()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/population/v1"

    @property
    def requests(self):
        with self._lock:
            return self._count

    def reset(self):
        self.mode = "ok"
        self.failures = 0
        with self._lock:
            self._count = 0

    def come_back(self):
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def go_down(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        # Also cut the kept-alive connections, or the client's pool would still reach us.
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self.go_down()

    # What the registry answers ---------------------------------------------

    def _counted(self, headers):
        """Count a request; True if it is one of the `failures` to fail."""
        with self._lock:
            self._count += 1
            self.headers = dict(headers)
            if self.failures > 0:
                self.failures -= 1
                return True
            return False

    def answer(self, method, path, body):
        """(status, JSON-able body) for a well-behaved registry."""
        path = path.split("?", 1)[0]
        prefix = "/population/v1"
        if not path.startswith(prefix):
            return 404, None  # a bare 404, like a proxy's
        path = path[len(prefix):]
        if method == "GET" and (match := _PERSON.match(path)):
            row = self.persons.get(match.group(1))
            return (200, person_json(row)) if row else (404, {"error": "not_found"})
        if method == "GET" and (match := _LINKS.match(path)):
            pin, which = match.groups()
            if pin not in self.persons:
                return 404, {"error": "not_found"}
            if which == "children":
                items = [
                    {"relation": link["relation"], "person": person_json(self.persons[link["child_pin"]])}
                    for link in self.links if link["parent_pin"] == pin
                ]
            else:
                items = [
                    {"relation": link["relation"], "person": person_json(self.persons[link["parent_pin"]])}
                    for link in self.links if link["child_pin"] == pin
                ]
            return 200, {which: items}
        if method == "POST" and path == "/persons:batch":
            pins = body.get("pins") if isinstance(body, dict) else None
            if not isinstance(pins, list):
                return 400, {"error": "bad_request"}
            return 200, {"persons": [person_json(self.persons[p]) for p in pins if p in self.persons]}
        return 404, None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeRegistry
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's pool expects
    disable_nagle_algorithm = True  # else each keep-alive answer waits ~40 ms for a delayed ACK

    def do_GET(self):
        self._serve("GET", None)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        self._serve("POST", body)

    def _serve(self, method, body):
        fake = self.fake
        must_fail = fake._counted(self.headers)
        mode = fake.mode
        if mode == "slow" and fake._stop.wait(fake.delay):
            return
        if mode == "error" or must_fail:
            return self._send(500, b'{"error": "internal"}')
        if mode == "status":
            return self._send(fake.status, b'{"error": "refused"}')
        if mode == "garbage":
            return self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        status, payload = fake.answer(method, self.path, body)
        if mode == "bad_shape" and status == 200:
            payload = _break(payload)
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        self._send(status, data, "application/json" if payload is not None else "text/plain")

    def _send(self, status, data, content_type="application/json"):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout): nothing to tell it

    def log_message(self, format, *args):
        pass  # keep test output clean

    def handle(self):
        with self.fake._lock:
            self.fake._connections.add(self.connection)
        try:
            super().handle()
        except OSError:
            pass
        finally:
            with self.fake._lock:
                self.fake._connections.discard(self.connection)


def _break(payload):
    """Answer that parses as JSON but breaks the contract."""
    if isinstance(payload, dict) and "pin" in payload:
        return {**payload, "sex": "X", "birth_date": "10.05.2019"}
    if isinstance(payload, dict):
        return {key: "not a list" for key in payload}
    return payload


@pytest.fixture
def fake_registry():
    persons, links = load_sample()
    fake = FakeRegistry(persons, links)
    yield fake
    fake.close()
