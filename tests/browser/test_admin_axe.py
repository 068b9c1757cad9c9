"""Issue 16, item 5: the staff pages pass axe-core with no serious or critical
violation. Each role signs in and axe runs on one page of each kind it has:
a list, a details page, a form and a report (or queue), in Kyrgyz."""
import re

import pytest

from portal.extensions import db
from tests.browser.axe import axe_source, violations
from tests.browser.test_admin_csp import browser_sign_in
from tests.staff import ROLE_LOGINS, sign_in

# (list, details of its first row, a form, a report or queue) per role.
PAGES = {
    "director": ("/admin/application/", "/admin/application/", "/admin/microdistrict/add/", "/admin/reports/"),
    "district": ("/admin/school/", "/admin/appeal/", "/admin/staff_user/provision/", "/admin/reports/"),
    "commission": ("/admin/commission_decision/", "/admin/commission_decision/", "/admin/commission_decision/new/",
                   "/admin/"),
    "ministry": ("/admin/audit/", "/admin/application/", "/admin/staff_user/provision/", "/admin/reports/"),
}


def first_details(client, listing):
    found = re.search(r'href="(/admin/[a-z_]+/details/\?id=[^"&]+)', client.get(listing).get_data(as_text=True))
    assert found, f"no details link on {listing}"
    return found.group(1)


@pytest.mark.parametrize("role", sorted(ROLE_LOGINS))
def test_one_staff_page_of_each_kind_has_no_serious_accessibility_violation(staff_live, admin_page, role):
    source = axe_source()
    client = staff_live.app.test_client()
    client.get("/lang/ky")
    sign_in(client, ROLE_LOGINS[role])
    listing, details_of, form, report = PAGES[role]
    urls = [listing, first_details(client, details_of), form, report]
    for url in urls:
        assert client.get(url).status_code == 200, f"{role}: {url} does not answer"
    db.session.remove()
    browser_sign_in(admin_page, staff_live, ROLE_LOGINS[role])
    admin_page.goto(staff_live.url + "/lang/ky")
    found = {}
    for url in urls:
        admin_page.goto(staff_live.url + url)
        admin_page.wait_for_load_state("load")
        assert admin_page.evaluate("document.documentElement.lang") == "ky", url
        problems = violations(admin_page, source)
        if problems:
            found[url] = problems
    assert found == {}, "\n".join(f"{url}: {problems}" for url, problems in found.items())


def test_axe_sees_a_serious_violation(staff_live, admin_page):
    """The check can fail: a page with a text too pale to read and an unlabeled field."""
    source = axe_source()
    admin_page.set_content('<html lang="ky"><body><main><h1>Т</h1><p style="color:#bbb;background:#fff">Бозомтук текст</p>'
                           '<input type="checkbox"></main></body></html>')
    found = violations(admin_page, source)
    assert any(problem.startswith("color-contrast") for problem in found)
    assert any(problem.startswith("label") for problem in found)
