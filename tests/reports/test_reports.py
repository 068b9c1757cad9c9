"""Report figures (portal/reports): the totals of every scope equal the counts
taken directly from the applications, the rows add up to the total, and the
progress over the days counts what was made and cancelled each day.

`campaign_in_progress` (used by the other test_reports* modules too) drives a
campaign through the domain as it happens: stage 1 with a school filling up,
twins, a teacher's child, a legal representative, a cancellation, a commission
decision, documents received and not submitted, a registration in stage 2 and
one in another region's district.
"""
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.admission import campaigns, cancelling, commission, registration
from portal.admission.documents import store_document
from portal.admission.documents_window import mark_received
from portal.admission.errors import AdmissionError
from portal.admission.status import change_status
from portal.audit import acting_as
from portal.extensions import db
from portal.models import Applicant, Application, District, Region, School, SeatPool
from portal.reports.figures import Figures, build_report, progress
from tests.scenario import SCENARIO, STAGE1, STAGE2, at, load_sample
from tests.builders import SECRET, create_applicant

PDF = b"%PDF-1.4 act of guardianship"


def _school(code):
    return db.session.scalars(select(School).where(School.code == code)).one()


def _applicant(pin):
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == pin)).first()
    if applicant is None:
        applicant = create_applicant(pin=pin, email=f"{pin}@example.kg")
        db.session.add(applicant)
        db.session.flush()
    return applicant


def _language(code):
    return db.session.scalars(select(SeatPool.language).where(
        SeatPool.school_id == _school(code).id, SeatPool.seats > 0).order_by(SeatPool.language)).first()


def campaign_in_progress(app):
    """The sample data and a campaign driven through the domain; returns the campaign."""
    app.extensions["sent_mail"] = []
    load_sample()
    at(app, STAGE1)
    campaign = campaigns.current_campaign()
    race = SCENARIO["race"]
    _school(race["school_code"]).participates = True  # a private school that opted in (§31)
    with acting_as("test:reports"):
        refused = 0
        for family in race["families"][:30]:  # 25 seats: the last five are refused (R3)
            try:
                registration.register(_applicant(family["parent_pin"]), family["child_pin"], race["school_code"],
                                      race["language"], now=STAGE1, secret=SECRET)
            except AdmissionError as error:
                assert error.code == "no_free_seats"
                refused += 1
        assert refused == 5
        twins = SCENARIO["twins"]
        registration.register_together(_applicant(twins["parent_pin"]), twins["child_pins"], twins["school_code"],
                                       _language(twins["school_code"]), now=STAGE1, secret=SECRET)
        teacher = SCENARIO["teacher"]
        registration.register(_applicant(teacher["parent_pin"]), teacher["child_pin"], teacher["school_code"],
                              _language(teacher["school_code"]), now=STAGE1, category="teacher", secret=SECRET)
        guardian = SCENARIO["guardian"]
        act = store_document(io.BytesIO(PDF), filename="act.pdf", owner_pin=guardian["parent_pin"],
                             kind="representative_act")
        registration.register(_applicant(guardian["parent_pin"]), guardian["child_pins"][0], guardian["school_code"],
                              _language(guardian["school_code"]), now=STAGE1, document=act, secret=SECRET)
        first = SCENARIO["stage1_parent"]
        registration.register(_applicant(first["parent_pin"]), first["child_pin"], first["school_code"],
                              _language(first["school_code"]), now=STAGE1, secret=SECRET)
        canceller = SCENARIO["canceller"]
        cancelled = registration.register(_applicant(canceller["parent_pin"]), canceller["child_pin"],
                                          canceller["school_code"], _language(canceller["school_code"]), now=STAGE1, secret=SECRET)
        cancelling.cancel(cancelled.applicant, cancelled.number, now=STAGE1)
        osh = SCENARIO["osh_family"]
        registration.register(_applicant(osh["parent_pin"]), osh["child_pin"], osh["school_code"],
                              _language(osh["school_code"]), now=STAGE1, secret=SECRET)
        too_old = SCENARIO["too_old"]
        school_a = _school(SCENARIO["staff"]["school_a"])
        commission.record_decision(
            campaign, district_id=school_a.district_id, number="KDD-1", decided_on=date(2026, 4, 1),
            child=commission.ChildRecord(pin=too_old["child_pin"]),
            applicant=commission.NamedApplicant(name="Parent", role="parent", pin=too_old["parent_pin"],
                                                phone="+996555123456"),
            school_code=school_a.code, language=_language(school_a.code), grounds="over 8", now=STAGE1, secret=SECRET)
        race_rows = db.session.scalars(select(Application).where(
            Application.school_id == _school(race["school_code"]).id).order_by(Application.queue_no)).all()
        for application in race_rows[:3]:
            mark_received(application, by="school", now=STAGE1)
        change_status(race_rows[3], "documents_missing", by="system", note="R11")
        db.session.commit()
        at(app, STAGE2)
        outside = SCENARIO["outside_parent"]
        registration.register(_applicant(outside["parent_pin"]), outside["child_pin"], outside["not_allowed_school"],
                              _language(outside["not_allowed_school"]), now=STAGE2, secret=SECRET)
        db.session.commit()
    return campaign


