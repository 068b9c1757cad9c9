"""The RQ worker that `flask --app wsgi worker` runs, inside the app context.

RQ forks a work horse per job; the horse drops the database connections it
inherited (they belong to the parent) before the job opens its own. The
worker's maintenance, every minute, also schedules the next slot of every
periodic job, so the schedule survives a Redis that lost its data; and a
worker that starts sweeps the outbox at once (docs/jobs.md). Without
REDIS_URL, `run_in_process` does the same work in a plain loop.
"""
import logging
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timezone

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker

from portal import clock
from portal.audit import acting_as
from portal.extensions import db
from portal.jobs import queues
from portal.jobs.schedule import ensure_schedules, next_slot, periodic_jobs

log = logging.getLogger(__name__)
MAINTENANCE_SECONDS = 60
# RQ waits for a job at most worker_ttl - 15 s, and runs maintenance only
# between waits: this keeps maintenance close to its minute on an idle queue.
WORKER_TTL = 75


class _Maintenance:
    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            ensure_schedules()
        except RedisError as error:
            log.warning("worker: could not schedule the periodic jobs (%s)", type(error).__name__)


class MektepWorker(_Maintenance, Worker):
    def main_work_horse(self, job, queue):
        for engine in db.engines.values():
            engine.dispose(close=False)  # the parent's pooled connections are not the horse's
        super().main_work_horse(job, queue)


class MektepSimpleWorker(_Maintenance, SimpleWorker):
    """Every job in the worker's own process: no fork per job, so a message costs
    a few milliseconds instead of the ~60 ms of a fork (opening day drains its
    mail tens of times faster: docs/performance.md). A job that kills the process
    takes the worker with it; its message is handed over again by the sweep."""


def worker_name(app):
    return f"{app.config['RQ_NAMESPACE']}.{socket.gethostname()}.{os.getpid()}"


def run_worker(*, burst=False, name=None, fork=True):
    """Work the periodic and notification queues with RQ's scheduler; returns
    whether any job ran (burst mode ends when the queues are empty). `fork`:
    a work horse per job (RQ's default), else every job in this process."""
    app = current_app._get_current_object()
    # Its own connection without the web side's short read timeout: RQ blocks on BLPOP.
    redis = Redis.from_url(app.config["REDIS_URL"])
    worker = (MektepWorker if fork else MektepSimpleWorker)(
        [queues.queue_name(key) for key in queues.QUEUES],
        connection=redis,
        name=name or worker_name(app),
        maintenance_interval=MAINTENANCE_SECONDS,
        worker_ttl=WORKER_TTL,
    )
    # A worker that starts sweeps at once, past the leases: after a crash, the
    # messages the dead worker had are waiting for exactly this.
    queues.enqueue_unique("sweep_outbox", True, id_=queues.job_id("periodic", "outbox-sweep", "start",
                                                                      uuid.uuid4().hex), result_ttl=0)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def _in_process_work():
    """What the periodic jobs of `schedule.periodic_jobs` do, without RQ (the
    outbox sweep is `deliver_pending`, below): name -> function(now)."""
    from portal import retention
    from portal.admission.documents import sweep_orphans
    from portal.audit_chain import seal
    from portal.jobs.deadlines import run_deadlines

    return {
        "deadlines": run_deadlines,
        "audit-seal": lambda now: seal(now=now),
        "retention": lambda now: retention.run(now=now),
        "upload-sweep": lambda now: sweep_orphans(now=now),
    }


def run_due_jobs(app, due, now):
    """Run every in-process periodic job whose slot `due[name]` has come, each in
    its own app context and as its own actor, then give it its next slot. A job
    that fails is logged and tried again at its next slot; the loop goes on.
    Returns the names run."""
    work, ran = _in_process_work(), []
    for periodic in periodic_jobs(app):
        if periodic.name not in work or now < due.setdefault(periodic.name, next_slot(periodic, now)):
            continue
        with app.app_context(), acting_as(f"job:{periodic.name}"):
            try:
                work[periodic.name](clock.now())
                db.session.commit()
                ran.append(periodic.name)
            except Exception:  # noqa: BLE001 - a periodic job must not end the loop
                db.session.rollback()
                log.exception("in-process job %s failed; it runs again at its next slot", periodic.name)
        due[periodic.name] = next_slot(periodic, datetime.now(timezone.utc))
    return ran


def run_in_process(*, burst=False, app=None):
    """Without Redis (the embedded default, or OUTBOX_DELIVER_INLINE=0 to keep mail
    out of requests): the same work in one process, in a loop: due messages every
    OUTBOX_SWEEP_SECONDS, and the deadlines, the audit trail's seals, retention
    and the upload sweep on their schedules."""
    from portal.jobs.outbox import deliver_pending

    app = app or current_app._get_current_object()
    due = {}
    run_due_jobs(app, due, datetime.now(timezone.utc))  # first slots only: nothing is due yet
    while True:
        with app.app_context():
            try:
                while deliver_pending(limit=500):
                    pass
            except Exception:  # noqa: BLE001 - retried at the next turn
                log.exception("in-process outbox delivery failed")
        if burst:
            return
        run_due_jobs(app, due, datetime.now(timezone.utc))
        time.sleep(app.config["OUTBOX_SWEEP_SECONDS"])


def start_in_process(app):
    """The embedded default's worker: `run_in_process` in a daemon thread of the
    serving process (the demo), so that deadlines, seals and retries happen with
    no Redis and no second command. Returns the thread."""
    thread = threading.Thread(target=run_in_process, kwargs={"app": app}, name="mektep-jobs", daemon=True)
    thread.start()
    return thread
