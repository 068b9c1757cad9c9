"""`flask --app wsgi deadlines run` and `run_deadlines(now)`: R5, R11 and R16
carried out when due, idempotent, safe at once, audited as the system."""
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from portal.admission import appeals, campaigns, commission, documents_window, registration
from portal.extensions import db
from portal.jobs.deadlines import run_deadlines
from portal.models import (
    Application,
    AuditEntry,
    OutboxMessage,
    School,
    SchoolQuota,
    SeatPool,
)
from tests.scenario import SCENARIO, STAGE1, at, load_sample, release_without_documents
from tests.builders import SECRET, create_applicant

BISHKEK = timezone(timedelta(hours=6))
RACE = SCENARIO["race"]
AFTER_WINDOW = datetime(2026, 9, 6, 10, 0, tzinfo=BISHKEK)  # the window ended on 5 September


@pytest.fixture
def sample(app):
    app.extensions["sent_mail"] = []
    load_sample()
    school = db.session.scalars(select(School).where(School.code == RACE["school_code"])).one()
    school.participates = True  # the race school is private and opts in (§31)
    db.session.commit()
    return app


def _fill_the_race_school(*, without_documents):
    """Take every seat of the race school; all but `without_documents` bring their documents."""
    applications = []
    for family in RACE["families"][:RACE["seats"]]:
        applicant = create_applicant(pin=family["parent_pin"], email=f"{family['parent_pin']}@example.kg")
        db.session.add(applicant)
        db.session.flush()
        applications.append(registration.register(applicant, family["child_pin"], RACE["school_code"],
                                                   RACE["language"], now=STAGE1, secret=SECRET))
    for application in applications[without_documents:]:
        documents_window.mark_received(application, by="school", now=STAGE1)
    numbers = [a.number for a in applications[:without_documents]]
    db.session.commit()
    return numbers


def _pool():
    return db.session.scalars(select(SeatPool).join(School).where(School.code == RACE["school_code"],
                                                                  SeatPool.language == RACE["language"])).one()


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _released(count):  # the command speaks the default language (Kyrgyz)
    return gettext("R11 seats released (documents not submitted): %(count)s", count=count)


def _deadlines_run(app):
    result = app.test_cli_runner().invoke(args=["deadlines", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def test_r11_deadlines_run_releases_exactly_the_seats_without_documents_once(sample):
    release_without_documents()  # a campaign with the 2024 policy
    missing = _fill_the_race_school(without_documents=3)
    assert _pool().taken == RACE["seats"]
    at(sample, AFTER_WINDOW)
    mailed_before = len(sample.extensions["sent_mail"])

    output = _deadlines_run(sample)
    assert _released(3) in output
    statuses = dict(db.session.execute(select(Application.number, Application.status)).all())
    assert sorted(n for n, s in statuses.items() if s == "documents_missing") == sorted(missing)
    assert list(statuses.values()).count("documents_received") == RACE["seats"] - 3
    assert _pool().taken == RACE["seats"] - 3  # the seats are free again
    # The parents were told, each once, and the mail went out.
    told = db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.template == "documents_missing")).all()
    parents = {c.address for a in db.session.scalars(select(Application).where(Application.number.in_(missing))) for c in a.applicant.active_contacts}
    assert sorted(told) == sorted(parents)
    # (The same run confirms the sample's draft quotas, March's deadline having passed,
    # and tells districts of those below the Kyrgyz floor: not the parents' mail.)
    staff = set(db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.template == "quota_below_state_language_floor")))
    assert sorted(m["To"] for m in sample.extensions["sent_mail"][mailed_before:] if m["To"] not in staff) \
        == sorted(parents)
    # Done by the system: history says so, the audit trail names the command.
    events = db.session.scalars(select(Application).where(Application.number == missing[0])).one().history
    assert (events[-1].status, events[-1].by) == ("documents_missing", "system")
    actors = set(db.session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "applications",
                                                                   AuditEntry.action == "update")))
    assert "command:deadlines run" in actors

    before = (_count(OutboxMessage), _count(AuditEntry), _pool().taken, len(sample.extensions["sent_mail"]))
    output = _deadlines_run(sample)
    assert _released(0) in output
    assert (_count(OutboxMessage), _count(AuditEntry), _pool().taken, len(sample.extensions["sent_mail"])) == before