@pytest.fixture
def in_progress(app):
    return campaign_in_progress(app)


def counted(applications):
    """The figures of a report, counted one application at a time in Python."""
    active = [a for a in applications if a.is_active]
    return {
        "applications": len(applications),
        "registered": len(active),
        "within_quota": sum(not a.over_quota for a in active),
        "over_quota": sum(a.over_quota for a in active),
        "stage1": sum(a.stage == 1 for a in active),
        "stage2": sum(a.stage == 2 for a in active),
        "normal": sum(a.category is None for a in active),
        "twin": sum(a.category == "twin" for a in active),
        "teacher": sum(a.category == "teacher" for a in active),
        "commission": sum(a.category == "commission" for a in active),
        "other_category": sum(a.category not in (None, "twin", "teacher", "commission") for a in active),
        "representative": sum(a.as_representative for a in active),
        "girls": sum(a.child_sex == "F" for a in active),
        "boys": sum(a.child_sex == "M" for a in active),
        "documents_received": sum(a.status in ("documents_received", "enrolled") for a in applications),
        "documents_awaiting": sum(a.status in ("registered", "admitted_by_commission") for a in applications),
        "documents_missing": sum(a.status == "documents_missing" for a in applications),
        "cancelled": sum(a.status == "cancelled" for a in applications),
        "transferred": sum(a.status == "transferred_to_special_school" for a in applications),
    }


def seats_of(pools):
    return {"seats": sum(p.seats for p in pools), "free": sum(max(p.seats - p.taken, 0) for p in pools)}


def _places():
    region = db.session.scalars(select(Region).where(Region.code == "GB")).one()
    district = db.session.scalars(select(District).where(District.code == SCENARIO["staff"]["district_code_a"])).one()
    return [("nation", None, lambda s: True), ("region", region, lambda s: s.district.region_id == region.id),
            ("district", district, lambda s: s.district_id == district.id),
            ("school", _school(SCENARIO["staff"]["school_a"]), lambda s: s.code == SCENARIO["staff"]["school_a"])]


def test_report_totals_equal_the_counts_of_the_applications_in_every_scope(in_progress):
    applications = db.session.scalars(select(Application)).all()
    pools = db.session.scalars(select(SeatPool)).all()
    for level, place, holds in _places():
        report = build_report(in_progress, level, place)
        mine = [a for a in applications if holds(a.school)]
        expected = counted(mine)
        got = {name: getattr(report.total, name) for name in expected}
        assert got == expected, level
        assert {"seats": report.total.seats, "free": report.total.free} == seats_of(
            [p for p in pools if holds(p.school)]), level
        assert expected["registered"] > 0 and expected["cancelled"] >= (level != "school" and 1 or 0)


def test_the_scenario_reaches_every_figure_nationally(in_progress):
    total = build_report(in_progress, "nation").total
    # 25 race (one released by R11) + 2 twins + teacher + guardian + stage 1 parent + osh + commission
    # + stage 2 = 32 active, and the cancelled and the released ones make 34 applications.
    assert total.registered == 32 and total.applications == 34
    assert (total.twin, total.teacher, total.commission, total.representative) == (1, 1, 1, 1)
    assert (total.stage2, total.cancelled, total.documents_missing, total.documents_received) == (1, 1, 1, 3)
    assert total.within_quota + total.over_quota == total.registered
    assert total.girls + total.boys == total.registered
    assert total.documents_received + total.documents_awaiting == total.registered
    assert total.registered + total.cancelled + total.documents_missing + total.transferred == total.applications


