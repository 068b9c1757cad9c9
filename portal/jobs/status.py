"""What the operations view shows: the outbox by state, the messages not yet
delivered, and RQ's queues, workers and failed jobs; and retrying them."""
from dataclasses import dataclass, field

from redis.exceptions import RedisError
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import queues
from portal.models import OutboxMessage

FAILED_JOBS_SHOWN = 50


def outbox_counts():
    counts = dict(db.session.execute(
        select(OutboxMessage.state, func.count(OutboxMessage.id)).group_by(OutboxMessage.state)).all())
    return {state: counts.get(state, 0) for state in ("pending", "queued", "failed", "sent")}


def undelivered(limit=100):
    """The messages not sent: failed first, then the oldest waiting."""
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.state != "sent")
        .order_by((OutboxMessage.state == "failed").desc(), OutboxMessage.created_at)
        .limit(limit)
    ).all()


def mask_recipient(recipient):
    """Enough to tell messages apart, not enough to learn an address or number."""
    name, at, domain = recipient.partition("@")
    if at:
        return f"{name[:2]}***@{domain}"
    return f"{recipient[:4]}***{recipient[-3:]}"


@dataclass
class QueueState:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int


@dataclass
class FailedJob:
    id: str
    func_name: str
    ended_at: object
    error: str


def _failed_job(job):
    result = job.latest_result()
    text = (result.exc_string if result is not None and result.exc_string else "") or ""
    lines = text.strip().splitlines()
    return FailedJob(job.id, job.func_name, job.ended_at, lines[-1] if lines else "")


@dataclass
class RqState:
    configured: bool
    error: str | None = None
    queues: list = field(default_factory=list)
    workers: list = field(default_factory=list)
    failed_jobs: list = field(default_factory=list)


def rq_state():
    if not queues.redis_url():
        return RqState(configured=False)
    try:
        state = RqState(configured=True)
        for queue in queues.all_queues():
            state.queues.append(QueueState(
                name=queue.name, queued=queue.count, started=queue.started_job_registry.count,
                scheduled=queue.scheduled_job_registry.count, failed=queue.failed_job_registry.count))
            ids = queue.failed_job_registry.get_job_ids(0, FAILED_JOBS_SHOWN - 1, desc=True)
            state.failed_jobs += [_failed_job(job) for job in Job.fetch_many(ids, connection=queue.connection) if job]
        names = {queue.name for queue in queues.all_queues()}
        state.workers = [w for w in Worker.all(connection=queues.connection())
                         if names & set(w.queue_names())]
        return state
    except RedisError as error:
        return RqState(configured=True, error=type(error).__name__)


def retry_failed_jobs(job_ids):
    """Put failed jobs back in their queue; returns how many were (none without
    Redis, or while it cannot be reached: the page says so)."""
    if not queues.redis_url():
        return 0
    retried = 0
    try:
        for queue in queues.all_queues():
            registry = FailedJobRegistry(queue=queue)
            for job_id in set(job_ids) & set(registry.get_job_ids()):
                registry.requeue(job_id)
                retried += 1
    except RedisError:
        pass
    return retried
