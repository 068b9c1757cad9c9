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


# The staff portal: no inline code but what carries this answer's nonce.
import re  # noqa: E402

import pytest  # noqa: E402

from tests.staff import ROLE_LOGINS, sign_in

ADMIN_LINK = re.compile(r'href="(/admin/[^"#]*)"')
SKIP = re.compile(r"/admin/(logout|account|static)|/export/|/admin/[^/]+/(delete|action)/|\.xlsx|\.csv|download")


def admin_pages(client, limit=60):
    """The pages a signed-in user reaches from the start page: the menu, and from each
    list its first links (details, edit, create, filters)."""
    seen, queue = set(), ["/admin/"]
    while queue and len(seen) < limit:
        url = queue.pop(0).replace("&amp;", "&")
        page = re.sub(r"(?<=[?&])(sort|desc|page_size|page|url|id|region_id|district_id|school_id)=[^&]*&?", "", url).rstrip("?&")
        if page in seen or SKIP.search(url):
            continue
        response = client.get(url)
        seen.add(page)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        yield url, response
        queue.extend(ADMIN_LINK.findall(response.get_data(as_text=True)))


def test_staff_portal_policy_allows_no_inline_code_only_its_nonce(client):
    first, second = client.get("/admin/login"), client.get("/admin/login")
    csp = first.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    nonce = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'", csp).group(1)
    assert f"style-src 'self' 'nonce-{nonce}'" in csp
    assert nonce not in second.headers["Content-Security-Policy"]  # a fresh one for each answer


@pytest.mark.parametrize("role", sorted(ROLE_LOGINS))
def test_staff_pages_carry_no_inline_handler_or_style_and_every_inline_script_the_nonce(world, portal, role):
    client = portal.test_client()
    sign_in(client, ROLE_LOGINS[role])
    checked = 0
    for url, response in admin_pages(client):
        html = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response.headers["Content-Security-Policy"]).group(1)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), f"inline event handler on {url}"
        assert not re.search(r"<[^>]+\sstyle\s*=", html), f"style attribute on {url}"
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
            if "src=" not in tag:
                assert f'nonce="{nonce}"' in tag, f"{tag} on {url} lacks this answer's nonce"
        checked += 1
    assert checked >= 5
