"""Open statistics: GET /api/v1/free-seats kept for a few seconds (a second call
within the time to live does not reach the database, a registration shows once
it has passed), with no personal data; the public statistics page with the
national, regional and district totals, and the district totals on /free-seats."""
import gzip
import re

import pytest
from sqlalchemy import event, select

from portal.admission import registration
from portal.extensions import db
from portal.models import Application, District, School, SeatPool
from portal.reports.open_statistics import TtlCache, free_seat_statistics
from tests.scenario import SCENARIO, STAGE1, at, load_sample
from tests.reports.test_reports import campaign_in_progress
from tests.builders import SECRET, create_applicant

FIRST = SCENARIO["stage1_parent"]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app):
    ticking = Clock()
    app.extensions["open_statistics_cache"] = TtlCache(clock=ticking)
    app.config["OPEN_STATISTICS_TTL"] = 5
    return ticking


@pytest.fixture
def statements(app):
    """The SQL statements sent to the database while the test runs."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def _register_first_parent():
    applicant = create_applicant(pin=FIRST["parent_pin"], email="p@example.kg")
    db.session.add(applicant)
    db.session.flush()
    language = db.session.scalars(select(SeatPool.language).join(School).where(
        School.code == FIRST["school_code"], SeatPool.seats > 0).order_by(SeatPool.language)).first()
    registration.register(applicant, FIRST["child_pin"], FIRST["school_code"], language, now=STAGE1, secret=SECRET)
    db.session.commit()
    return language


def _taken(body, school_code):
    school = next(s for s in body["schools"] if s["code"] == school_code)
    return sum(entry["taken"] for entry in school["languages"])


def test_free_seats_are_kept_for_the_ttl_and_then_show_a_new_registration(app, client, clock, statements):
    app.extensions["sent_mail"] = []
    load_sample()
    at(app, STAGE1)
    first = client.get("/api/v1/free-seats?district=GB-LEN")
    assert first.status_code == 200 and statements, "the first call reads the database"
    assert first.headers["Cache-Control"] == "public, max-age=5" and first.headers["ETag"]
    before = _taken(first.json, FIRST["school_code"])

    statements.clear()
    second = client.get("/api/v1/free-seats?district=GB-LEN")
    assert second.data == first.data and statements == []  # within the TTL: no statement at all

    _register_first_parent()
    clock.now += 4
    statements.clear()
    assert _taken(client.get("/api/v1/free-seats?district=GB-LEN").json, FIRST["school_code"]) == before
    assert statements == []
    clock.now += 2  # past the TTL
    fresh = client.get("/api/v1/free-seats?district=GB-LEN")
    assert statements and _taken(fresh.json, FIRST["school_code"]) == before + 1
    assert fresh.headers["ETag"] != first.headers["ETag"]


def test_each_district_language_and_readers_language_is_kept_apart(app, client, clock, statements):
    load_sample()
    whole = client.get("/api/v1/free-seats").json
    lenin = client.get("/api/v1/free-seats?district=GB-LEN").json
    russian = client.get("/api/v1/free-seats?district=GO-OSH&language=ru").json
    in_ru = client.get("/api/v1/free-seats?district=GB-LEN", headers={"Accept-Language": "ru"}).json
    assert len(whole["schools"]) > len(lenin["schools"]) > 0
    assert {s["district_code"] for s in lenin["schools"]} == {"GB-LEN"}
    assert russian["schools"] and all(entry["language"] == "ru" for s in russian["schools"] for entry in s["languages"])
    assert [t["language"] for t in russian["totals"]] == ["ru"]
    names = {s["code"]: s["name"] for s in in_ru["schools"]}
    assert names["GB-LEN-039"] == "Школа-гимназия №39" != {s["code"]: s["name"] for s in lenin["schools"]}[
        "GB-LEN-039"]
    statements.clear()
    assert client.get("/api/v1/free-seats?district=GO-OSH&language=ru").json == russian and statements == []


def test_the_totals_add_up_the_schools_listed(app, client, clock):
    load_sample()
    body = client.get("/api/v1/free-seats").json
    for total in body["totals"]:
        entries = [e for s in body["schools"] for e in s["languages"] if e["language"] == total["language"]]
        for name in ("seats", "taken", "free"):
            assert total[name] == sum(e[name] for e in entries)
    pools = db.session.scalars(select(SeatPool).join(School).where(
        SeatPool.seats > 0, School.participates.is_(True))).all()
    assert sum(t["free"] for t in body["totals"]) == sum(p.free for p in pools)


def test_a_known_etag_is_answered_304_without_a_body(app, client, clock):
    load_sample()
    first = client.get("/api/v1/free-seats?district=GB-LEN")
    again = client.get("/api/v1/free-seats?district=GB-LEN", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_made_up_keys_are_answered_but_not_kept(app, client, clock, statements):
    load_sample()
    for _ in range(2):
        statements.clear()
        assert client.get("/api/v1/free-seats?district=" + "X" * 40).json["schools"] == []
        assert statements, "not cached: every made-up district is asked again"
    assert client.get("/api/v1/free-seats?language=xx").json["schools"] == []
    assert len(app.extensions["open_statistics_cache"]._entries) == 0


def test_free_seats_hold_no_personal_data(app, client, clock):
    campaign_in_progress(app)
    body = client.get("/api/v1/free-seats").get_data(as_text=True)
    applications = db.session.scalars(select(Application)).all()
    assert applications
    for application in applications:
        for personal in (application.child_pin, application.child_last_name, application.child_first_name,
                         application.number, application.applicant.pin):
            assert personal not in body
    assert not re.search(r"\d{14}", body)
    page = client.get("/statistics").get_data(as_text=True)
    assert not re.search(r"\d{14}", page) and not any(a.child_last_name in page for a in applications)


def test_the_statistics_page_shows_national_regional_and_district_totals(app, client, clock):
    campaign = campaign_in_progress(app)
    client.get("/lang/en")
    response = client.get("/statistics")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "public, max-age=5"
    stats = free_seat_statistics(campaign)
    pools = db.session.scalars(select(SeatPool).join(School).where(
        SeatPool.seats > 0, School.participates.is_(True))).all()
    assert stats.nation.total.free == sum(p.free for p in pools)
    assert stats.nation.total.seats == sum(p.seats for p in pools)
    for region, districts in stats.regions:
        assert region.total.free == sum(d.total.free for d in districts)
    assert f">{stats.nation.total.free}<" in html
    lenin = next(d for _, ds in stats.regions for d in ds if d.code == "GB-LEN")
    assert 'href="/free-seats?district=GB-LEN"' in html and f">{lenin.total.free}<" in html
    assert "<script" not in html


def test_the_statistics_page_is_under_4_kb_with_its_stylesheet(app, client, clock):
    """Printed with -s for docs/reports.md."""
    load_sample()
    css = gzip.compress(client.get("/static/site.css").data, 6)
    for language in ("ky", "ru"):
        client.get(f"/lang/{language}")
        html = gzip.compress(client.get("/statistics").data, 6)
        print(f"\n/statistics {language}: HTML gzip {len(html)} + CSS gzip {len(css)} = {len(html) + len(css)}")
        assert len(html) + len(css) < 4 * 1024


def test_the_district_page_of_free_seats_shows_the_districts_totals(app, client, clock):
    load_sample()
    client.get("/lang/en")
    html = client.get("/free-seats?district=GB-LEN").get_data(as_text=True)
    district = db.session.scalars(select(District).where(District.code == "GB-LEN")).one()
    pools = db.session.scalars(select(SeatPool).join(School).where(
        School.district_id == district.id, SeatPool.seats > 0, School.participates.is_(True))).all()
    footer = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    assert f"<td>{sum(p.free for p in pools)}</td>" in footer and f"<td>{sum(p.seats for p in pools)}</td>" in footer
