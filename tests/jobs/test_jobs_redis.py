"""The outbox and the jobs on a REAL RQ worker (`flask --app wsgi worker` in a
subprocess) against the real Redis, the test's own database and a local SMTP
server. Skipped without REDIS_URL; .ci/run's second pass makes a skip a failure."""
import os
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from portal.admission import campaigns, registration
from portal.extensions import db
from portal.jobs import queues, schedule, tasks
from portal.models import Appeal, Applicant, AuditEntry, OutboxMessage, School
from portal.notifications import render
from tests.scenario import SCENARIO, STAGE1, at, load_sample
from tests.builders import SECRET, create_applicant
from tests.jobs_support import free_port, require_redis, wait_for

RACE = SCENARIO["race"]


def _race_families(app, count):
    """`count` families of the sample data's race school, signed in (the school opted in, §31)."""
    load_sample()
    school = db.session.scalars(select(School).where(School.code == RACE["school_code"])).one()
    school.participates = True
    families = RACE["families"][:count]
    for family in families:
        db.session.add(create_applicant(pin=family["parent_pin"], email=f"{family['parent_pin']}@example.kg"))
    db.session.commit()
    at(app, STAGE1)
    return families


def _register(family):
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == family["parent_pin"])).one()
    number = registration.register(applicant, family["child_pin"], RACE["school_code"], RACE["language"],
                                   now=STAGE1, secret=SECRET).number
    db.session.commit()  # the relay hands the message over after this commit
    return number


def _messages(template=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    rows = db.session.scalars(query).all()
    db.session.close()  # read, then let go (close keeps the rows loaded): on SQLite a transaction holds the write lock
    return rows


def test_a_registration_through_the_api_mails_exactly_one_message_via_the_worker(redis_app, smtp_inbox):
    app = redis_app
    load_sample()
    at(app, STAGE1)
    person, email = SCENARIO["stage1_parent"], "parent.ru@example.kg"
    app.start_worker()
    client = app.test_client()
    russian = {"Accept-Language": "ru"}

    assert client.post("/api/v1/auth/start", json={"pin": person["parent_pin"], "email": email,
                                                   "id_document": person["parent_id_document"]},
                       headers=russian).status_code == 202
    code_mail = wait_for(lambda: smtp_inbox.to(email), what="the sign-in code at the SMTP server")[0]
    code = re.search(r"\b(\d{6})\b", code_mail.get_content()).group(1)
    token = client.post("/api/v1/auth/verify", json={"pin": person["parent_pin"], "code": code},
                        headers=russian).json["token"]
    response = client.post("/api/v1/applications", headers={**russian, "Authorization": f"Bearer {token}"},
                           json={"child_pin": person["child_pin"], "school_code": person["school_code"],
                                 "language": "ky"})
    assert response.status_code == 201, response.json
    number = response.json["number"]
    # The request shared the test's session; on SQLite its open read holds the write lock.
    db.session.close()

    wait_for(lambda: len(smtp_inbox.to(email)) == 2, what="the registration mail at the SMTP server")
    time.sleep(4)  # longer than a lease and several sweeps: nothing is sent twice
    received = [m for m in smtp_inbox.to(email) if number in m["Subject"]]
    assert len(received) == 1 and len(smtp_inbox.messages) == 2
    [message] = _messages("application_registered")
    assert (message.state, message.attempts, message.locale) == ("sent", 1, "ru")
    subject, body = render(message)
    assert received[0]["Subject"] == subject and number in received[0].get_content()
    [sign_in] = _messages("sign_in_code")
    assert sign_in.state == "sent" and sign_in.context["code"] == "***"  # the code is not kept


def test_registrations_while_redis_is_down_lose_no_message(redis_app, smtp_inbox):
    app = redis_app
    families = _race_families(app, 5)
    app.start_worker()  # works on the real Redis all along
    real_redis = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # the web side's Redis is down

    numbers = [_register(family) for family in families[:4]]  # every commit succeeds
    assert len(numbers) == 4
    assert all(m.state == "pending" for m in _messages())

    app.config["REDIS_URL"] = real_redis  # Redis is back for the web side too
    numbers.append(_register(families[4]))
    wait_for(lambda: any(numbers[4] in m["Subject"] for m in smtp_inbox.messages), what="the mail handed over")
    wait_for(lambda: len(smtp_inbox.messages) == 5, timeout=60, what="all five mails (the sweep)")
    time.sleep(4)
    assert sorted(m["To"] for m in smtp_inbox.messages) == sorted(f"{f['parent_pin']}@example.kg" for f in families)
    assert all(any(n in m["Subject"] for m in smtp_inbox.messages) for n in numbers)
    assert [(m.state, m.attempts) for m in _messages()] == [("sent", 1)] * 5


def test_without_hand_over_after_commit_requests_leave_redis_alone_and_the_sweep_sends(redis_app, smtp_inbox):
    app = redis_app
    app.config["OUTBOX_HAND_OVER_AFTER_COMMIT"] = False  # opening day: requests never touch Redis
    families = _race_families(app, 3)
    numbers = [_register(family) for family in families]
    redis = Redis.from_url(app.config["REDIS_URL"])
    assert [key for key in redis.scan_iter(match=f"*{app.config['RQ_NAMESPACE']}*")] == []
    assert all(m.state == "pending" for m in _messages())
    app.start_worker()  # sweeps at start and every OUTBOX_SWEEP_SECONDS
    wait_for(lambda: len(smtp_inbox.messages) == 3, timeout=60, what="the three mails (the sweep)")
    time.sleep(2)
    assert sorted(n for n in numbers if any(n in m["Subject"] for m in smtp_inbox.messages)) == sorted(numbers)
    assert [(m.state, m.attempts) for m in _messages()] == [("sent", 1)] * 3


def test_a_worker_without_fork_sends_each_message_once(redis_app, smtp_inbox):
    app = redis_app
    families = _race_families(app, 4)
    app.start_worker("--no-fork")
    numbers = [_register(family) for family in families]
    wait_for(lambda: len(smtp_inbox.messages) == 4, timeout=60, what="the four mails")
    time.sleep(3)  # longer than a lease and several sweeps: nothing is sent twice
    assert sorted(n for n in numbers if any(n in m["Subject"] for m in smtp_inbox.messages)) == sorted(numbers)
    assert len(smtp_inbox.messages) == 4
    assert [(m.state, m.attempts) for m in _messages()] == [("sent", 1)] * 4


def test_a_worker_killed_mid_send_leads_to_a_retry_and_one_mail(redis_app, smtp_inbox):
    app = redis_app
    [family] = _race_families(app, 1)
    recipient = f"{family['parent_pin']}@example.kg"
    smtp_inbox.hold.set()  # the first delivery will stop at RCPT
    first = app.start_worker()
    number = _register(family)
    wait_for(smtp_inbox.held.is_set, what="the worker to be mid-send")
    first.kill()  # SIGKILL: the worker and its work horse
    smtp_inbox.hold.clear()
    assert smtp_inbox.messages == []
    [message] = _messages()
    assert message.state in ("pending", "queued") and message.attempts == 0  # its transaction died with it

    app.start_worker()
    wait_for(lambda: smtp_inbox.to(recipient), timeout=60, what="the retried mail")
    time.sleep(4)
    assert len(smtp_inbox.messages) == 1 and number in smtp_inbox.messages[0]["Subject"]
    [message] = _messages()
    assert (message.state, message.attempts) == ("sent", 1)


def test_a_work_horse_killed_mid_send_is_retried_by_the_sweep(redis_app, smtp_inbox):
    app = redis_app
    [family] = _race_families(app, 1)
    smtp_inbox.hold.set()
    worker = app.start_worker()
    number = _register(family)
    wait_for(smtp_inbox.held.is_set, what="the work horse to be mid-send")
    worker.kill_work_horse()  # the worker lives on and marks the job failed
    smtp_inbox.hold.clear()
    # The periodic sweep finds the job failed once the lease ends, and hands the message over again.
    wait_for(lambda: smtp_inbox.messages, timeout=60, what="the retried mail")
    time.sleep(4)
    assert len(smtp_inbox.messages) == 1 and number in smtp_inbox.messages[0]["Subject"]
    [message] = _messages()
    assert (message.state, message.attempts) == ("sent", 1)
    assert "Work-horse terminated unexpectedly" in worker.output()


def test_the_deadlines_job_runs_on_the_worker_audited_as_the_job(redis_app, smtp_inbox):
    app = redis_app
    load_sample()
    applicant = create_applicant(pin=SCENARIO["stage1_parent"]["parent_pin"], email="appellant@example.kg")
    db.session.add(applicant)
    db.session.flush()
    district_id = db.session.scalars(select(School.district_id).where(School.code == "GB-LEN-039")).one()
    campaign = campaigns.current_campaign()
    now = datetime.now(timezone.utc)
    appeal = Appeal(campaign_id=campaign.id, district_id=district_id, applicant_id=applicant.id, text="?",
                    status="open", created_at=now - timedelta(days=9), due_at=now - timedelta(days=2))
    db.session.add(appeal)
    db.session.commit()
    appeal_id = appeal.id
    app.start_worker()
    queues.enqueue_unique("deadlines", id_=queues.job_id("test", "deadlines"))

    def finished():  # the job's last step records what it did
        done = db.session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "deadlines")).all()
        db.session.close()
        return done

    assert wait_for(finished, what="the deadlines job") == ["job:deadlines"]
    assert db.session.get(Appeal, appeal_id).status == "escalated"
    actors = db.session.scalars(
        select(AuditEntry.actor).where(AuditEntry.entity == "appeals", AuditEntry.action == "update")
    ).all()
    db.session.close()
    assert actors == ["job:deadlines"]


