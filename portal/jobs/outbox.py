"""The outbox relay: from an `OutboxMessage` row to a sent e-mail or SMS.

States: `pending` (written, or waiting for its retry), `queued` (RQ has it, as
far as the sweep knows; `next_attempt_at` is then the end of its lease),
`sent`, `failed` (OUTBOX_MAX_ATTEMPTS sends failed; the operations view can
retry it).

- After a commit, the new ids are handed to RQ, one job per message with an id
  derived from the message id (a second hand-over of the same message is a
  no-op); with OUTBOX_HAND_OVER_AFTER_COMMIT=0 the sweep does it instead, so
  a request never waits on Redis. Without REDIS_URL the same `deliver` runs
  in-process.
- `deliver` locks the row and checks its state before sending, so a message is
  sent once however many jobs carry it; a failed send is retried with backoff.
- `sweep` (every OUTBOX_SWEEP_SECONDS on the worker, and at once when a
  worker starts) hands over what never reached Redis (it was down), retries
  whose backoff has passed, and messages whose job was lost with a killed
  worker: any unsent message whose row nobody holds locked and whose job is
  not waiting in RQ.
"""
import logging
import time
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from portal import mail, sms
from portal.extensions import db
from portal.jobs import queues
from portal.models import OutboxMessage, utcnow
from portal.notifications import render, scrub

log = logging.getLogger(__name__)
UNSENT = ("pending", "queued")
IN_LINE = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
# A message job keeps no result; a failed one stays a week for the operations view.
JOB_OPTIONS = {"result_ttl": 0, "failure_ttl": 7 * 24 * 3600, "timeout": 120}
SWEEP_BATCH = 500
REDIS_RETRY_SECONDS = 10


def relay(app, ids):
    """After a commit: hand the new messages to RQ, or deliver them in-process."""
    if queues.redis_url(app):
        if app.config.get("OUTBOX_HAND_OVER_AFTER_COMMIT", True):
            hand_over(ids, app=app)
        # else the worker's next sweep hands them over, in batches
    elif app.config.get("OUTBOX_DELIVER_INLINE", True):
        # The committing session cannot run SQL inside its own after_commit; a
        # session of its own also works the same in a request, a command or a test.
        with Session(bind=db.engine) as session:
            deliver_pending(session=session)


def message_job_id(message_id, app=None):
    return queues.job_id("outbox", message_id, app=app)


def _enqueue_deliveries(ids, app=None):
    for message_id in ids:
        queues.enqueue_unique("deliver_message", message_id, id_=message_job_id(message_id, app),
                              app=app, **JOB_OPTIONS)


def hand_over(ids, *, app=None):
    """Give RQ one delivery job per message; False when Redis cannot be reached
    (the messages stay in the outbox for the sweep, nothing is lost).

    After a failure this process stops trying for REDIS_RETRY_SECONDS, so that
    requests do not each wait for a dead Redis's timeout during an outage.
    """
    app = app or current_app._get_current_object()
    url = queues.redis_url(app)
    down_url, down_until = app.extensions.get("rq_down", (None, 0))
    if down_url == url and time.monotonic() < down_until:
        return False
    try:
        _enqueue_deliveries(ids, app)
    except RedisError as error:
        app.extensions["rq_down"] = (url, time.monotonic() + REDIS_RETRY_SECONDS)
        log.warning("outbox: Redis unreachable (%s); %d message(s) wait for the sweep",
                    type(error).__name__, len(ids))
        return False
    return True


def _backoff(attempts):
    base = current_app.config.get("OUTBOX_RETRY_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _send(message):
    subject, body = render(message)
    if message.channel == "sms":
        sms.send(message.recipient, body, key=message.idempotency_key)
    else:
        mail.send(message.recipient, subject, body, key=message.idempotency_key)


def deliver(message_id, session=None, *, now=None):
    """Send one message if it is still due; safe to call any number of times.

    The row stays locked while sending, so a second job carrying the same
    message waits and then finds it sent.
    """
    session = session or db.session
    now = now or utcnow()
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    ).first()
    if message is None or message.state not in UNSENT or (
        message.state == "pending" and message.next_attempt_at > now
    ):
        session.rollback()
        return False
    message.attempts += 1
    try:
        _send(message)
    except Exception as error:  # noqa: BLE001 - any failure is retried later
        # Servers often repeat the address in their answer; the error is shown, the address is not.
        message.last_error = f"{type(error).__name__}: {error}".replace(message.recipient, "<recipient>")[:500]
        if message.attempts >= current_app.config.get("OUTBOX_MAX_ATTEMPTS", 5):
            message.state = "failed"
            log.error("outbox: message %s failed for good after %d attempts (%s)",
                      message.id, message.attempts, type(error).__name__)
        else:
            message.state, message.next_attempt_at = "pending", now + _backoff(message.attempts)
        session.commit()
        return False
    message.state, message.sent_at, message.last_error = "sent", utcnow(), None
    scrub(message)
    session.commit()
    return True


