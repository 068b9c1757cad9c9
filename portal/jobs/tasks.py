"""The RQ jobs. Each takes ids or nothing, runs in its own app context and
calls the module that does the work (STYLE.md, habit 5)."""
from portal import clock, retention as retention_run
from portal.audit import acting_as
from portal.audit_chain import seal
from portal.extensions import db
from portal.jobs.deadlines import run_deadlines
from portal.admission.documents import sweep_orphans
from portal.jobs.outbox import deliver, sweep
from portal.jobs.queues import task
from portal.jobs.schedule import ensure_schedules


@task
def deliver_message(message_id):
    return deliver(message_id)


@task
def sweep_outbox(every_queued=False):
    ensure_schedules()  # first, so that a failing sweep never ends the chain
    return sweep(every_queued=every_queued)


@task
def deadlines():
    ensure_schedules()
    return run_deadlines(clock.now()).as_dict()


@task
def seal_audit_trail():
    ensure_schedules()
    with acting_as("job:audit seal"):
        count = seal(now=clock.now())
        db.session.commit()
    return count


@task
def retention():
    """Personal data past each campaign's retention period, as `flask retention run` does."""
    ensure_schedules()
    report = retention_run.run(now=clock.now())
    db.session.commit()
    return report.as_dict()


@task
def sweep_uploads():
    """Uploads that fill the disk for nothing: documents never attached, files without a row."""
    ensure_schedules()
    with acting_as("job:upload-sweep"):
        counts = sweep_orphans(now=clock.now())
        db.session.commit()  # the files go after this commit (documents.py)
    return counts


@task
def ping(token):
    """Proves a worker is alive and runs our code (CI and the operations view)."""
    return f"pong {token}"