def test_scheduling_the_periodic_jobs_twice_adds_nothing(redis_app):
    at_ = datetime(2026, 9, 5, 18, 2, 30, tzinfo=timezone.utc)  # 00:02:30 Bishkek
    added = schedule.ensure_schedules(now=at_)
    assert [name for name, _ in added] == ["outbox-sweep", "deadlines", "audit-seal", "retention",
                                           "upload-sweep"]
    assert dict(added)["deadlines"] == datetime(2026, 9, 5, 18, 5, tzinfo=timezone.utc)  # 00:05 Bishkek
    assert schedule.ensure_schedules(now=at_) == []
    registry = queues.queue("periodic").scheduled_job_registry
    assert len(registry.get_job_ids()) == 5


def test_the_ci_worker_runs_our_jobs():
    """.ci/run starts `flask --app wsgi worker` before the second pass; it must answer."""
    url = require_redis()
    namespace = os.environ.get("MEKTEP_CI_WORKER_NAMESPACE")
    if not namespace:
        pytest.skip("no long-running CI worker (.ci/run sets MEKTEP_CI_WORKER_NAMESPACE)")
    redis = Redis.from_url(url)
    job = Queue(f"{namespace}-periodic", connection=redis).enqueue(
        tasks.ping, "ci", result_ttl=60, job_id=f"{namespace}_ping_{os.getpid()}")
    wait_for(lambda: job.get_status() == "finished", what="the CI worker to run a job")
    assert job.return_value() == "pong ci"
    job.delete()
    redis.close()