def test_r11_a_released_seat_goes_to_the_next_child_within_the_quota(sample):
    release_without_documents()  # a campaign with the 2024 policy
    _fill_the_race_school(without_documents=1)
    at(sample, AFTER_WINDOW)
    _deadlines_run(sample)
    person = SCENARIO["too_old"]
    district_id = db.session.scalars(select(School.district_id).where(School.code == RACE["school_code"])).one()
    decision = commission.record_decision(
        campaigns.current_campaign(), district_id=district_id, number="КДД-1", decided_on=date(2026, 9, 6),
        child=commission.ChildRecord(pin=person["child_pin"]),
        applicant=commission.NamedApplicant(name="Parent", role="parent", pin=person["parent_pin"],
                                            phone="+996555123456"),
        school_code=RACE["school_code"], language=RACE["language"], grounds="§9", now=AFTER_WINDOW, secret=SECRET)
    db.session.commit()
    assert decision.application.over_quota is False and _pool().taken == RACE["seats"]


def test_r11_reminders_wait_for_the_daytime_and_go_once(sample):
    _fill_the_race_school(without_documents=2)
    campaign = campaigns.current_campaign()
    night = datetime(2026, 8, 29, 2, 0, tzinfo=BISHKEK)  # 7 days before the window ends
    assert campaign.documents_until - night.date() == timedelta(days=7)
    report = run_deadlines(night)
    assert (report.reminders, report.notices_waiting) == (0, True)
    assert run_deadlines(night.replace(hour=9)).reminders == 2
    assert run_deadlines(night.replace(hour=15)).reminders == 0
    assert _count(OutboxMessage, OutboxMessage.template == "documents_reminder") == 2


def test_r5_directors_are_reminded_then_drafts_are_confirmed_once(sample):
    campaign = campaigns.current_campaign()
    drafts = _count(SchoolQuota, SchoolQuota.state == "draft")
    assert drafts > 0
    five_days_before = datetime(2026, 3, 22, 10, 0, tzinfo=BISHKEK)  # the deadline: Friday 27 March
    report = run_deadlines(five_days_before)
    assert report.quotas_confirmed == 0 and report.staff_notices > 0
    notices = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "quota_deadline_coming")).all()
    assert {n.recipient for n in notices} >= {SCENARIO["staff"]["director_a"]}
    assert all(n.context["days_left"] == 5 for n in notices)
    assert run_deadlines(five_days_before + timedelta(hours=3)).staff_notices == 0

    after = datetime(2026, 3, 28, 0, 10, tzinfo=BISHKEK)
    assert run_deadlines(after).quotas_confirmed == drafts
    assert _count(SchoolQuota, SchoolQuota.state == "confirmed_automatically") == drafts
    assert run_deadlines(after).quotas_confirmed == 0
    assert campaign.setting("quota_deadline_notice_days") == [5, 1]


def test_r5_a_quota_confirmed_automatically_below_the_kyrgyz_floor_is_told_to_its_district(sample):
    """§11, §19: GB-PER-081 has one 4th grade and three 1st grades in Kyrgyz: R4
    computes one class-set while last year's intake had three in Kyrgyz. Nobody
    confirmed it: the deadline confirms it as computed, and its district hears of
    it in the daytime, once."""
    after = datetime(2026, 3, 28, 0, 10, tzinfo=BISHKEK)
    report = run_deadlines(after)
    assert report.quotas_confirmed > 0 and report.quotas_below_state_language_floor >= 1
    assert report.notices_waiting
    quota = db.session.scalars(select(SchoolQuota).join(School).where(School.code == "GB-PER-081")).one()
    assert (quota.state, quota.min_state_language_class_sets) == ("confirmed_automatically", 3)
    assert _count(OutboxMessage, OutboxMessage.template == "quota_below_state_language_floor") == 0

    report = run_deadlines(after.replace(hour=9))
    notices = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "quota_below_state_language_floor")).all()
    told = {(n.recipient, n.context["school_code"]) for n in notices}
    assert ("district.gb-per@example.kg", "GB-PER-081") in told
    assert all(recipient.startswith("district.") for recipient, _code in told)
    assert not any(recipient == SCENARIO["staff"]["district_a"] for recipient, _code in told)  # none short in GB-LEN
    [notice] = [n for n in notices if n.context["school_code"] == "GB-PER-081"]
    assert (notice.context["kyrgyz"], notice.context["minimum"]) == (1, 3)
    assert run_deadlines(after.replace(hour=15)).staff_notices == 0


