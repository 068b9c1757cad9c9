"""The demo as a newcomer runs it: `flask --app wsgi demo` in a process of its own,
on the embedded default (SQLite, no mail server, no Redis), driven over HTTP.

The parent's sign-in code must be readable in what the command prints: that is the
only way a person trying the demo can sign in as a parent.
"""
import os
import re
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.scenario import SCENARIO

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CODE_LINE = re.compile(r"\b(\d{6})\b")


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DemoProcess:
    """The demo command with its output collected line by line as it comes."""

    def __init__(self, tmp_path):
        self.port = _free_port()
        env = {name: value for name, value in os.environ.items()
               if name not in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "MAIL_PORT", "SMS_GATEWAY_URL",
                               "SECRET_KEY")}  # a fresh machine: the demo runs without one
        env["DATABASE_URL"] = "sqlite:///" + str(tmp_path / "demo.sqlite3")
        env["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "--port", str(self.port)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.base = f"http://127.0.0.1:{self.port}"

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self):
        return "".join(self.lines)

    def wait_until_serving(self, seconds=120):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the demo command ended with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.base + "/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        pytest.fail(f"the demo did not serve within {seconds} s:\n{self.output()}")

    def wait_for(self, pattern, after, seconds=15):
        """The first match of `pattern` in the output printed after character `after`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output()[after:])
            if match:
                return match
            time.sleep(0.1)
        pytest.fail(f"{pattern!r} never appeared in the demo's output:\n{self.output()[after:]}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def demo(tmp_path):
    process = DemoProcess(tmp_path)
    try:
        process.wait_until_serving()
        yield process
    finally:
        process.stop()


def test_demo_prints_the_parents_sign_in_code_and_the_parent_registers_with_it(demo):
    parent = SCENARIO["stage1_parent"]
    client = httpx.Client(base_url=demo.base, timeout=30)
    assert "demo-director-2026" in demo.output()  # the staff logins are printed too

    printed = len(demo.output())
    email = "newcomer@example.kg"
    started = client.post("/api/v1/auth/start", json={"pin": parent["parent_pin"], "email": email,
                                                       **_id_document(parent)})
    assert started.status_code == 202, started.text
    # The message as a person reads it: the address, then the code in plain digits.
    message = demo.wait_for(re.escape(email) + r"[\s\S]*?\b(\d{6})\b", printed)
    code = message.group(1)

    verified = client.post("/api/v1/auth/verify", json={"pin": parent["parent_pin"], "code": code})
    assert verified.status_code == 200, verified.text
    headers = {"Authorization": f"Bearer {verified.json()['token']}"}
    children = client.get("/api/v1/me", headers=headers).json()["children"]
    assert parent["child_pin"] in [child["pin"] for child in children]

    registered = client.post("/api/v1/applications", headers=headers, json={
        "child_pin": parent["child_pin"], "school_code": parent["school_code"], "language": "ky"})
    assert registered.status_code == 201, registered.text
    number = registered.json()["number"]
    # And the registration's own mail reaches the output too.
    demo.wait_for(re.escape(number), printed)


def test_demo_prints_no_code_for_an_unknown_pin_or_a_pin_without_its_document(demo):
    client = httpx.Client(base_url=demo.base, timeout=30)
    printed = len(demo.output())
    assert client.post("/api/v1/auth/start", json={"pin": "99999999999999",
                                                   "email": "nobody@example.kg"}).status_code == 202
    # A known PIN without its identity document number gets nothing either (trust).
    assert client.post("/api/v1/auth/start", json={"pin": SCENARIO["stage1_parent"]["parent_pin"],
                                                   "email": "pin-only@example.kg"}).status_code == 202
    # A known PIN afterwards shows that the output is live, and is the only mail.
    parent = SCENARIO["canceller"]
    client.post("/api/v1/auth/start", json={"pin": parent["parent_pin"], "email": "known@example.kg",
                                            **_id_document(parent)})
    demo.wait_for(r"known@example\.kg", printed)
    assert "nobody@example.kg" not in demo.output()[printed:]
    assert "pin-only@example.kg" not in demo.output()[printed:]


def _id_document(person):
    return {"id_document": person["parent_id_document"]} if person.get("parent_id_document") else {}


def _csrf(page):
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)


def _staff(demo, email, password):
    """A staff member signed in at /admin/login with the password the demo printed."""
    assert password in demo.output()
    client = httpx.Client(base_url=demo.base, timeout=30, follow_redirects=True)
    answer = client.post("/admin/login", data={"csrf_token": _csrf(client.get("/admin/login").text),
                                               "email": email, "password": password})
    assert answer.status_code == 200 and "/admin/login" not in str(answer.url), answer.text[-500:]
    return client


def test_demo_each_staff_role_signs_in_and_does_its_main_job(demo):
    """README: sign in as each staff role with the printed password and do that role's main job."""
    today = time.strftime("%Y-%m-%d")
    # District: the quotas the deadline confirmed (the demo starts in stage 1) wait for approval.
    district = _staff(demo, "district.gb-len@example.kg", "demo-district-2026")
    ids = re.findall(r"/admin/quota/details/\?id=(\d+)", district.get("/admin/quota/").text)
    assert ids, "the district sees its schools' quotas"
    details = district.get(f"/admin/quota/details/?id={ids[0]}").text
    approved = district.post("/admin/quota/approve/", data={"confirmed": "1", "csrf_token": _csrf(details), "id": ids[0]})
    assert approved.status_code == 200 and 'class="alert alert-success' in approved.text
    # Commission: a decision for a child without a PIN, told to a child-protection worker.
    secretary = _staff(demo, "commission.gb-len@example.kg", "demo-commission-2026")
    form = secretary.get("/admin/commission_decision/new/").text
    recorded = secretary.post("/admin/commission_decision/new/", data={
        "csrf_token": _csrf(form), "number": "КДД-DEMO-1", "decided_on": today, "school_code": "GB-LEN-039",
        "language": "ky", "grounds": "§9: no documents", "child_pin": "", "child_last_name": "Асанова",
        "child_first_name": "Айзада", "child_patronymic": "", "child_birth_date": "2019-05-04", "child_sex": "F",
        "applicant_role": "child_protection", "applicant_name": "Жумабаева Гүлнара", "applicant_pin": "",
        "applicant_phone": "+996555123456", "applicant_email": "", "message_locale": "ru"})
    assert recorded.status_code == 200
    assert "КДД-DEMO-1" in secretary.get("/admin/commission_decision/").text
    # Director: the school's applications, the commission's child among them.
    director = _staff(demo, "director.gb-len-039@example.kg", "demo-director-2026")
    assert "Асанова" in director.get("/admin/application/").text
    # Ministry: the national report.
    ministry = _staff(demo, "ministry@example.kg", "demo-ministry-2026")
    report = ministry.get("/admin/reports/")
    assert report.status_code == 200 and "GB" in report.text
