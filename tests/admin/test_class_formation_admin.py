"""The class formation page of the staff portal (admin/classes.py, R15, §19): the
director distributes, moves, locks and issues the order; a district (its own
schools) and the ministry read and may reopen a locked list with a reason; the
commission has no such page; no id of another school reaches anything; every
irreversible action has a confirmation page (a GET that changes nothing, in the
user's language) and acts only on the POST, which needs its CSRF token; every
change is audited."""
import re
from datetime import datetime, timezone

import pypdfium2
import pytest
from sqlalchemy import func, select

from portal.admission import class_lists, enrolment
from portal.admission.campaigns import current_campaign
from portal.admission.documents_window import mark_received
from portal.extensions import db
from portal.models import (
    Application,
    AuditEntry,
    ClassAssignment,
    ClassListReopening,
    ClassSet,
    EnrolmentOrder,
    StaffUser,
)
from tests.scenario import BISHKEK, at
from tests.staff import PASSWORD, ROLE_LOGINS, marker, sign_in, staff  # noqa: F401  (fixtures)
from tests.admin.test_admin_scope import FOREIGN_PLACES, Probe

PAGE = "/admin/classes/"
# Within the 2026 documents window (4 August - 5 September): a list may be locked.
IN_WINDOW = datetime(2026, 8, 20, 11, 0, tzinfo=BISHKEK)


def client_of(app, role):
    client = app.test_client()
    sign_in(client, ROLE_LOGINS[role])
    return client


def ky_sets(school):
    """The school's Kyrgyz class-sets (the world's children learn in Kyrgyz); two at least."""
    found = db.session.scalars(select(ClassSet).where(ClassSet.school_id == school.id, ClassSet.language == "ky")
                               .order_by(ClassSet.number)).all()
    if len(found) < 2:
        last = db.session.scalar(select(func.max(ClassSet.number)).where(ClassSet.school_id == school.id)) or 0
        for number in range(last + 1, last + 3 - len(found)):
            db.session.add(ClassSet(campaign_id=current_campaign().id, school_id=school.id, number=number,
                                    language="ky", seats=25))
        db.session.commit()
        return ky_sets(school)
    return found


def world_child(place):
    return db.session.scalars(select(Application).where(Application.number == marker(place, "Number"))).one()


def placed_in(application):
    return db.session.scalar(select(ClassAssignment.class_set_id)
                             .where(ClassAssignment.application_id == application.id))


def audit_count():
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def form_then_lock(app, school):
    """Distribute and lock `school`'s Kyrgyz list as its director would (the domain, no HTTP)."""
    campaign = current_campaign()
    ky_sets(school)
    director = db.session.scalars(select(StaffUser).where(StaffUser.school_id == school.id,
                                                          StaffUser.role == "director")).first()
    class_lists.distribute(campaign, school.id, "ky", now=IN_WINDOW)
    class_lists.lock(campaign, school.id, director.id if director else None, now=IN_WINDOW)
    db.session.commit()


def documents_came(application):
    mark_received(application, by="school", now=IN_WINDOW)
    db.session.commit()


