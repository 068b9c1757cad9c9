"""What each role's pages show: the start page with what needs attention in the
role's scope, the menu of the role's views, personal numbers masked in lists
and exports, and the portal in Kyrgyz, Russian and English, Flask-Admin's own
strings included."""
import re

import pytest
from babel.support import Translations
from flask_babel import force_locale, gettext

from admin.labels import mask_pin
from portal import i18n_tools
from tests.staff import COMMISSION_A, PINS, ROLE_LOGINS, STAFF, marker, sign_in  # noqa: F401

VIEWS = {"school", "microdistrict", "quota", "application", "commission_decision", "appeal", "staff_user", "audit"}
MENU = {
    "director": {"school", "microdistrict", "quota", "application", "commission_decision"},
    "district": VIEWS,
    "commission": {"school", "quota", "application", "commission_decision"},
    "ministry": VIEWS,
}


def signed_in(app, email, language="en"):
    client = app.test_client()
    client.get(f"/lang/{language}")
    sign_in(client, email)
    return client


def attention(page):
    """{label: number} of the start page's list."""
    items = re.findall(r'<a href="[^"]*">([^<]+)</a>\s*<span class="badge[^"]*">(\d+)</span>', page)
    return {label.strip(): int(number) for label, number in items}


@pytest.mark.parametrize("role", sorted(MENU))
def test_the_menu_shows_the_views_of_the_role_and_the_others_are_refused(world, portal, role):
    client = signed_in(portal, ROLE_LOGINS[role])
    page = client.get("/admin/").get_data(as_text=True)
    shown = {endpoint for endpoint in VIEWS if f'href="/admin/{endpoint}/"' in page}
    assert shown == MENU[role]
    for endpoint in VIEWS - MENU[role]:
        assert client.get(f"/admin/{endpoint}/").status_code == 403


def test_the_directors_start_page_counts_its_own_school(world, portal):
    page = signed_in(portal, STAFF["director_a"]).get("/admin/").get_data(as_text=True)
    counts = attention(page)
    assert counts["Admitted children whose documents are not received yet"] == 1
    assert counts["Proofs of teachers and legal representatives to verify"] == 1
    assert next(number for label, number in counts.items() if label.startswith("Quotas still to confirm")) == 1
    assert "Confirm the quota by" in page and "27.03.2026" in page


def test_the_districts_start_page_counts_its_district(world, portal):
    counts = attention(signed_in(portal, STAFF["district_a"]).get("/admin/").get_data(as_text=True))
    assert next(number for label, number in counts.items() if label.startswith("Quotas still to confirm")) == 3
    assert counts["Appeals to answer"] == 2  # schools A and B of GB-LEN, not O
    assert counts["Proofs of teachers and legal representatives to verify"] == 2
    assert counts["Schools whose name and address are not verified yet"] == 3


def test_the_ministry_start_page_counts_the_whole_country(world, portal):
    counts = attention(signed_in(portal, STAFF["ministry"]).get("/admin/").get_data(as_text=True))
    assert counts["Appeals to answer"] == 3
    assert counts["Schools whose name and address are not verified yet"] == 21


def test_personal_numbers_are_masked_in_lists_and_exports_and_whole_in_details(world, portal):
    client = signed_in(portal, STAFF["director_a"])
    listing = client.get("/admin/application/").get_data(as_text=True)
    assert mask_pin(PINS["A"]) == "2999999****901" and mask_pin(PINS["A"]) in listing
    assert PINS["A"] not in listing
    export = client.get("/admin/application/export/csv/").get_data(as_text=True)
    assert mask_pin(PINS["A"]) in export and PINS["A"] not in export
    found = client.get("/admin/application/", query_string={"search": PINS["A"]}).get_data(as_text=True)
    assert marker("A", "Number") in found  # searching by the whole number finds it
    application_id = re.search(r"/admin/application/details/\?id=(\d+)", listing).group(1)
    assert PINS["A"] in client.get(f"/admin/application/details/?id={application_id}").get_data(as_text=True)
    decisions = signed_in(portal, COMMISSION_A).get("/admin/commission_decision/").get_data(as_text=True)
    assert mask_pin(PINS["A"]) in decisions and PINS["A"] not in decisions


def _translated(language, msgid):
    return Translations.load(str(i18n_tools.TRANSLATIONS_DIR), [language]).ugettext(msgid)


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_flask_admins_own_strings_come_from_our_catalogue(world, portal, language):
    page = signed_in(portal, STAFF["district_a"], language).get("/admin/application/").get_data(as_text=True)
    for msgid in ("List", "Add Filter", "Search", "Export", "Apply"):
        translation = _translated(language, msgid)
        assert translation != msgid, f"{language}: no translation of Flask-Admin's {msgid!r}"
        assert translation in page
    assert "Add Filter" not in page
    # Our own labels, and Flask-Admin's strings outside a template (filter operations).
    assert _translated(language, "Child's PIN") in page
    with portal.test_request_context(), force_locale(language):
        from flask_admin.babel import gettext as admin_gettext

        assert admin_gettext("equals") == _translated(language, "equals") != "equals"
        assert admin_gettext("Record was successfully saved.") == gettext("Record was successfully saved.")


def test_the_sign_in_page_speaks_the_chosen_language(portal):
    client = portal.test_client()
    client.get("/lang/ky")
    page = client.get("/admin/login").get_data(as_text=True)
    assert _translated("ky", "Staff sign-in") in page and '<html lang="ky">' in page