def test_r16_overdue_appeals_are_escalated_once_and_their_district_told(sample):
    applicant = create_applicant(pin=SCENARIO["stage1_parent"]["parent_pin"], email="p@example.kg")
    db.session.add(applicant)
    db.session.flush()
    district_id = db.session.scalars(select(School.district_id).where(School.code == "GB-LEN-039")).one()
    filed = datetime(2026, 4, 6, 12, 0, tzinfo=BISHKEK)  # a Monday: due Friday 23:59 (7 April is a day off)
    appeal = appeals.file_appeal(campaigns.current_campaign(), applicant, district_id=district_id,
                                 text="Please check the address.", now=filed)
    db.session.commit()
    friday_night = datetime(2026, 4, 11, 0, 5, tzinfo=BISHKEK)  # the night after the due day
    report = run_deadlines(friday_night)
    assert (report.appeals_escalated, report.staff_notices, report.notices_waiting) == (1, 0, True)
    assert db.session.get(type(appeal), appeal.id).status == "escalated"
    morning = friday_night.replace(hour=8)
    report = run_deadlines(morning)
    # One notice of the appeal (the rest: districts told of quotas the March deadline confirmed below §11's floor).
    floor_notices = _count(OutboxMessage, OutboxMessage.template == "quota_below_state_language_floor")
    assert (report.appeals_escalated, report.staff_notices) == (0, 1 + floor_notices)
    [notice] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "appeals_due")).all()
    assert notice.recipient == SCENARIO["staff"]["district_a"] and notice.context == {"due_today": 0, "overdue": 1}
    assert run_deadlines(morning.replace(hour=14)).staff_notices == 0


def test_two_deadline_runs_at_once_release_each_seat_and_tell_each_parent_once(sample, database_url):
    release_without_documents()  # a campaign with the 2024 policy
    missing = _fill_the_race_school(without_documents=4)
    db.session.remove()
    barrier, reports = threading.Barrier(2), []

    def run():
        with sample.app_context():
            barrier.wait(timeout=30)
            reports.append(run_deadlines(AFTER_WINDOW))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.seats_released for r in reports) in ([0, 4], [1, 3], [2, 2])  # SKIP LOCKED shares the work
    assert sum(r.seats_released for r in reports) == 4
    assert _count(Application, Application.status == "documents_missing") == 4
    assert _count(OutboxMessage, OutboxMessage.template == "documents_missing") == len(missing)


def test_without_redis_the_worker_command_delivers_in_its_own_process(app):
    from portal.notifications import enqueue

    app.extensions["sent_mail"] = []
    app.config["OUTBOX_DELIVER_INLINE"] = False  # requests leave the mail to the worker
    enqueue(template="application_cancelled", recipient="p@example.kg", locale="ky",
            context={"number": "2026-GB-7KQ4-M2XD"}, key="k")
    db.session.commit()
    assert app.extensions["sent_mail"] == []
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(app.extensions["sent_mail"]) == 1
    assert db.session.scalars(select(OutboxMessage.state)).all() == ["sent"]


def test_the_embedded_default_runs_the_periodic_jobs_in_process_when_due(sample):
    """No Redis: `run_due_jobs` (the demo's background thread) does what the
    worker's schedule does: the deadlines and the audit seal when their slot has
    come, nothing before."""
    from portal.jobs.worker import run_due_jobs
    from portal.models import SchoolQuota

    now = datetime.now(timezone.utc)
    due = {}
    assert run_due_jobs(sample, due, now) == []  # the first call only sets the slots
    assert set(due) == {"deadlines", "audit-seal", "retention", "upload-sweep"} and min(due.values()) > now
    at(sample, datetime(2026, 4, 2, 10, 0, tzinfo=timezone.utc))  # after the quota deadline
    due["deadlines"] = due["audit-seal"] = now - timedelta(seconds=1)
    assert sorted(run_due_jobs(sample, due, now)) == ["audit-seal", "deadlines"]
    assert "draft" not in set(db.session.scalars(select(SchoolQuota.state)))
    assert due["deadlines"] > now  # and the next slot is set
