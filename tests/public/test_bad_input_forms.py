"""Bad input against the public forms (issue #8): hypothesis posts arbitrary
text, lists and bytes to every form of the parents' pages, signed in and not.
Whatever arrives, the answer is a page (or a redirect), never a server error,
and the page never shows a stack trace.

The tests run with TESTING on, so an exception in a view is raised into the
test (Flask would otherwise turn it into a 500): a crash cannot hide.
"""
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import public_form
from tests.fuzzing import fuzz_settings
from tests.scenario import SCENARIO, id_document

# 40 examples a form (twice that in CI's PostgreSQL pass); new ones every CI run (tests/fuzzing.py).
SETTINGS = fuzz_settings(40)

# Text as people and scripts send it: any Unicode (NUL and surrogates excluded by
# the browser's encoding anyway, but try control characters), long values, digits.
text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789 -", max_size=30),
    st.text(min_size=300, max_size=3000),
    st.sampled_from(["", " ", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "GB-LEN-039:ky", "::", "%s%n"]),
)
values = st.one_of(text, st.lists(text, max_size=4))
field_names = st.sampled_from(["pin", "email", "code", "choice", "teacher", "children", "district", "text",
                               "submit", "csrf_token", "document", "language"])
form_data = st.dictionaries(field_names | st.text(max_size=10), values, max_size=6)

PUBLIC_FORMS = ["/sign-in", "/sign-in/code", "/appeal", "/free-seats"]
SIGNED_IN_FORMS = ["/register/together", "/register/school", "/register/school/other", "/register/about-you",
                   "/register/teacher-proof", "/register/check", "/appeal"]


def _assert_answered(response, url):
    html = response.get_data(as_text=True)
    assert response.status_code < 500, (url, response.status_code, html[:500])
    assert "Traceback" not in html and "werkzeug" not in html.lower(), url


@pytest.fixture
def parent(sample):
    """A signed-in parent of the sample data, with a draft under way (a child and a school chosen)."""
    client = sample.test_client()
    person = SCENARIO["stage1_parent"]
    public_form.sign_in(client, sample, person["parent_pin"])
    ref = public_form.child_refs(client)[0]
    number = public_form.application_number(public_form.register(client, ref, person["school_code"]))
    client.get(f"/register/child/{ref}")  # a draft under way for the steps
    client.post("/register/school", data={"choice": f"{person['school_code']}:"
                                                    f"{public_form.first_language(person['school_code'])}"})
    return client, number


@pytest.mark.parametrize("url", PUBLIC_FORMS)
def test_any_input_to_a_public_form_gets_a_page(sample, url):
    client = sample.test_client()

    @given(data=form_data, language=st.sampled_from(["ky", "ru", "en", "xx", ""]))
    @SETTINGS
    def post(data, language):
        response = client.post(url, data=data, headers={"Accept-Language": language})
        _assert_answered(response, url)

    post()


@pytest.mark.parametrize("url", SIGNED_IN_FORMS)
def test_any_input_to_a_step_of_the_registration_gets_a_page(parent, url):
    client, _ = parent

    @given(data=form_data)
    @SETTINGS
    def post(data):
        _assert_answered(client.post(url, data=data, content_type="multipart/form-data"), url)
        _assert_answered(client.get(url), url)

    post()


@pytest.mark.parametrize("action", ["cancel", "move", "move/confirm", "appeal", "confirmation", ""])
def test_any_input_to_an_application_page_gets_a_page(parent, action):
    client, number = parent

    @given(data=form_data, which=st.one_of(st.just(number), st.text(alphabet="0123456789ABCDEFGHKMQXYZ-", max_size=24)))
    @SETTINGS
    def post(data, which):
        url = f"/applications/{which}/{action}".rstrip("/")
        method = client.post if action not in ("confirmation", "") else client.get
        _assert_answered(method(url, data=data) if method is client.post else method(url), url)

    post()


def test_any_file_as_the_document_gets_a_page(parent):
    client, _ = parent

    @given(content=st.one_of(st.binary(max_size=2048), st.just(public_form.PDF),
                             st.binary(max_size=64).map(lambda b: b"%PDF-" + b)),
           name=st.text(max_size=40), teacher=st.sampled_from(["yes", "no", "", "maybe"]))
    @SETTINGS
    def post(content, name, teacher):
        response = client.post("/register/about-you", data={"teacher": teacher, "document": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")
        _assert_answered(response, "/register/about-you")

    post()


def test_any_address_gets_a_page_or_the_apis_json(sample):
    client = sample.test_client()

    @given(path=st.text(max_size=40), prefix=st.sampled_from(["/", "/api/v1/", "/register/", "/applications/",
                                                              "/lang/", "/admin/"]),
           method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    @SETTINGS
    def visit(path, prefix, method):
        url = prefix + path.lstrip("/")
        response = client.open(url, method=method, headers={"Accept-Language": "ru"})
        _assert_answered(response, url)
        if response.status_code in (404, 405):
            if url.startswith("/api/"):
                assert response.json["error"]["code"], url
            elif not url.startswith("/admin"):
                assert '<html lang="ru">' in response.get_data(as_text=True), url

    visit()


def test_a_nul_character_in_a_form_is_refused_with_a_page_not_a_server_error(parent):
    """SQLite stores a NUL, PostgreSQL refuses it (a 500 there until portal/errors.py
    refused NUL at the edge): an appeal's text, a sign-in e-mail, a choice, an address."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import District

    client, number = parent
    district = db.session.scalars(select(District.code).order_by(District.code)).first()
    db.session.rollback()
    client.get("/lang/ru")
    for url, data in [("/appeal", {"district": district, "text": "hello\x00world"}),
                      (f"/applications/{number}/appeal", {"text": "\x00"}),
                      ("/register/school", {"choice": "GB-LEN-039\x00:ky"}),
                      (f"/applications/{number}\x00/cancel", {})]:
        response = client.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code)
        assert '<html lang="ru">' in response.get_data(as_text=True)
    anonymous = client.application.test_client()
    response = anonymous.post("/sign-in", data={"pin": "12708198301953", "id_document": id_document("12708198301953"), "contact": "a\x00@example.kg"})
    assert response.status_code == 400