def test_the_rows_add_up_to_the_total_and_each_row_is_its_own_part(in_progress):
    for level, place, _holds in _places():
        report = build_report(in_progress, level, place)
        added = Figures()
        for row in report.rows:
            added.add(row.figures)
        assert added == report.total, level
        for figures in [row.figures for row in report.rows] + [report.total]:
            registered = figures.registered
            assert figures.within_quota + figures.over_quota == registered
            assert figures.stage1 + figures.stage2 == registered
            assert figures.normal + figures.twin + figures.teacher + figures.commission + figures.other_category \
                == registered
            assert figures.girls + figures.boys == registered
            assert figures.documents_received + figures.documents_awaiting == registered
            assert registered + figures.cancelled + figures.documents_missing + figures.transferred \
                == figures.applications
        assert sum(report.total.free_by_language.values()) == report.total.free
    district = build_report(in_progress, "district", _places()[2][1])
    by_code = {row.code: row for row in district.rows}
    race = by_code[SCENARIO["race"]["school_code"]].figures
    assert race.seats == 25 and race.free == 1 and race.within_quota == 24  # one released (R11)
    assert set(by_code) == {"GB-LEN-039", "GB-LEN-041", "GB-LEN-045"}  # the district's schools, no other
    nation = build_report(in_progress, "nation")
    assert [row.code for row in nation.rows] == ["CH", "GB", "GO"]
    assert next(r for r in nation.rows if r.code == "GO").figures.registered == 1


def test_a_schools_report_has_a_row_per_language_with_its_class_sets(in_progress):
    school = _school(SCENARIO["staff"]["school_a"])
    report = build_report(in_progress, "school", school)
    assert report.rows and all(row.key in ("ky", "ru", "uz", "tj", "en") for row in report.rows)
    for row in report.rows:
        assert sum(seats for _number, seats in row.class_sets) == row.figures.seats
        assert row.figures.class_sets == len(row.class_sets)


def test_within_narrows_the_report_to_the_schools_it_allows(in_progress):
    school_a = _school(SCENARIO["staff"]["school_a"])
    narrowed = build_report(in_progress, "nation", within=School.id == school_a.id)
    alone = build_report(in_progress, "school", school_a)
    assert narrowed.total == alone.total and [row.code for row in narrowed.rows] == ["GB"]


def test_progress_counts_each_day_what_was_made_and_cancelled(in_progress):
    applications = db.session.scalars(select(Application).order_by(Application.id)).all()
    bishkek = timezone(timedelta(hours=6))
    # Spread them over three local days; 23:30 local is the previous day in UTC.
    days = [datetime(2026, 4, 1, 10, 0, tzinfo=bishkek), datetime(2026, 4, 2, 23, 30, tzinfo=bishkek),
            datetime(2026, 4, 5, 0, 30, tzinfo=bishkek)]
    for index, application in enumerate(applications):
        application.created_at = days[index % 3]
        for event in application.history:
            event.at = days[index % 3] + timedelta(minutes=10)
    db.session.commit()
    series = progress(in_progress, "nation", today=date(2026, 4, 6))
    by_day = {d.day: d for d in series}
    assert series[0].day == date(2026, 4, 1) and series[-1].day == date(2026, 4, 6)
    assert [by_day[date(2026, 4, n)].new for n in (1, 2, 3, 4, 5, 6)] == [
        sum(1 for i in range(len(applications)) if i % 3 == k) for k in (0, 1)] + [0, 0] + [
        sum(1 for i in range(len(applications)) if i % 3 == 2), 0]
    assert series[-1].cumulative == len(applications)
    cancelled_at = [i for i, a in enumerate(applications) if a.status == "cancelled"]
    assert sum(d.cancelled for d in series) == len(cancelled_at)
    assert by_day[days[cancelled_at[0] % 3].date()].cancelled == 1


def test_the_report_and_the_public_statistics_count_the_same_free_seats(sample):
    """One figure, one function: the seats of a school that does not take part
    (§31) are not free to anyone, in the ministry's report as on the public page."""
    from portal.reports.open_statistics import free_seat_statistics

    campaign = campaigns.current_campaign()
    school = db.session.scalars(select(School).join(SeatPool, SeatPool.school_id == School.id)
                                .where(SeatPool.seats > 0).order_by(School.code)).first()
    school.participates = False
    db.session.commit()
    report = build_report(campaign, "nation")
    public = free_seat_statistics(campaign)
    assert report.total.free == public.nation.total.free
    closed = db.session.scalars(select(SeatPool).where(SeatPool.school_id == school.id)).all()
    assert sum(pool.seats for pool in closed) > 0  # the school has seats, none of them free
