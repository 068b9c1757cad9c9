"""No server error from any input to the staff portal (issue 15, item 9): ids
too large for the database's integers (PostgreSQL's `integer out of range`),
negative and absurd page numbers, filter values out of range, over-long texts
in provisioning, and a JSON body nested too deep for the parser, at any
address, signed in or not. Every admin URL comes from `app.url_map`, as in
tests/admin/test_admin_scope.py, so a page added later is probed too."""
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import StaffUser
from tests.staff import ROLE_LOGINS, STAFF, sign_in
from tests.admin.test_admin_scope import admin_rules, snake
from admin.scoping import RULES, ScopedModelView

# Beyond INTEGER (2^31), beyond BIGINT (2^63), below INTEGER, and not a number a database takes.
BAD_IDS = [str(2**31), str(2**63), str(-(2**31) - 1), "1" * 40, "1e999", "-0x10"]
ID_NAMES = ["id", "rowid", "document_id", "list_form_pk"] + [f"{snake(model.__name__)}_id" for model in RULES]


def _answered(response, what, problems):
    if response.status_code >= 500:
        problems.append(f"{what}: {response.status_code}")


@pytest.mark.parametrize("role", ["ministry", "director"])
def test_no_admin_url_fails_on_an_id_beyond_the_databases_integers(world, role):
    from flask import current_app

    client = current_app.test_client()
    sign_in(client, ROLE_LOGINS[role])
    problems = []
    for rule in admin_rules(current_app):
        if rule.endpoint in ("admin.static", "admin_auth.logout"):
            continue
        url = re.sub(r"<[^>]+>", "csv", rule.rule)
        for bad in BAD_IDS:
            values = {name: bad for name in ID_NAMES}
            if "GET" in rule.methods:
                _answered(client.get(url, query_string=values), f"GET {url} ids={bad}", problems)
            if "POST" in rule.methods:
                _answered(client.post(url, query_string={"id": bad}, data={**values, "action": "delete"}),
                          f"POST {url} ids={bad}", problems)
        assert client.get("/admin/").status_code == 200, f"{rule.rule} signed the user out"
    assert not problems, "\n".join(problems[:40])


def test_no_list_fails_on_a_negative_or_absurd_page_or_an_out_of_range_filter(world):
    from flask import current_app

    client = current_app.test_client()
    sign_in(client, ROLE_LOGINS["ministry"])
    problems = []
    views = [view for view in current_app.extensions["portal_admin"]._views if isinstance(view, ScopedModelView)]
    for view in views:
        base = f"/admin/{view.endpoint}/"
        for page in ("-1", "-99999999999", str(2**62), str(2**31)):
            _answered(client.get(base, query_string={"page": page}), f"{base}?page={page}", problems)
            _answered(client.get(base, query_string={"page": page, "page_size": page}),
                      f"{base}?page_size={page}", problems)
        for arg in view._filter_args or {}:
            for bad in BAD_IDS:
                _answered(client.get(base, query_string={f"flt0_{arg}": bad}), f"{base}?flt0_{arg}={bad}",
                          problems)
    assert not problems, "\n".join(problems[:40])


def test_a_negative_page_shows_the_first_page(world):
    from flask import current_app

    client = current_app.test_client()
    sign_in(client, ROLE_LOGINS["ministry"])
    assert client.get("/admin/school/?page=-1").status_code == 200


def test_provisioning_a_full_name_over_200_characters_is_a_message_not_a_server_error(portal):
    client = portal.test_client()
    client.get("/lang/ru")
    sign_in(client, STAFF["district_a"])
    before = db.session.scalar(select(func.count()).select_from(StaffUser))
    response = client.post("/admin/staff_user/provision/", data={
        "role": "director", "rows": f"long.039@example.kg, {'Я' * 201}, GB-LEN-039\n"})
    assert response.status_code == 200
    assert "не длиннее 200 символов" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(StaffUser)) == before
    ok = client.post("/admin/staff_user/provision/", data={
        "role": "director", "rows": f"long.039@example.kg, {'Я' * 200}, GB-LEN-039\n"})
    assert ok.status_code == 200 and ok.mimetype != "text/html"


DEEP = "[" * 100_000 + "]" * 100_000
RATHER_DEEP = '{"a":' * 900 + "1" + "}" * 900


@pytest.mark.parametrize("body", [DEEP, RATHER_DEEP], ids=["100000-deep", "900-deep"])
@pytest.mark.parametrize("path", ["/api/v1/auth/start", "/api/v1/applications", "/api/v1/no-such-thing",
                                  "/sign-in", "/", "/admin/login", "/no-such-page"])
def test_a_json_body_nested_too_deep_is_refused_in_the_persons_language_without_sign_in(app, path, body):
    response = app.test_client().post(path, data=body, content_type="application/json",
                                      headers={"Accept-Language": "ru"})
    assert response.status_code in (400, 404, 405, 422), response.status_code
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "RecursionError" not in text
    if path.startswith("/api/"):
        assert response.json["error"]["code"] in ("validation_error", "not_found")
        assert any("а" <= ch <= "я" for ch in response.json["error"]["message"].lower())