def test_r15_the_director_distributes_moves_locks_and_issues_the_order(portal, world):
    at(portal, IN_WINDOW)
    client, school, child = client_of(portal, "director"), world["A"], world_child("A")
    page = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert marker("A", "Lastname") in page and "Distribute" in page and "Lock the class list" in page
    response = client.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"})
    assert response.status_code == 302
    first = placed_in(child)
    assert first in {class_set.id for class_set in ky_sets(school)}
    target = next(class_set for class_set in ky_sets(school) if class_set.id != first)
    client.post(f"{PAGE}move/", data={"application_id": child.id, "class_set_id": target.id})
    db.session.expire_all()
    assert placed_in(child) == target.id

    client.post(f"{PAGE}lock/", data={"school_id": school.id})
    assert class_lists.is_locked(current_campaign(), school.id)
    page = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "class-list-locked" in page and "No child can be enrolled now" in page
    assert f'action="{PAGE}distribute/"' not in page and f'action="{PAGE}move/"' not in page

    documents_came(world_child("A"))
    page = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Issue the order" in page and f'action="{PAGE}order/"' in page
    order = {"school_id": school.id, "number": "12-К", "date": "2026-08-28"}
    confirm = client.get(f"{PAGE}order/", query_string=order, headers={"Accept-Language": "en"})
    assert confirm.status_code == 200 and marker("A", "Lastname") in confirm.get_data(as_text=True)
    assert db.session.scalars(select(EnrolmentOrder)).all() == []  # the GET issues nothing
    response = client.post(f"{PAGE}order/", data=order, headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "The order No. 12-К is issued" in response.get_data(as_text=True)
    db.session.expire_all()
    issued = db.session.scalars(select(EnrolmentOrder)).one()
    assert world_child("A").status == "enrolled" and issued.number == "12-К"

    response = client.get(f"{PAGE}order/file/", query_string={"enrolment_order_id": issued.id, "language": "ky",
                                                              "format": "pdf"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(response.data)
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert "БУЙРУК № 12-К" in text and marker("A", "Lastname") in text
    response = client.get(f"{PAGE}order/file/", query_string={"enrolment_order_id": issued.id, "language": "ru",
                                                              "format": "docx"})
    assert response.status_code == 200 and response.data.startswith(b"PK")

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity.in_(
        ("class_assignments", "class_lists", "enrolment_orders", "enrolment_order_entries")),
        AuditEntry.actor != "test:world").order_by(AuditEntry.id)).all()
    director = staff(ROLE_LOGINS["director"])
    assert {entry.actor for entry in entries} == {f"staff:{director.id}"}
    assert {entry.school_id for entry in entries} == {school.id}
    assert [entry.after["number"] for entry in entries if entry.entity == "enrolment_orders"] == ["12-К"]


def test_r15_after_the_lock_the_portal_changes_nothing(portal, world):
    client, school, child = client_of(portal, "director"), world["A"], world_child("A")
    form_then_lock(portal, school)
    before, placed = audit_count(), placed_in(child)
    other = next(class_set for class_set in ky_sets(school) if class_set.id != placed)
    for url, data in ((f"{PAGE}distribute/", {"school_id": school.id, "language": "ky"}),
                      (f"{PAGE}move/", {"application_id": child.id, "class_set_id": other.id}),
                      (f"{PAGE}lock/", {"school_id": school.id})):
        response = client.post(url, data=data, follow_redirects=True, headers={"Accept-Language": "en"})
        assert "nobody can change it any more" in response.get_data(as_text=True)
    db.session.expire_all()
    assert placed_in(child) == placed and audit_count() == before


def test_r15_the_order_needs_a_locked_list_a_number_and_a_date(portal, world):
    at(portal, IN_WINDOW)
    client, school = client_of(portal, "director"), world["A"]
    documents_came(world_child("A"))
    client.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"})
    data = {"school_id": school.id, "number": "1", "date": "2026-08-28"}
    response = client.post(f"{PAGE}order/", data=data, headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "only after the class list is locked" in response.get_data(as_text=True)
    page = client.get(f"{PAGE}order/", query_string=data, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "only after the class list is locked" in page and 'class="confirm-form"' not in page
    form_then_lock(portal, school)
    for bad in ({"number": ""}, {"date": "28.08.2026"}, {"number": "x" * 51}):
        response = client.post(f"{PAGE}order/", data={**data, **bad}, headers={"Accept-Language": "en"},
                               follow_redirects=True)
        assert "Give the order a number" in response.get_data(as_text=True)
    assert db.session.scalars(select(EnrolmentOrder)).all() == []
    assert client.get(f"{PAGE}order/file/", query_string={"enrolment_order_id": "1", "language": "en"}
                      ).status_code in (400, 404)


@pytest.mark.parametrize("role", ["district", "ministry"])
def test_r15_district_and_ministry_read_the_lists_and_change_nothing(portal, world, role):
    school, child = world["A"], world_child("A")
    form_then_lock(portal, world["B"])
    client, before, placed = client_of(portal, role), audit_count(), placed_in(child)
    query = {"school_id": school.id} if role == "district" else {"code": "GB-LEN-039"}
    page = client.get(PAGE, query_string=query, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert marker("A", "Lastname") in page
    assert "Distribute" not in page and "Lock the class list" not in page and "Issue the order" not in page
    assert client.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"}).status_code == 403
    assert client.post(f"{PAGE}lock/", data={"school_id": school.id}).status_code == 403
    assert client.post(f"{PAGE}order/", data={"school_id": world["B"].id, "language": "ky", "number": "1",
                                              "date": "2026-08-28"}).status_code == 403
    set_id = ky_sets(school)[0].id
    assert client.post(f"{PAGE}move/", data={"application_id": child.id, "class_set_id": set_id}).status_code == 403
    assert audit_count() == before and placed_in(child) == placed


def test_r15_the_commission_has_no_class_page(portal, world):
    assert client_of(portal, "commission").get(PAGE).status_code == 403


def test_r15_a_district_chooses_among_its_own_schools_only(portal, world):
    page = client_of(portal, "district").get(PAGE).get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', page)
    assert str(world["A"].id) in options and str(world["B"].id) in options
    assert str(world["O"].id) not in options


@pytest.mark.parametrize("role", ["director", "district", "ministry"])
def test_r15_no_class_url_reaches_another_school(portal, world, role):
    """Every place outside the role's scope has a formed, locked list: its page,
    its children, its class-sets and its order stay out of reach."""
    orders = {}
    for place in ("A", "B", "O"):
        school = world[place]
        campaign = current_campaign()
        ky_sets(school)
        class_lists.distribute(campaign, school.id, "ky", now=IN_WINDOW)
        if place != "A":
            mark_received(world_child(place), by="school", now=IN_WINDOW)
            class_lists.lock(campaign, school.id, None, now=IN_WINDOW)
            orders[place] = enrolment.issue_order(campaign, school, number=f"{place}-1", order_date=IN_WINDOW.date(),
                                                  staff_id=None, now=IN_WINDOW)
    db.session.commit()
    client = client_of(portal, role)
    probe = Probe(client, role)
    own_set = ky_sets(world["A"])[-1]
    for place in FOREIGN_PLACES[role]:
        school, child = world[place], world_child(place)
        probe.expect_refused("GET", PAGE, query_string={"school_id": school.id})
        # In lower case: the language links repeat the URL, which is no leak; the view reads codes in any case.
        probe("GET", PAGE, query_string={"code": school.code.lower()})
        for url, data in ((f"{PAGE}distribute/", {"school_id": school.id, "language": "ky"}),
                          (f"{PAGE}lock/", {"school_id": school.id}),
                          (f"{PAGE}move/", {"application_id": child.id, "class_set_id": own_set.id}),
                          (f"{PAGE}move/", {"application_id": world_child("A").id,
                                            "class_set_id": ky_sets(school)[0].id}),
                          (f"{PAGE}order/", {"school_id": school.id, "number": "1", "date": "2026-08-28"}),
                          (f"{PAGE}reopen/", {"school_id": school.id, "reason": "probe"})):
            for method in ("GET", "POST"):
                if url.endswith("move/") and method == "GET":
                    continue
                response = probe(method, url, **({"data": data} if method == "POST" else {"query_string": data}))
                assert response.status_code in (403, 404), (method, url, data, response.status_code)
        for language in ("ky", "ru"):
            response = probe("GET", f"{PAGE}order/file/", query_string={
                "enrolment_order_id": orders[place].id, "language": language, "format": "pdf"})
            assert response.status_code == 404
        assert class_lists.is_locked(current_campaign(), school.id)
    assert not probe.leaks, "\n".join(probe.leaks)


def test_r15_every_class_post_needs_its_csrf_token(portal, world):
    portal.config["WTF_CSRF_ENABLED"] = True
    try:
        client = portal.test_client()
        login = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', login).group(1)
        client.post("/admin/login", data={"email": ROLE_LOGINS["director"], "password": PASSWORD,
                                          "csrf_token": token})
        data, before = {"school_id": world["A"].id, "language": "ky"}, audit_count()
        assert client.post(f"{PAGE}distribute/", data=data).status_code == 400
        assert client.post(f"{PAGE}lock/", data={"school_id": world["A"].id}).status_code == 400
        assert audit_count() == before
        page = client.get(PAGE).get_data(as_text=True)
        token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)
        assert client.post(f"{PAGE}distribute/", data={**data, "csrf_token": token}).status_code == 302
        assert audit_count() > before  # distributed (and recorded)
    finally:
        portal.config["WTF_CSRF_ENABLED"] = False


# --- confirmation pages (issue #16) and reopening (issue #14) ---------------------------------
CONFIRMATIONS = {
    # url: (query, the title in ky, in ru)
    "distribute/": ({"language": "ky"}, "Балдарды бөлүштүрөсүзбү?", "Распределить детей?"),
    "lock/": ({}, "Класстар тизмесин бекитесизби?", "Зафиксировать список классов?"),
    "order/": ({"number": "7", "date": "2026-08-28"}, "кабыл алуу жөнүндө буйрукту чыгарасызбы?",
               "Издать приказ о зачислении № 7 от 28.08.2026?"),
}


@pytest.mark.parametrize("url", sorted(CONFIRMATIONS))
def test_16_each_irreversible_action_asks_first_in_ky_and_ru_and_a_get_does_nothing(portal, world, url):
    at(portal, IN_WINDOW)
    school, child = world["A"], world_child("A")
    ky_sets(school)
    documents_came(child)
    client = client_of(portal, "director")
    client.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"})
    if url == "order/":
        client.post(f"{PAGE}lock/", data={"school_id": school.id})
    before, placed, locked = audit_count(), placed_in(child), class_lists.is_locked(current_campaign(), school.id)
    query, ky_title, ru_title = CONFIRMATIONS[url]
    for language, title in (("ky", ky_title), ("ru", ru_title)):
        response = client.get(f"{PAGE}{url}", query_string={"school_id": school.id, **query},
                              headers={"Accept-Language": language})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and title in page
        assert f'<form method="post" action="{PAGE}{url}"' in page and 'name="csrf_token"' in page
        assert re.search(r'<li>[^<]*\d', page), "the page says how many children"
    db.session.expire_all()
    assert audit_count() == before and placed_in(child) == placed
    assert class_lists.is_locked(current_campaign(), school.id) == locked
    assert db.session.scalars(select(EnrolmentOrder)).all() == []
    # The class page links to each confirmation by a plain GET form, not a POST.
    page = client.get(PAGE, query_string={"school_id": school.id}).get_data(as_text=True)
    assert f'<form method="get" action="{PAGE}{url}"' in page


def test_16_distribute_says_the_hand_moves_are_undone(portal, world):
    at(portal, IN_WINDOW)
    school, child = world["A"], world_child("A")
    sets = ky_sets(school)
    client = client_of(portal, "director")
    client.post(f"{PAGE}move/", data={"application_id": child.id, "class_set_id": sets[-1].id})
    page = client.get(f"{PAGE}distribute/", query_string={"school_id": school.id, "language": "ky"},
                      headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Ручные перемещения отменяются: 1 детей" in page


@pytest.mark.parametrize("moment, allowed", [
    (datetime(2026, 8, 3, 17, 30, tzinfo=timezone.utc), False),  # 23:30 on 3 August in Bishkek
    (datetime(2026, 8, 3, 18, 30, tzinfo=timezone.utc), True),  # 00:30 on 4 August in Bishkek, UTC still the 3rd
])
def test_r15_the_portal_locks_only_once_the_documents_window_has_opened_in_bishkek(portal, world, moment, allowed):
    at(portal, moment)
    school = world["A"]
    ky_sets(school)
    client = client_of(portal, "director")
    client.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"})
    page = client.get(f"{PAGE}lock/", query_string={"school_id": school.id},
                      headers={"Accept-Language": "ky"}).get_data(as_text=True)
    assert ('class="confirm-form"' in page) == allowed
    response = client.post(f"{PAGE}lock/", data={"school_id": school.id}, headers={"Accept-Language": "ru"},
                           follow_redirects=True)
    assert class_lists.is_locked(current_campaign(), school.id) == allowed
    if not allowed:
        assert "только после начала приёма документов (с 04.08.2026)" in response.get_data(as_text=True)


def test_r15_the_district_reopens_with_a_reason_and_a_supplementary_order_enrols_a_late_child(portal, world):
    at(portal, IN_WINDOW)
    school, child = world["A"], world_child("A")
    documents_came(child)
    form_then_lock(portal, school)
    director = client_of(portal, "director")
    director.post(f"{PAGE}order/", data={"school_id": school.id, "number": "3", "date": "2026-08-20"})
    # A child admitted by the commission after the lock, documents received.
    late = Application(number="LATE-1", campaign=current_campaign(), applicant=child.applicant, school=school,
                       language="ky", stage=2, status="admitted_by_commission", is_active=True, queue_no=901,
                       child_pin="29999999999999", child_last_name="Кечигүү", child_first_name="Айпери",
                       child_sex="F", child_birth_date=child.child_birth_date)
    db.session.add(late)
    db.session.commit()
    documents_came(late)

    district = client_of(portal, "district")
    page = district.get(PAGE, query_string={"school_id": school.id}, headers={"Accept-Language": "ky"})
    assert "Класстар тизмесин кайра ачуу" in page.get_data(as_text=True)
    confirm = district.get(f"{PAGE}reopen/", query_string={"school_id": school.id}, headers={"Accept-Language": "ru"})
    assert "Открыть список классов заново?" in confirm.get_data(as_text=True) and 'name="reason"' in \
        confirm.get_data(as_text=True)
    assert class_lists.is_locked(current_campaign(), school.id)
    response = district.post(f"{PAGE}reopen/", data={"school_id": school.id, "reason": " "},
                             headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "Write the reason" in response.get_data(as_text=True)
    assert director.post(f"{PAGE}reopen/", data={"school_id": school.id, "reason": "mine"}).status_code == 403
    assert class_lists.is_locked(current_campaign(), school.id)
    district.post(f"{PAGE}reopen/", data={"school_id": school.id, "reason": "A child admitted by the commission"})
    db.session.expire_all()
    assert not class_lists.is_locked(current_campaign(), school.id)
    reopening = db.session.scalars(select(ClassListReopening)).one()
    district_user = staff(ROLE_LOGINS["district"])
    assert reopening.reopened_by_id == district_user.id and reopening.reason == "A child admitted by the commission"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "class_list_reopenings")).one()
    assert entry.actor == f"staff:{district_user.id}" and entry.after["reason"] == reopening.reason

    director.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"})
    director.post(f"{PAGE}lock/", data={"school_id": school.id})
    page = director.get(f"{PAGE}order/", query_string={"school_id": school.id, "number": "3-д",
                                                       "date": "2026-09-02"},
                        headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Издать дополнительный приказ о зачислении № 3-д" in page and "Кечигүү" in page
    director.post(f"{PAGE}order/", data={"school_id": school.id, "number": "3-д", "date": "2026-09-02"})
    db.session.expire_all()
    orders = db.session.scalars(select(EnrolmentOrder).order_by(EnrolmentOrder.sequence)).all()
    assert [(order.number, [entry.application_id for entry in order.entries if entry.enrolled])
            for order in orders] == [("3", [child.id]), ("3-д", [late.id])]
    assert db.session.get(Application, late.id).status == "enrolled"


@pytest.mark.parametrize("role", ["director", "ministry"])
def test_r15_only_districts_and_the_ministry_reopen(portal, world, role):
    at(portal, IN_WINDOW)
    form_then_lock(portal, world["A"])
    client = client_of(portal, role)
    response = client.post(f"{PAGE}reopen/", data={"school_id": world["A"].id, "reason": "because"})
    assert response.status_code == (403 if role == "director" else 302)
    assert class_lists.is_locked(current_campaign(), world["A"].id) == (role == "director")
