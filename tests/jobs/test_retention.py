"""Personal data lifecycle: a campaign past its retention period is anonymised,
its statistics stay the same, the audit chain still verifies, and a campaign
still within retention is left alone."""
import io
import os
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import func, select, text

from portal import audit_chain, retention
from portal.admission.appeals import file_appeal
from portal.admission.commission import ChildRecord, NamedApplicant, record_decision
from portal.extensions import db
from portal.models import (
    Appeal,
    Applicant,
    Application,
    AuditEntry,
    Campaign,
    CommissionDecision,
    Document,
    OutboxMessage,
    RegistryPerson,
    School,
    SeatPool,
    SignInCode,
    utcnow,
)
from tests import builders
from tests.public_form import PDF
from tests.scenario import SCENARIO, at, register, sign_in
from tests.builders import SECRET

# 2026-2027: documents until 5 September 2026, kept 3 × 365 days (the default):
# 4 September 2029, 2028 being a leap year; anonymised from 5 September, 00:00.
BISHKEK = timezone(timedelta(hours=6))
STILL_KEPT = datetime(2029, 9, 4, 23, 59, tzinfo=BISHKEK)
PAST_RETENTION = datetime(2029, 9, 5, 0, 1, tzinfo=BISHKEK)
# The tables the registry stand-in fills from the sample data are the state
# registry's copy, not ours to erase (docs/security.md).
REGISTRY_TABLES = ("registry_persons", "registry_links", "teachers")
OUR_TABLES = ("applicants", "applications", "application_events", "documents", "commission_decisions",
              "appeals", "sign_in_codes", "api_tokens", "outbox_messages")


def _language(school_code):
    return db.session.scalars(
        select(SeatPool.language).join(School).where(School.code == school_code, SeatPool.seats > 0)
    ).first()


def _upload(client, headers, child_pin, school, language, **extra):
    return client.post(
        "/api/v1/applications",
        data={"child_pin": child_pin, "school_code": school, "language": language,
              "document": (io.BytesIO(PDF), "act.pdf"), **extra},
        headers=headers, content_type="multipart/form-data",
    )


@pytest.fixture
def campaign_with_families(sample, client):
    """Applications of every kind, a proof upload, an act, a commission decision, an appeal."""
    parent = SCENARIO["stage1_parent"]
    headers = sign_in(client, sample, parent["parent_pin"])
    registered = register(client, headers, parent["child_pin"], parent["school_code"],
                          _language(parent["school_code"]))
    assert registered.status_code == 201, registered.json

    twins = SCENARIO["twins"]
    twin_headers = sign_in(client, sample, twins["parent_pin"])
    for pin in twins["child_pins"]:
        assert register(client, twin_headers, pin, twins["school_code"],
                        _language(twins["school_code"])).status_code == 201

    teacher = SCENARIO["teacher"]
    teacher_headers = sign_in(client, sample, teacher["parent_pin"])
    response = _upload(client, teacher_headers, teacher["child_pin"], teacher["school_code"],
                       _language(teacher["school_code"]), category="teacher")
    assert response.status_code == 201, response.json

    guardian = SCENARIO["guardian"]
    guardian_headers = sign_in(client, sample, guardian["parent_pin"])
    response = _upload(client, guardian_headers, guardian["child_pins"][0], guardian["school_code"],
                       _language(guardian["school_code"]))
    assert response.status_code == 201, response.json

    canceller = SCENARIO["canceller"]
    canceller_headers = sign_in(client, sample, canceller["parent_pin"])
    number = register(client, canceller_headers, canceller["child_pin"], canceller["school_code"],
                      _language(canceller["school_code"])).json["number"]
    assert client.post(f"/api/v1/applications/{number}/cancel", headers=canceller_headers).status_code == 200

    campaign = db.session.scalars(select(Campaign)).one()
    school = db.session.scalars(select(School).where(School.code == parent["school_code"])).one()
    too_old = SCENARIO["too_old"]
    # The applicant the commission names, by the surname the registry gives the parent (erased with the rest).
    too_old_names = {db.session.get(RegistryPerson, too_old["parent_pin"]).last_name}
    now = sample.config["FROZEN_NOW"]
    record_decision(campaign, district_id=school.district_id, number="KDD-17", decided_on=date(2026, 4, 1),
                    child=ChildRecord(pin=too_old["child_pin"]),
                    applicant=NamedApplicant(name=next(iter(too_old_names)), role="parent",
                                             pin=too_old["parent_pin"], email=f"{too_old['parent_pin']}@example.kg"),
                    school_code=school.code, language=_language(school.code),
                    grounds="Ребенок жил за границей до 2026 года", now=now, secret=SECRET)
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == parent["parent_pin"])).one()
    appeal = file_appeal(campaign, applicant, district_id=None, now=now,
                         text="Менин балам Усенов Темирлан, дарегибиз туура эмес",
                         application_number=registered.json["number"])
    appeal.answer = "Дарек оңдолду"
    db.session.commit()
    campaign_id = campaign.id
    # pytest-flask keeps one request context around the test: forget the last
    # API request's actor, as a real command (no request) would.
    g.pop("audit_actor", None)
    # Years later every entry is long sealed (the worker seals every quarter hour).
    audit_chain.seal(now=utcnow() + timedelta(minutes=10))
    db.session.commit()
    pins = {parent["parent_pin"], parent["child_pin"], twins["parent_pin"], *twins["child_pins"],
            teacher["parent_pin"], teacher["child_pin"], guardian["parent_pin"], guardian["child_pins"][0],
            canceller["parent_pin"], canceller["child_pin"], too_old["parent_pin"], too_old["child_pin"]}
    names = set()
    for person in db.session.scalars(select(RegistryPerson).where(RegistryPerson.pin.in_(pins))):
        names.add(f"{person.last_name}")
    return {"campaign_id": campaign_id, "pins": pins, "emails": {f"{pin}@example.kg" for pin in pins},
            "names": names, "texts": {"Ребенок жил за границей", "Усенов Темирлан", "Дарек оңдолду"}}


