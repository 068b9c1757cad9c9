"""The parents' journeys of scenario.json in a real browser, once with
JavaScript off and once on a 360 px phone screen (see conftest.py)."""
import re

from tests.public_form import PDF
from tests.scenario import SCENARIO, STAGE1, STAGE2, id_document

NUMBER = re.compile(r"2026-[A-Z]{2}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def submit(page):
    """Press the main form's button (the header's sign-out is a form too)."""
    page.locator("main form[method=post] button[type=submit]").click()


def sign_in(page, live, pin):
    page.goto(live.url + "/sign-in")
    page.fill("#pin", pin)
    page.fill("#id_document", id_document(pin))
    page.fill("#contact", f"{pin}@example.kg")
    before = len(live.app.extensions["sent_mail"])
    submit(page)
    page.wait_for_url("**/sign-in/code")
    page.fill("#code", live.mailed_code(before))
    submit(page)
    page.wait_for_url("**/children")


def choose_school(page, school_code):
    page.wait_for_url("**/register/school*")
    page.check(f"input[name=choice][value^='{school_code}:']")
    submit(page)


def register_child(page, school_code, *, shots=False):
    """From the children page: the first child without an application, to the confirmation."""
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/children")
    page.locator("main a.button[href*='/register/child/']").first.click()
    if shots:
        page.shot("school")
    choose_school(page, school_code)
    if "/register/about-you" in page.url:
        if shots:
            page.shot("about-you")
        page.check("#teacher-0")  # "No"
        submit(page)
    page.wait_for_url("**/register/check")
    if shots:
        page.shot("check-your-answers")
    submit(page)
    page.wait_for_url("**/confirmation")
    return page.locator(".panel .number").first.inner_text()


def no_horizontal_scroll(page):
    # 360 px must be readable without scrolling sideways (skipped when scripts are off).
    if page.viewport_size["width"] == 360:
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_stage1_registration_in_kyrgyz(live, page):
    live.at(STAGE1)
    person = SCENARIO["stage1_parent"]
    page.goto(live.url + "/")
    page.click("a[lang=ky]")
    assert page.locator("html").get_attribute("lang") == "ky"
    page.shot("start")
    no_horizontal_scroll(page)
    page.click("main a.button.start")
    page.wait_for_url("**/sign-in")
    submit(page)  # nothing typed: the summary lists every field, linked
    summary = page.locator(".error-summary")
    assert summary.is_visible() and summary.locator("a[href='#pin']").count() == 1
    assert summary.locator("a[href='#id_document']").count() == 1
    assert summary.locator("a[href='#contact']").count() == 1
    page.shot("sign-in-errors")
    no_horizontal_scroll(page)
    page.fill("#pin", person["parent_pin"])
    page.fill("#id_document", person["parent_id_document"])
    page.fill("#contact", "parent@example.kg")
    before = len(live.app.extensions["sent_mail"])
    submit(page)
    page.wait_for_url("**/sign-in/code")
    page.shot("code")
    page.fill("#code", live.mailed_code(before))
    submit(page)
    page.wait_for_url("**/children")
    page.shot("children")
    number = register_child(page, person["school_code"], shots=True)
    assert NUMBER.fullmatch(number)
    page.shot("confirmation")
    no_horizontal_scroll(page)
    page.emulate_media(media="print")
    page.shot("confirmation-print")
    page.emulate_media(media="screen")
    page.goto(live.url + f"/applications/{number}")
    assert page.locator("ol.history li").count() == 1
    page.shot("application")


def test_refusal_outside_the_catchment_says_why(live, page):
    live.at(STAGE1)
    person = SCENARIO["outside_parent"]
    sign_in(page, live, person["parent_pin"])
    page.locator("main a.button[href*='/register/child/']").first.click()
    page.wait_for_url("**/register/school")
    assert "No school's microdistrict includes your registered address" in page.inner_text("main")
    page.shot("no-catchment-school")
    page.click("text=Choose another school")
    page.wait_for_url("**/register/school/other*")
    page.check(f"input[name=choice][value^='{person['not_allowed_school']}:']")
    submit(page)
    summary = page.locator(".error-summary")
    assert "not in this school's microdistrict" in summary.inner_text()
    assert page.locator("main a[href='/appeal']").count() == 1
    page.shot("refused-outside-microdistrict")
    no_horizontal_scroll(page)


def test_twins_registered_together(live, page):
    live.at(STAGE1)
    person = SCENARIO["twins"]
    sign_in(page, live, person["parent_pin"])
    page.click("text=Register them together")
    page.wait_for_url("**/register/together")
    for box in page.locator("input[name=children]").all():
        box.check()
    page.shot("together")
    submit(page)
    choose_school(page, person["school_code"])
    page.wait_for_url("**/register/check")
    page.shot("check-your-answers")
    submit(page)
    page.wait_for_url("**/confirmation")
    numbers = page.locator(".panel .number").all_inner_texts()
    assert len(numbers) == 2 and all(NUMBER.fullmatch(n) for n in numbers)
    assert "Twin" in page.inner_text("main")
    page.shot("confirmation")


def test_legal_representative_uploads_the_act(live, page, tmp_path):
    live.at(STAGE1)
    person = SCENARIO["guardian"]
    act = tmp_path / "court-act.pdf"
    act.write_bytes(PDF)
    sign_in(page, live, person["parent_pin"])
    assert "you are the legal representative" in page.inner_text("main")
    page.locator("main a.button[href*='/register/child/']").first.click()
    choose_school(page, person["school_code"])
    page.wait_for_url("**/register/about-you")
    page.check("#teacher-0")
    submit(page)  # without the act
    assert page.locator(".error-summary a[href='#document']").count() == 1
    assert page.locator("#document").get_attribute("aria-describedby") == "document-hint document-error"
    page.shot("act-missing")
    page.set_input_files("#document", str(act))
    submit(page)
    page.wait_for_url("**/register/check")
    assert "court-act.pdf" in page.inner_text("main")
    page.shot("check-your-answers")
    submit(page)
    page.wait_for_url("**/confirmation")
    assert NUMBER.fullmatch(page.locator(".panel .number").first.inner_text())
    page.shot("confirmation")


def test_three_cancellations_then_the_fourth_is_blocked(live, page):
    live.at(STAGE1)
    person = SCENARIO["canceller"]
    sign_in(page, live, person["parent_pin"])
    for left in (3, 2, 1):
        number = register_child(page, person["school_code"])
        page.goto(live.url + f"/applications/{number}")
        page.click("text=Cancel the application")
        page.wait_for_url("**/cancel")
        assert f"{left} of 3 cancellations left" in page.inner_text(".counter")
        page.shot(f"cancel-{left}-left")
        submit(page)
        page.wait_for_url(f"**/applications/{number}")
        assert page.locator(".notice.success").is_visible()
        assert f"{left - 1} of 3" in page.inner_text("main")
    page.shot("cancelled")
    number = register_child(page, person["school_code"])
    page.goto(live.url + f"/applications/{number}/cancel")
    assert "0 of 3 cancellations left" in page.inner_text(".counter")
    assert page.locator("main form[method=post]").count() == 0
    assert "can no longer be cancelled" in page.inner_text("main")
    page.shot("fourth-blocked")
    no_horizontal_scroll(page)


def test_stage2_move_to_another_school(live, page):
    live.at(STAGE2)
    person = SCENARIO["canceller"]
    target = "GB-LEN-041"
    sign_in(page, live, person["parent_pin"])
    page.locator("main a.button[href*='/register/child/']").first.click()
    page.wait_for_url("**/register/school*")
    page.select_option("#district", "GB-LEN")
    page.click("form.filter button")
    page.shot("school-stage2")
    number = None
    choose_school(page, person["school_code"])
    page.check("#teacher-0")
    submit(page)
    page.wait_for_url("**/register/check")
    submit(page)
    page.wait_for_url("**/confirmation")
    number = page.locator(".panel .number").first.inner_text()
    page.goto(live.url + f"/applications/{number}")
    page.click("text=Move to another school")
    page.wait_for_url("**/move*")
    page.shot("move-choose")
    page.check(f"input[name=choice][value^='{target}:']")
    submit(page)
    page.wait_for_url("**/move/confirm")
    assert "3 of 3 cancellations left" in page.inner_text(".counter")
    page.shot("move-confirm")
    submit(page)
    page.wait_for_url("**/confirmation")
    new_number = page.locator(".panel .number").first.inner_text()
    assert new_number != number
    page.goto(live.url + "/applications")
    listing = page.inner_text("main")
    assert number in listing and new_number in listing and "Cancelled" in listing
    page.shot("my-applications")
    page.goto(live.url + "/free-seats?district=GB-LEN")
    page.shot("free-seats")
    no_horizontal_scroll(page)


def test_the_free_seats_and_statistics_tables_fit_a_360_px_phone(live, page):
    """The widest public tables (long school names, language names and "(full)") in
    each language: nothing wider than the screen (a table once was 30 px too wide)."""
    live.at(STAGE1)
    district = "GB-LEN"  # the sample's district with the most schools
    for lang in ("ky", "ru", "en"):
        page.goto(f"{live.url}/lang/{lang}")
        page.goto(f"{live.url}/free-seats?district={district}")
        assert page.locator("table.seats tbody tr").count() > 0
        no_horizontal_scroll(page)
        page.goto(f"{live.url}/statistics")
        no_horizontal_scroll(page)