def _due(now):
    return (OutboxMessage.state.in_(UNSENT), OutboxMessage.next_attempt_at <= now)


def deliver_pending(limit=100, session=None, *, now=None):
    """The in-process relay: deliver what is due (embedded default)."""
    session = session or db.session
    now = now or utcnow()
    ids = session.scalars(
        select(OutboxMessage.id).where(*_due(now)).order_by(OutboxMessage.id).limit(limit)
    ).all()
    session.rollback()  # end the read: on SQLite it holds the write lock
    return sum(1 for message_id in ids if deliver(message_id, session, now=now))


def _jobs(ids, redis):
    job_ids = [message_job_id(message_id) for message_id in ids]
    return dict(zip(ids, Job.fetch_many(job_ids, connection=redis)))


def sweep(*, now=None, session=None, every_queued=False):
    """Hand over again every unsent message that is due, not being sent now
    (rows being delivered are locked: SKIP LOCKED passes them), and whose job
    is not waiting in RQ; a message whose job waits only gets a new lease.

    `every_queued` ignores the leases: a worker that starts runs it, as the
    jobs a dead worker had are exactly the queued messages nobody is sending.
    Returns how many messages were handed over.
    """
    session = session or db.session
    now = now or utcnow()
    redis = queues.connection()
    lease = now + timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 300))
    queued_due = OutboxMessage.state == "queued"
    if not every_queued:
        queued_due = queued_due & (OutboxMessage.next_attempt_at <= now)
    due = ((OutboxMessage.state == "pending") & (OutboxMessage.next_attempt_at <= now)) | queued_due
    handed_total, last_id = 0, 0
    for _ in range(20):  # at most 20 batches a run; the next run goes on
        rows = session.execute(
            select(OutboxMessage.id).where(due, OutboxMessage.id > last_id)
            .order_by(OutboxMessage.id).limit(SWEEP_BATCH).with_for_update(skip_locked=True)
        ).scalars().all()
        if not rows:
            break
        try:
            jobs = _jobs(rows, redis)
            handed = []
            for message_id in rows:
                job = jobs.get(message_id)
                if job is not None and job.get_status(refresh=False) in IN_LINE:
                    continue  # RQ has it in line: only the lease is set below
                if job is not None:
                    job.delete()  # failed, finished, or started by a worker that died
                handed.append(message_id)
            _enqueue_deliveries(handed)
        except RedisError as error:
            session.rollback()
            log.warning("outbox sweep: Redis unreachable (%s)", type(error).__name__)
            break
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(rows))
            .values(state="queued", next_attempt_at=lease)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        handed_total, last_id = handed_total + len(handed), rows[-1]
        if len(rows) < SWEEP_BATCH:
            break
    return handed_total


def retry(ids, session=None):
    """The operations view's retry: failed or stuck messages start over, and
    are delivered after the caller's commit (handed over, or in-process)."""
    session = session or db.session
    ids = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.state != "sent")
        .values(state="pending", attempts=0, next_attempt_at=utcnow())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.info.setdefault("outbox_ids", []).extend(ids)
    return ids


# --- the hand-over after a commit ----------------------------------------------
# `notifications.enqueue` notes the new ids in the session; once the transaction
# is committed they are relayed. Registered once by the app factory.

def _after_commit(session):
    ids = session.info.pop("outbox_ids", None)
    if not ids:
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return  # no application: the sweep or the next relay picks them up
    try:
        relay(app, ids)
    except Exception:  # noqa: BLE001 - the change is committed; the sweep delivers later
        log.exception("outbox: relay after commit failed; %d message(s) wait for the sweep", len(ids))


def _after_rollback(session):
    session.info.pop("outbox_ids", None)  # those rows no longer exist


def install_relay():
    """Relay every committed session's new outbox messages (idempotent)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
