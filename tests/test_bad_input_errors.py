"""No 500 page and no stack trace to a person, ever (issue #8): every error
answer (404, 405, 400, 413, CSRF, 500, a lost database) is a page in the
person's language on the public site and the API's JSON error under /api.
portal/errors.py holds the handlers that reach beyond the blueprints.
"""
import io

import pytest
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.config import TestConfig
from tests.public_form import page

RUSSIAN = {"Accept-Language": "ru"}


@pytest.fixture
def live_app(database_url, tmp_path):
    """The app as production runs it: CSRF on, exceptions not raised into the caller."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                     WTF_CSRF_ENABLED=True, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("a bug with personal data 12708198301953 in its message")

    def database_gone():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    app.add_url_rule("/test-broken", "test_broken", broken)
    app.add_url_rule("/api/v1/test-broken", "test_api_broken", broken)
    app.add_url_rule("/test-database-gone", "test_database_gone", database_gone)
    with app.app_context():
        yield app


def _is_clean(response):
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "RuntimeError" not in body and "12708198301953" not in body
    assert "werkzeug" not in body.lower() and "The requested URL was not found" not in body
    return body


PAGES = [
    ("GET", "/no-such-page", {}, 404, "Страница не найдена"),
    ("GET", "/register/no-such-step", {}, 404, "Страница не найдена"),
    ("PUT", "/sign-in", {}, 405, "Эта страница не поддерживает такое действие"),
    ("DELETE", "/", {}, 405, "Эта страница не поддерживает такое действие"),
    ("POST", "/sign-in", {"data": {"pin": "12708198301953", "email": "a@example.kg"}}, 400, "истёк"),
    ("POST", "/sign-in", {"data": b"x" * (7 * 1024 * 1024), "content_type": "application/octet-stream"}, 413,
     "Файл слишком большой"),
    ("GET", "/test-broken", {}, 500, "Что-то пошло не так"),
    ("GET", "/test-database-gone", {}, 503, "Сервис сейчас недоступен"),
]


@pytest.mark.parametrize(("method", "path", "request_", "status", "title"), PAGES,
                         ids=[f"{s}-{m}-{p}" for m, p, _, s, _t in PAGES])
def test_every_error_on_the_public_site_is_a_page_in_the_persons_language(live_app, method, path, request_,
                                                                          status, title):
    response = live_app.test_client().open(path, method=method, headers=RUSSIAN, **request_)
    assert response.status_code == status
    body = _is_clean(response)
    assert response.mimetype == "text/html" and '<html lang="ru">' in body
    assert title.lower() in page(response).lower(), page(response)[:800]
    if status == 405:
        assert "GET" in response.headers["Allow"]


API = [
    ("GET", "/api/v1/no-such-thing", {}, 404, "not_found"),
    ("DELETE", "/api/v1/me", {}, 405, "validation_error"),
    ("POST", "/api/v1/auth/start", {"data": "{not json", "content_type": "application/json"}, 422, "validation_error"),
    ("POST", "/api/v1/applications", {"data": {"document": (io.BytesIO(b"x" * (7 * 1024 * 1024)), "a.pdf")},
                                      "content_type": "multipart/form-data"}, 413, "validation_error"),
    ("GET", "/api/v1/test-broken", {}, 500, "server_error"),
]


@pytest.mark.parametrize(("method", "path", "request_", "status", "code"), API,
                         ids=[f"{s}-{m}-{p}" for m, p, _, s, _c in API])
def test_every_error_on_the_api_is_its_json_error_in_the_persons_language(live_app, method, path, request_,
                                                                          status, code):
    response = live_app.test_client().open(path, method=method, headers=RUSSIAN, **request_)
    _is_clean(response)
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.json["error"]["code"] == code
    if status == 405:
        assert "GET" in response.headers["Allow"]
    message = response.json["error"]["message"]
    assert message and any("а" <= ch <= "я" for ch in message.lower()), message  # Russian, not English


def test_the_staff_portal_gets_pages_not_werkzeugs_either(live_app):
    response = live_app.test_client().get("/admin/no-such-view", headers=RUSSIAN)
    assert response.status_code == 404
    _is_clean(response)
