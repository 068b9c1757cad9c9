"""Security headers on every answer; personal pages never cached."""


def test_public_pages_forbid_framing_sniffing_and_any_script(client):
    response = client.get("/")
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "Strict-Transport-Security" not in headers  # plain HTTP in tests


def test_api_answers_are_not_cached_but_free_seats_are(client):
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"
    assert "max-age" in client.get("/api/v1/free-seats").headers["Cache-Control"]


def test_staff_portal_keeps_framing_protection(client):
    headers = client.get("/admin/login").headers
    assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


def test_behind_tls_cookies_are_secure_and_hsts_is_sent(database_url):
    from portal import create_app
    from portal.config import TestConfig

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, PUBLIC_BASE_URL="https://1mektep.edu.gov.kg")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/", base_url="https://1mektep.edu.gov.kg")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
