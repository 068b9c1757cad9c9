"""The operations view: the ministry sees the outbox and the queues and retries
what failed; nobody else opens it."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, OutboxMessage
from portal.notifications import enqueue
from tests.staff import ROLE_LOGINS, STAFF, sign_in
from tests.jobs_support import free_port


def _client(app, email):
    client = app.test_client()
    client.get("/lang/en")
    sign_in(client, email)
    return client


def _failed_message(app):
    """A message whose every attempt found no SMTP server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=1)
    message_id = enqueue(template="application_cancelled", recipient="parent.one@example.kg", locale="ky",
                         context={"number": "2026-GB-7KQ4-M2XD"}, key="cancelled:1")
    db.session.commit()
    app.config.update(MAIL_SERVER=None, OUTBOX_MAX_ATTEMPTS=5)
    return message_id


@pytest.mark.parametrize("role", ["director", "district", "commission"])
def test_only_the_ministry_opens_operations(portal, role):
    assert _client(portal, ROLE_LOGINS[role]).get("/admin/operations/").status_code == 403
    assert portal.test_client().get("/admin/operations/").status_code == 302  # to the sign-in page


def test_the_ministry_sees_a_failed_message_masked_and_retries_it(portal):
    message_id = _failed_message(portal)
    client = _client(portal, STAFF["ministry"])
    page = client.get("/admin/operations/").get_data(as_text=True)
    assert 'class="count-failed">1<' in page and "pa***@example.kg" in page
    assert "parent.one@example.kg" not in page and "ConnectionRefusedError" in page
    assert "REDIS_URL is not set" in page

    response = client.post("/admin/operations/retry-messages", data={"all_failed": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert (message.state, message.attempts) == ("sent", 1)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "outbox_messages")).one()
    assert entry.after == {"ids": [message_id]} and entry.actor.startswith("staff:")


def test_the_ministry_sees_the_queues_and_puts_a_failed_job_back(redis_app, portal):
    from rq.results import Result

    from portal.jobs import queues, tasks

    queue = queues.queue("periodic")
    job = queue.enqueue(tasks.ping, "x", job_id=queues.job_id("test", "failing"))
    queue.remove(job)  # as a worker would have failed it:
    job.set_status("failed")
    Result.create_failure(job, ttl=600, exc_string="Traceback ...\nValueError: boom")
    queue.failed_job_registry.add(job, exc_string="Traceback ...\nValueError: boom")
    client = _client(portal, STAFF["ministry"])
    page = client.get("/admin/operations/").get_data(as_text=True)
    assert queue.name in page and "ValueError: boom" in page and "portal.jobs.tasks.ping" in page

    client.post("/admin/operations/retry-jobs", data={"job_id": job.id})
    assert queue.count == 1 and queue.failed_job_registry.count == 0
    assert db.session.scalars(select(AuditEntry.entity).where(AuditEntry.note == "retry")).all() == ["rq_jobs"]
