"""Issue 16, item 3: every value a staff member reads is a word of their language.

Every admin page a role reaches (lists, details, edit forms, queues, reports) is
rendered in Kyrgyz and in Russian with the sample data, as each role, and its
visible text (and the placeholder, title and label attributes) may hold no
code of the model (a status, an actor, an audit action, a table's name, a
language code, a sex "F"/"M"), no two-digit year and no ISO date."""
import re
from html.parser import HTMLParser

import pytest

from portal.extensions import db
from portal.models.applications import APPEAL_STATUSES, DOCUMENT_KINDS, STATUSES, VERIFICATIONS
from portal.models.audit import AUDIT_ACTIONS
from portal.models.claims import CLAIM_STATES
from portal.models.geography import OWNERSHIPS
from portal.models.quota import LANGUAGES, QUOTA_STATES
from portal.models.staff import ROLES
from tests.staff import ROLE_LOGINS, sign_in
from tests.public.test_security_headers import admin_pages

ACTORS = ("applicant", "school", "district", "commission", "system", "staff", "command", "demo")
CATEGORIES = ("teacher", "twin", "commission")


def model_codes():
    """The codes a model stores, which a page must show as words."""
    codes = set(STATUSES + APPEAL_STATUSES + DOCUMENT_KINDS + VERIFICATIONS + AUDIT_ACTIONS + CLAIM_STATES
                + OWNERSHIPS + LANGUAGES + QUOTA_STATES + ROLES + ACTORS + CATEGORIES)
    codes |= set(db.metadata.tables)  # "staff_users" in the audit trail
    return codes


RAW_SEX = {"F", "M"}
TWO_DIGIT_YEAR = re.compile(r"(?<![\d.])\d{1,2}[./]\d{1,2}[./]\d{2}(?![\d.])")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")  # e-mail addresses are names, not words
WORD = re.compile(r"[A-Za-z][A-Za-z_:]*[A-Za-z]|\b[A-Za-z]\b")
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
# Flask-Admin keeps its filters' definitions in hidden elements its script reads.
HIDDEN_IDS = ("filter-groups-data", "active-filters-data")


class VisibleText(HTMLParser):
    """The text a person reads: no script, style or hidden data, nothing marked as
    another language (the language switch names each language in itself)."""

    SKIP = {"script", "style", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, page_language):
        super().__init__(convert_charrefs=True)
        self.page_language = page_language
        self.stack = []  # one bool per open element: is its content skipped?
        self.texts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in self.SKIP or "hidden" in attrs \
            or attrs.get("id") in HIDDEN_IDS or attrs.get("lang", self.page_language) != self.page_language \
            or attrs.get("type") == "hidden" or "d-none" in (attrs.get("class") or "").split()
        if not skipped:
            self.texts.extend(attrs[name] for name in ATTRIBUTES if attrs.get(name))
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data.strip())


def visible_texts(html, language):
    parser = VisibleText(language)
    parser.feed(html)
    return parser.texts


def problems(html, language, codes):
    found = []
    for text in visible_texts(html, language):
        if text in RAW_SEX:
            found.append(f"raw sex {text!r}")
        for match in TWO_DIGIT_YEAR.findall(text) + ISO_DATE.findall(text):
            found.append(f"date {match!r} in {text[:60]!r}")
        words = WORD.findall(ADDRESSES.sub(" ", text))
        found.extend(f"code {word!r} in {text[:60]!r}" for word in words if word in codes)
    return found


def test_the_check_sees_what_it_must_refuse():
    codes = {"registered", "staff_users", "ky"}
    html = ('<html lang="ru"><body><td>F</td><td>26.11.26</td><td>2019-05-10</td><td>registered</td>'
            '<input placeholder="staff_users"><a lang="ky">Кыргызча ky</a><td>ky</td>'
            '<div id="filter-groups-data">registered</div><td>10.05.2019 Записан</td></body></html>')
    assert problems(html, "ru", codes) == [
        "raw sex 'F'", "date '26.11.26' in '26.11.26'", "date '2019-05-10' in '2019-05-10'",
        "code 'registered' in 'registered'", "code 'staff_users' in 'staff_users'", "code 'ky' in 'ky'"]


@pytest.mark.parametrize("language", ["ky", "ru"])
@pytest.mark.parametrize("role", sorted(ROLE_LOGINS))
def test_every_staff_page_speaks_the_users_language(world, portal, role, language):
    client = portal.test_client()
    client.get(f"/lang/{language}")
    sign_in(client, ROLE_LOGINS[role])
    codes = model_codes()
    found, kinds = {}, set()
    for url, response in admin_pages(client, limit=120):
        html = response.get_data(as_text=True)
        assert f'<html lang="{language}"' in html, url
        kinds.update(kind for kind in ("details", "edit", "reports") if f"/{kind}/" in url or kind in url)
        page_problems = problems(html, language, codes)
        if page_problems:
            found[url] = sorted(set(page_problems))
    assert found == {}, "\n".join(f"{url}: {items}" for url, items in found.items())
    assert "details" in kinds and (role == "ministry" or "reports" in kinds or role == "commission")


def _translated(language, msgid):
    from babel.support import Translations

    from portal import i18n_tools

    return Translations.load(str(i18n_tools.TRANSLATIONS_DIR), [language]).ugettext(msgid)


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_the_staff_portals_403_and_404_speak_the_users_language(world, portal, language):
    client = portal.test_client()
    client.get(f"/lang/{language}")
    sign_in(client, ROLE_LOGINS["director"])
    for url, status, title in (("/admin/staff_user/", 403, "You may not open this page"),
                               ("/admin/application/details/?id=999999", 404, "Page not found")):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == status and f'<html lang="{language}">' in html, url
        assert _translated(language, title) != title and _translated(language, title) in html
        assert "Forbidden" not in html and 'href="/admin/"' in html  # back to the portal, not the parents' start
        assert problems(html, language, model_codes()) == []


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_a_staff_pages_500_speaks_the_users_language(database_url, tmp_path, language):
    from portal import create_app
    from portal.config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                     TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/admin/test-broken", "test_admin_broken", broken)
    with app.app_context():
        response = app.test_client().get("/admin/test-broken", headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and f'<html lang="{language}">' in html
    assert _translated(language, "Something went wrong") in html and "RuntimeError" not in html