def statistics():
    """What the ministry's reports count, per application."""
    rows = db.session.execute(select(
        Application.campaign_id, Application.school_id, Application.language, Application.stage,
        Application.category, Application.child_sex, Application.status, Application.over_quota,
        Application.is_active, Application.child_birth_date,
    )).all()
    per_application = Counter(row[:-1] + (row.child_birth_date.year,) for row in rows)
    return {
        "applications": per_application,
        "documents": Counter(db.session.execute(
            select(Document.kind, Document.content_type, Document.size_bytes, Document.verification)).all()),
        "decisions": db.session.scalar(select(func.count(CommissionDecision.id))),
        "appeals": Counter(db.session.scalars(select(Appeal.status)).all()),
        "applicants": db.session.scalar(select(func.count(Applicant.id))),
    }


def personal_data_left(found):
    """Every value of our tables, and of the audit trail outside the registry's copy, that
    still holds one of the known PINs, e-mails, surnames or texts."""
    needles = found["pins"] | found["emails"] | found["names"] | found["texts"]
    hits = []
    conn = db.session.connection()  # SQLite: a second connection would wait for the session's lock
    for table in OUR_TABLES:
        for row in conn.execute(text(f"SELECT * FROM {table}")):
            hits += [(table, needle) for needle in needles if needle in str(tuple(row))]
    entries = conn.execute(
        text("SELECT id, entity, before, after, note FROM audit_entries WHERE entity NOT IN "
             f"({', '.join(repr(name) for name in REGISTRY_TABLES)})")
    )
    for row in entries:
        hits += [("audit_entries", row.entity, needle) for needle in needles if needle in str(tuple(row))]
    return hits


def uploaded_files(app):
    folder = app.config["UPLOAD_FOLDER"]
    return [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]


def test_a_campaign_past_retention_is_anonymised_and_its_statistics_kept(campaign_with_families, sample):
    before = statistics()
    assert personal_data_left(campaign_with_families)  # the probe finds what is there
    assert len(uploaded_files(sample)) == 2
    entries_before = db.session.scalar(select(func.count(AuditEntry.id)))

    at(sample, PAST_RETENTION)
    result = sample.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "2026-2027" in result.output

    db.session.expire_all()
    assert statistics() == before
    left = personal_data_left(campaign_with_families)
    assert left == [], left
    assert uploaded_files(sample) == []
    assert not db.session.scalars(select(SignInCode)).all()
    assert all(message.recipient == "" and message.context == {}
               for message in db.session.scalars(select(OutboxMessage)))
    births = {application.child_birth_date for application in db.session.scalars(select(Application))}
    assert all(day.month == 1 and day.day == 1 for day in births)
    # One entry for the whole run, with its counts; no row snapshots of what was erased.
    new_entries = db.session.scalars(select(AuditEntry).where(AuditEntry.id > 0).order_by(AuditEntry.id)
                                     .offset(entries_before)).all()
    assert [(entry.action, entry.entity) for entry in new_entries] == [("command", "retention")]
    counts = new_entries[0].after
    assert counts["applications"] == 7 and counts["documents"] == 2 and counts["document_files"] == 2
    assert counts["commission_decisions"] == 1 and counts["appeals"] == 1 and counts["audit_payloads_erased"] > 0
    assert new_entries[0].actor == "command:retention run"
    # The trail still verifies; the erased entries are reported as erased.
    verdict = audit_chain.verify()
    assert verdict.intact and verdict.erased == counts["audit_payloads_erased"]


