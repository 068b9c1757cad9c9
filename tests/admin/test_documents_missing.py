"""R11 (2026) on the staff side: after the documents window the directors see the
children whose documents did not come, within their scope, and release a seat
per child with a reason the parent reads; nothing is released by itself."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Application, OutboxMessage
from tests.scenario import SCENARIO, STAGE1, at, register
from tests.scenario import sign_in as parent_signs_in
from tests.staff import STAFF, sign_in

BISHKEK = timezone(timedelta(hours=6))
AFTER_WINDOW = datetime(2026, 9, 7, 10, 0, tzinfo=BISHKEK)
INSIDE_WINDOW = datetime(2026, 9, 1, 10, 0, tzinfo=BISHKEK)


@pytest.fixture
def registered(portal, client):
    at(portal, STAGE1)
    person = SCENARIO["stage1_parent"]
    headers = parent_signs_in(client, portal, person["parent_pin"])
    response = register(client, headers, person["child_pin"], person["school_code"])
    assert response.status_code == 201, response.json
    return db.session.scalars(select(Application).where(Application.number == response.json["number"])).one()


def _staff(app, email):
    client = app.test_client()
    client.get("/lang/en")
    sign_in(client, email)
    return client


def test_r11_the_list_shows_the_schools_children_without_documents_after_the_window_only(portal, registered):
    at(portal, INSIDE_WINDOW)
    director = _staff(portal, STAFF["director_a"])
    assert "None: the window is still open" in director.get("/admin/documents_missing/").get_data(as_text=True)
    at(portal, AFTER_WINDOW)
    director = _staff(portal, STAFF["director_a"])  # a staff session lasts a day at most
    page = director.get("/admin/documents_missing/").get_data(as_text=True)
    assert registered.number in page and "Decide" in page
    # Another school's director and another district see nothing of it.
    assert registered.number not in _staff(portal, STAFF["director_b"]).get("/admin/documents_missing/").get_data(
        as_text=True)
    assert registered.number not in _staff(portal, STAFF["other_district"]).get("/admin/documents_missing/").get_data(
        as_text=True)
    assert registered.number in _staff(portal, STAFF["district_a"]).get("/admin/documents_missing/").get_data(
        as_text=True)


def test_r11_the_director_releases_one_seat_with_a_reason_the_parent_reads(portal, registered):
    at(portal, AFTER_WINDOW)
    director = _staff(portal, STAFF["director_a"])
    details = director.get(f"/admin/application/details/?id={registered.id}").get_data(as_text=True)
    assert "Release the seat" in details
    director.post("/admin/application/release-missing-documents/", data={"confirmed": "1", "id": registered.id, "reason": " "})
    db.session.expire_all()
    assert db.session.get(Application, registered.id).status == "registered"  # a reason is needed
    director.post("/admin/application/release-missing-documents/",
                  data={"confirmed": "1", "id": registered.id, "reason": "The family has not answered three calls."})
    db.session.expire_all()
    application = db.session.get(Application, registered.id)
    assert application.status == "documents_missing" and not application.is_active
    assert application.history[-1].note == "The family has not answered three calls."
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "documents_missing")).all()
    assert told and told[0].context["reason"] == "The family has not answered three calls."


def test_r11_only_the_schools_director_may_release(portal, registered):
    at(portal, AFTER_WINDOW)
    for email in (STAFF["district_a"], STAFF["ministry"]):
        district_or_ministry = _staff(portal, email)
        assert registered.number in district_or_ministry.get("/admin/documents_missing/").get_data(as_text=True)
        district_or_ministry.post("/admin/application/release-missing-documents/",
                                  data={"confirmed": "1", "id": registered.id, "reason": "no"})
    response = _staff(portal, STAFF["director_b"]).post("/admin/application/release-missing-documents/",
                                                        data={"confirmed": "1", "id": registered.id, "reason": "no"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Application, registered.id).status == "registered"
