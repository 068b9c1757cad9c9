"""Browser tests: Playwright drives Debian's headless chromium (never a browser
Playwright downloads) against the app served by a real HTTP server in a thread,
built like tests/conftest.py builds it, with the sample data and time frozen.

Two profiles walk every journey: JavaScript off (the form needs none), and a
360 px wide phone. Screenshots go to tests/browser/screenshots/ (not in git).
"""
import os
import re
import threading
import time

import pytest
from werkzeug.serving import make_server

from portal.extensions import db
from tests.scenario import at, load_sample

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "screenshots")
PROFILES = {
    "no-js": {"java_script_enabled": False, "viewport": {"width": 1024, "height": 768}},
    "phone-360": {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
                  "is_mobile": True, "has_touch": True},
}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (./run chromium does, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    """The app on a free port, served by werkzeug in a thread (threaded, like a real server)."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)

    def at(self, moment):
        at(self.app, moment)

    def mailed_code(self, count_before, timeout=5):
        """The code of the sign-in mail sent after `count_before` mails."""
        sent = self.app.extensions["sent_mail"]
        deadline = time.monotonic() + timeout
        while len(sent) <= count_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sent) > count_before, "no sign-in code was mailed"
        return re.search(r"\b(\d{6})\b", sent[-1].get_content()).group(1)


@pytest.fixture
def live(app):
    app.config["WTF_CSRF_ENABLED"] = True  # the real forms, tokens included
    app.extensions["sent_mail"] = []
    load_sample()
    # The test's own session must hold no transaction while the server writes
    # (SQLite takes the write lock at BEGIN).
    db.session.remove()
    with LiveServer(app) as server:
        yield server


@pytest.fixture(params=sorted(PROFILES))
def profile(request):
    return request.param


@pytest.fixture
def page(browser, profile, request):
    context = browser.new_context(locale="en-US", **PROFILES[profile])
    context.set_default_timeout(10_000)
    page = context.new_page()
    folder = os.path.join(SCREENSHOTS, profile, request.node.originalname)
    os.makedirs(folder, exist_ok=True)
    shots = iter(range(1, 100))

    def shot(name):
        page.screenshot(path=os.path.join(folder, f"{next(shots):02d}-{name}.png"), full_page=True)

    page.shot = shot
    yield page
    context.close()


# Collects violations before any script of the page runs.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.fixture
def staff_live(portal, world):
    db.session.remove()
    with LiveServer(portal) as server:
        yield server


@pytest.fixture
def admin_page(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: message.type in ("error", "warning") and page.problems.append(
        f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    yield page
    context.close()