def test_retention_runs_once_and_a_rerun_changes_nothing(campaign_with_families, sample):
    at(sample, PAST_RETENTION)
    runner = sample.test_cli_runner()
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    db.session.expire_all()
    after_first = statistics(), db.session.scalar(select(func.count(AuditEntry.id)))
    second = runner.invoke(args=["retention", "run"])
    assert second.exit_code == 0 and "2026-2027" not in second.output
    db.session.expire_all()
    assert (statistics(), db.session.scalar(select(func.count(AuditEntry.id)))) == after_first
    # Even the domain function, called on a campaign already done, finds nothing.
    assert retention.run(now=PAST_RETENTION).campaigns == []


def test_the_worker_runs_retention_daily_as_a_job(campaign_with_families, sample, monkeypatch):
    from portal.jobs import schedule, tasks

    retention_job = next(p for p in schedule.periodic_jobs(sample) if p.name == "retention")
    assert schedule.next_slot(retention_job, datetime(2029, 1, 1, 12, tzinfo=timezone.utc)) == datetime(
        2029, 1, 1, 21, 40, tzinfo=timezone.utc)  # 03:40 Bishkek
    at(sample, PAST_RETENTION)
    db.session.remove()
    # No Redis here: the jobs' re-scheduling of themselves is tested on the real worker.
    monkeypatch.setattr(tasks, "ensure_schedules", lambda *args, **kwargs: [])
    assert tasks.retention()["campaigns"] == ["2026-2027"]
    db.session.expire_all()
    assert personal_data_left(campaign_with_families) == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "retention")).one()
    assert entry.actor == "job:retention"


def test_a_dry_run_prints_the_counts_and_changes_nothing(campaign_with_families, sample):
    at(sample, PAST_RETENTION)
    result = sample.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0 and "2026-2027" in result.output
    db.session.expire_all()
    assert len(uploaded_files(sample)) == 2
    assert {"pin" for found in personal_data_left(campaign_with_families) if found[0] == "applications"}
    campaign = db.session.get(Campaign, campaign_with_families["campaign_id"])
    assert campaign.personal_data_erased_at is None
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "retention")).all()


def test_nothing_is_erased_before_the_retention_period_ends(campaign_with_families, sample):
    before = personal_data_left(campaign_with_families)
    at(sample, STILL_KEPT)
    assert sample.test_cli_runner().invoke(args=["retention", "run"]).exit_code == 0
    db.session.expire_all()
    assert personal_data_left(campaign_with_families) == before


def test_the_retention_period_is_the_campaigns_setting(campaign_with_families, sample):
    campaign = db.session.get(Campaign, campaign_with_families["campaign_id"])
    campaign.policy = {**(campaign.policy or {}), "retention_days": 30}
    db.session.commit()
    at(sample, datetime(2026, 10, 6, 0, 1, tzinfo=BISHKEK))
    assert sample.test_cli_runner().invoke(args=["retention", "run"]).exit_code == 0
    db.session.expire_all()
    assert personal_data_left(campaign_with_families) == []


def test_an_applicant_with_a_later_campaign_keeps_their_pin(campaign_with_families, sample):
    parent = SCENARIO["stage1_parent"]
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == parent["parent_pin"])).one()
    later = builders.create_campaign(year="2027-2028", now=datetime(2027, 3, 1, tzinfo=timezone.utc))
    builders.create_application(campaign=later, applicant=applicant, child_pin="21111202101234")
    db.session.commit()
    applicant_id, later_id = applicant.id, later.id
    at(sample, PAST_RETENTION)
    assert sample.test_cli_runner().invoke(args=["retention", "run"]).exit_code == 0
    db.session.expire_all()
    kept = db.session.get(Applicant, applicant_id)
    assert kept.pin == parent["parent_pin"] and kept.anonymised_at is None
    later_application = db.session.scalars(
        select(Application).where(Application.campaign_id == later_id)).one()
    assert later_application.child_pin == "21111202101234"
    old = db.session.scalars(select(Application).where(Application.applicant_id == applicant_id,
                                                       Application.campaign_id != later_id)).one()
    assert old.child_pin == retention.placeholder("A", old.id) and old.child_last_name == ""
