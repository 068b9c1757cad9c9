"""Sign-in with Түндүк in a real browser (JavaScript off, and a 360 px phone):
the button on the sign-in page, the fake provider (tests/fake_tunduk.py) on
another port, and back signed in."""
import pytest

from tests.browser.test_journeys import no_horizontal_scroll
from tests.fake_tunduk import CLIENT_ID, CLIENT_SECRET, FakeTunduk
from tests.scenario import SCENARIO, STAGE1


@pytest.fixture
def provider(live):
    with FakeTunduk() as fake:
        live.app.config.update(TUNDUK_OIDC_ISSUER=fake.url, TUNDUK_OIDC_CLIENT_ID=CLIENT_ID,
                               TUNDUK_OIDC_CLIENT_SECRET=CLIENT_SECRET,
                               PUBLIC_BASE_URL=live.url)  # the callback the provider sends the browser to
        fake.now = lambda: live.app.config["FROZEN_NOW"]
        yield fake
        identity = live.app.extensions.pop("state_identity", None)
        if identity is not None:
            identity.close()


def test_a_parent_signs_in_with_tunduk_and_sees_the_children(live, provider, page):
    live.at(STAGE1)
    provider.person_pin = SCENARIO["stage1_parent"]["parent_pin"]
    page.goto(live.url + "/sign-in")
    button = page.locator("main a#tunduk")
    assert button.inner_text() == "Sign in with Түндүк"
    assert button.bounding_box()["y"] < page.locator("#pin").bounding_box()["y"], "the button comes first"
    page.shot("sign-in-with-tunduk")
    no_horizontal_scroll(page)
    button.click()
    page.wait_for_url("**/children")
    assert provider.token_requests[-1]["pkce_ok"]
    assert "Register this child" in page.inner_text("main")
    page.shot("children")
    no_horizontal_scroll(page)


def test_a_parent_who_cancels_at_tunduk_is_told_and_can_use_the_code(live, provider, page):
    live.at(STAGE1)
    provider.authorize_error = "access_denied"
    page.goto(live.url + "/sign-in")
    page.click("main a#tunduk")
    page.wait_for_url("**/sign-in")
    summary = page.locator(".error-summary")
    assert "Signing in with Түндүк was cancelled" in summary.inner_text()
    assert summary.locator("a[href='#tunduk']").count() == 1
    assert page.locator("#pin").is_visible()
    page.shot("cancelled")
    no_horizontal_scroll(page)
