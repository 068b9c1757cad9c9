"""The public pages as such: the start page from the campaign, free seats, the
language switch, accessibility basics on every page, the page-weight budget."""
import gzip
import io
import re
from html.parser import HTMLParser

import pytest

from tests.public_form import PDF, application_number, child_refs, first_language, page, sign_in
from tests.scenario import SCENARIO, STAGE2, at, id_document

BUDGET = 30 * 1024  # bytes transferred per page, HTML + CSS (+ scripts: none), gzip


def test_the_start_page_takes_its_dates_from_the_campaign_and_lists_only_the_regulations_documents(sample, client):
    client.get("/lang/en")
    html = page(client.get("/"))
    assert "Stage 1 of registration is open now" in html
    assert "January 1, 2019" in html and "December 31, 2020" in html  # birth range
    assert "April 1, 2026" in html and "June 1, 2026" in html  # stage openings
    assert "August 4, 2026" in html and "September 5, 2026" in html  # document window
    # R14: only what the regulation lists.
    for document in ("medical certificate of the child's health", "medical certificate of vaccinations",
                     "court act", "certificate from the school"):
        assert document in html
    for never in ("birth certificate", "photo of the child", "passport copy", "interview date"):
        assert never not in html.lower()
    assert "not tested or interviewed" in html


def test_the_start_page_without_a_campaign_says_registration_is_closed(app, client):
    client.get("/lang/en")
    assert "Registration is not open now." in page(client.get("/"))


def test_free_seats_by_district_and_school_without_sign_in(sample, client):
    client.get("/lang/en")
    html = page(client.get("/free-seats"))
    assert "<select" in html and 'value="GB-LEN"' in html and "<table" not in html
    html = page(client.get("/free-seats?district=GB-LEN"))
    assert "<table" in html and html.count('scope="rowgroup"') == 2  # GB-LEN-045 does not take part
    assert "Kyrgyz" in html
    assert page(client.get("/free-seats?district=NOPE")).count("<table") == 0


class _Page(HTMLParser):
    """Collects what the accessibility checks need."""

    def __init__(self):
        super().__init__()
        self.ids, self.label_for, self.controls, self.links, self.lang = [], set(), [], [], None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs.get("id"))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script" or tag == "link" and "stylesheet" in (attrs.get("rel") or "") and \
                attrs.get("href", "").startswith("http"):
            self.scripts += 1


