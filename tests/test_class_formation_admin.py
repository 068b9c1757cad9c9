"""The class formation page of the staff portal (admin/classes.py, R15): the
director distributes, moves, locks and prints the order; a district and the
ministry read; the commission has no such page; no id of another school
reaches anything; every POST needs its CSRF token; every change is audited."""
import re

import pypdfium2
import pytest
from sqlalchemy import func, select

from portal.admission import class_lists
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import Application, AuditEntry, ClassAssignment, ClassSet, StaffUser
from tests.test_admin_fixtures import (  # noqa: F401  (fixtures)
    PASSWORD,
    ROLE_LOGINS,
    marker,
    portal,
    sign_in,
    staff,
    world,
)
from tests.test_admin_scope import FOREIGN_PLACES, Probe

PAGE = "/admin/classes/"


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
    class_lists.distribute(campaign, school.id, "ky", now=campaign.stage1_opens)
    class_lists.lock(campaign, school.id, director.id if director else None, now=campaign.stage1_opens)
    db.session.commit()


def test_r15_the_director_distributes_moves_locks_and_prints_the_order(portal, world):
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
    assert "class-list-locked" in page and "Print the order" in page
    assert f'action="{PAGE}distribute/"' not in page and f'action="{PAGE}move/"' not in page

    response = client.post(f"{PAGE}order/", data={"school_id": school.id, "language": "ky", "number": "12-К",
                                                  "date": "2026-08-28", "format": "pdf"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pypdfium2.PdfDocument(response.data)
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert "БУЙРУК № 12-К" in text and marker("A", "Lastname") in text
    response = client.post(f"{PAGE}order/", data={"school_id": school.id, "language": "ru", "number": "12-К",
                                                  "date": "2026-08-28", "format": "docx"})
    assert response.status_code == 200 and response.data.startswith(b"PK")

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity.in_(
        ("class_assignments", "class_lists", "enrolment_order")), AuditEntry.actor != "test:world")
        .order_by(AuditEntry.id)).all()
    director = staff(ROLE_LOGINS["director"])
    assert {entry.actor for entry in entries} == {f"staff:{director.id}"}
    assert {entry.school_id for entry in entries} == {school.id}
    assert [entry.after["format"] for entry in entries if entry.entity == "enrolment_order"] == ["pdf", "docx"]


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
    client, school = client_of(portal, "director"), world["A"]
    client.post(f"{PAGE}distribute/", data={"school_id": school.id, "language": "ky"})
    data = {"school_id": school.id, "language": "ky", "number": "1", "date": "2026-08-28", "format": "pdf"}
    response = client.post(f"{PAGE}order/", data=data, headers={"Accept-Language": "en"}, follow_redirects=True)
    assert response.mimetype == "text/html" and "only after the class list is locked" in response.get_data(as_text=True)
    form_then_lock(portal, school)
    response = client.post(f"{PAGE}order/", data={**data, "number": ""}, headers={"Accept-Language": "en"},
                           follow_redirects=True)
    assert "Give the order a number and a date." in response.get_data(as_text=True)
    assert client.post(f"{PAGE}order/", data={**data, "language": "en"}).status_code == 400


@pytest.mark.parametrize("role", ["district", "ministry"])
def test_r15_district_and_ministry_read_the_lists_and_change_nothing(portal, world, role):
    school, child = world["A"], world_child("A")
    form_then_lock(portal, world["B"])
    client, before, placed = client_of(portal, role), audit_count(), placed_in(child)
    query = {"school_id": school.id} if role == "district" else {"code": "GB-LEN-039"}
    page = client.get(PAGE, query_string=query, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert marker("A", "Lastname") in page
    assert "Distribute" not in page and "Lock the class list" not in page and "Print the order" not in page
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
    for place in ("A", "B", "O"):
        school = world[place]
        campaign = current_campaign()
        ky_sets(school)
        class_lists.distribute(campaign, school.id, "ky", now=campaign.stage1_opens)
        if place != "A":
            class_lists.lock(campaign, school.id, None, now=campaign.stage1_opens)
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
                          (f"{PAGE}order/", {"school_id": school.id, "language": "ky", "number": "1",
                                             "date": "2026-08-28", "format": "pdf"})):
            response = probe("POST", url, data=data)
            assert response.status_code in (403, 404), (url, data, response.status_code)
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
