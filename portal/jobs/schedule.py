"""The periodic jobs, scheduled on RQ's own scheduler (`rq worker --with-scheduler`).

Each occurrence is one scheduled job whose id is derived from the job's name and
the time of the slot, so scheduling the same slot twice (two workers starting,
a job re-scheduling itself while the worker's maintenance does too) adds
nothing. The worker schedules the next slot at start and on every maintenance
run, and each periodic job schedules its next slot before doing its work, so a
failed run, a killed worker or a Redis that lost its data never ends the chain.

RQ's scheduler works in UTC: the Bishkek time (UTC+6) is written beside each
schedule. RQ's separate cron process (`rq cron`) was not used: every copy of it
enqueues every job, whereas the worker's scheduler takes a lock, and slot ids
need nothing more.
"""
from collections import namedtuple
from datetime import datetime, timezone

from croniter import croniter
from flask import current_app

from portal.jobs import queues

Periodic = namedtuple("Periodic", "name task cron every")  # task: its name in portal.jobs.tasks
# Periodic jobs keep no result; a failed run stays a week for the operations view.
JOB_OPTIONS = {"result_ttl": 0, "failure_ttl": 7 * 24 * 3600, "timeout": 3600}


def periodic_jobs(app=None):
    config = (app or current_app).config
    return (
        # Every OUTBOX_SWEEP_SECONDS (60 s), day and night: messages that never
        # reached Redis, retries whose backoff has passed, jobs lost with a worker.
        Periodic("outbox-sweep", "sweep_outbox", cron=None, every=config["OUTBOX_SWEEP_SECONDS"]),
        # "5 * * * *" UTC = every hour at :05 Bishkek time as well (UTC+6 is a
        # whole-hour offset). Deadlines end at 23:59:59 Bishkek, so quotas, seats
        # and appeals are acted on at 00:05 Bishkek (18:05 UTC); reminders and
        # staff notices wait for the first run within NOTICE_HOURS, 08:05 Bishkek
        # (02:05 UTC). Hourly rather than daily so a failed run is made good
        # within the hour.
        Periodic("deadlines", "deadlines", cron="5 * * * *", every=None),
        # "*/15 * * * *" UTC = every quarter hour, Bishkek too: extend the audit
        # trail's hash chain (portal/audit_chain.py) over settled entries.
        Periodic("audit-seal", "seal_audit_trail", cron="*/15 * * * *", every=None),
        # "40 21 * * *" UTC = 03:40 Bishkek, daily: personal data of campaigns past
        # their retention period (portal/retention.py); a run with nothing due
        # writes nothing.
        Periodic("retention", "retention", cron="40 21 * * *", every=None),
        # "50 20 * * *" UTC = 02:50 Bishkek, daily: uploads never attached to an
        # application and files no row names (portal/admission/documents.py).
        Periodic("upload-sweep", "sweep_uploads", cron="50 20 * * *", every=None),
    )


def next_slot(periodic, now):
    if periodic.every:
        step = max(int(periodic.every), 1)
        return datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, timezone.utc)
    return croniter(periodic.cron, now.astimezone(timezone.utc)).get_next(datetime)


def slot_job_id(periodic, at, app=None):
    return queues.job_id("periodic", periodic.name, at.strftime("%Y%m%dT%H%M%SZ"), app=app)


def ensure_schedules(now=None, app=None):
    """Schedule the next slot of every periodic job; returns the ones added."""
    now = now or datetime.now(timezone.utc)
    added = []
    for periodic in periodic_jobs(app):
        at = next_slot(periodic, now)
        if queues.enqueue_unique(periodic.task, id_=slot_job_id(periodic, at, app), at=at, app=app,
                                 **JOB_OPTIONS):
            added.append((periodic.name, at))
    return added