def _walk(client, app):
    """Every page of the journey, as (name, response); stage 1 then stage 2."""
    person = SCENARIO["guardian"]
    pages = [("start", client.get("/")), ("free seats", client.get("/free-seats?district=GB-LEN")),
             ("sign in", client.get("/sign-in"))]
    client.post("/sign-in", data={"pin": person["parent_pin"], "id_document": id_document(person["parent_pin"]), "contact": "g@example.kg"})
    pages.append(("code", client.get("/sign-in/code")))
    pages.append(("sign-in error", client.post("/sign-in/code", data={"code": "12"})))
    sign_in(client, app, person["parent_pin"])
    pages.append(("children", client.get("/children")))
    ref = child_refs(client)[0]
    client.get(f"/register/child/{ref}")
    pages.append(("school", client.get("/register/school")))
    school = person["school_code"]
    client.post("/register/school", data={"choice": f"{school}:{first_language(school)}"})
    pages.append(("about you", client.get("/register/about-you")))
    pages.append(("about you, error", client.post("/register/about-you", data={}, content_type="multipart/form-data")))
    client.post("/register/about-you", data={"teacher": "no", "document": (io.BytesIO(PDF), "act.pdf")},
                content_type="multipart/form-data")
    pages.append(("check", client.get("/register/check")))
    number = application_number(client.post("/register/check"))
    pages += [
        ("confirmation", client.get(f"/applications/{number}/confirmation")),
        ("my applications", client.get("/applications")),
        ("application", client.get(f"/applications/{number}")),
        ("cancel", client.get(f"/applications/{number}/cancel")),
        ("appeal", client.get("/appeal")),
        ("appeal, error", client.post("/appeal", data={})),
    ]
    at(app, STAGE2)
    sign_in(client, app, person["parent_pin"])
    pages.append(("move", client.get(f"/applications/{number}/move?district=GB-LEN")))
    client.get(f"/register/child/{child_refs(client)[1]}")
    pages.append(("school, stage 2", client.get("/register/school?district=GB-LEN")))
    return pages


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_every_page_has_labels_a_language_switch_no_script_and_no_outside_asset(sample, client, language):
    client.get(f"/lang/{language}")
    for name, response in _walk(client, sample):
        html = page(response)
        assert response.status_code in (200, 422), (name, response.status_code)
        parsed = _Page()
        parsed.feed(html)
        assert parsed.lang == language, name
        assert len(parsed.ids) == len(set(parsed.ids)), (name, "duplicate ids")
        unlabelled = [control for control in parsed.controls if control not in parsed.label_for]
        assert not unlabelled, (name, unlabelled)
        assert parsed.scripts == 0, name
        assert not [link for link in parsed.links if link.startswith(("http:", "https:", "//"))], name
        for other in {"ky", "ru", "en"} - {language}:
            assert f"/lang/{other}?next=" in html, (name, "language switch")
        # Every error in the summary links to something on the page (or to the page that fixes it).
        for target in re.findall(r'<div class="error-summary".*?</div>', html, re.S):
            for anchor in re.findall(r'href="#([^"]+)"', target):
                assert anchor in parsed.ids, (name, anchor)


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_page_is_under_the_weight_budget(sample, client, language):
    """Bytes a phone downloads for a page: its HTML and the stylesheet, gzip level 6
    (what nginx sends by default); there are no scripts, fonts or images.
    `pytest tests/public/test_public_pages.py -k weight -s` prints the table of docs/performance.md."""
    client.get(f"/lang/{language}")
    css = client.get("/static/site.css").data
    css_gz = len(gzip.compress(css, 6))
    print(f"\n{language}: page | HTML bytes | HTML gzip | + CSS gzip ({len(css)} -> {css_gz}) = total")
    for name, response in _walk(client, sample):
        html_gz = len(gzip.compress(response.data, 6))
        print(f"| {name} | {len(response.data):,} | {html_gz:,} | {html_gz + css_gz:,} |")
        assert html_gz + css_gz < BUDGET, (name, html_gz, css_gz)


def test_a_file_over_5_mb_is_refused_with_a_message_for_the_parent(sample, client):
    client.get("/lang/en")
    person = SCENARIO["guardian"]
    sign_in(client, sample, person["parent_pin"])
    client.get(f"/register/child/{child_refs(client)[0]}")
    client.post("/register/school", data={"choice": f"{person['school_code']}:{first_language(person['school_code'])}"})
    big = io.BytesIO(b"%PDF-" + b"0" * (6 * 1024 * 1024 + 10))
    response = client.post("/register/about-you", data={"teacher": "no", "document": (big, "act.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "at most 5 MB" in page(response)


def test_an_unknown_page_of_the_form_says_so_in_the_parents_language(sample, client):
    client.get("/lang/ru")
    sign_in(client, sample, SCENARIO["stage1_parent"]["parent_pin"])
    response = client.get("/applications/2026-XX-0000-0000")
    assert response.status_code == 404 and '<html lang="ru">' in page(response)


def test_the_language_switch_returns_to_the_same_page_and_never_leaves_the_site(sample, client):
    response = client.get("/lang/ru?next=/free-seats%3Fdistrict%3DGB-LEN")
    assert response.location.endswith("/free-seats?district=GB-LEN")
    assert client.get("/lang/ru?next=//evil.example/").location.endswith("/")
    assert '<html lang="ru">' in page(client.get("/free-seats"))
