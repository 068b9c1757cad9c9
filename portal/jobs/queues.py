"""RQ on REDIS_URL: the connection, our queues, and the `task` decorator.

Queue names and job ids begin with RQ_NAMESPACE, so that deployments or test
runs sharing a Redis never take each other's jobs (`purge_namespace` removes
exactly one namespace's keys).
"""
import functools

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from portal.audit import acting_as

# Periodic jobs are listed first, so a long backlog of messages never delays
# the sweep or the deadlines.
QUEUES = ("periodic", "notifications")
# Every job: its function's name in portal.jobs.tasks, and its queue. Jobs are
# enqueued by dotted path (the Redash model), so that enqueuing one never imports
# the tasks, which import the work of every job.
TASKS_MODULE = "portal.jobs.tasks"
TASK_QUEUES = {
    "deliver_message": "notifications",
    "sweep_outbox": "periodic",
    "deadlines": "periodic",
    "seal_audit_trail": "periodic",
    "retention": "periodic",
    "sweep_uploads": "periodic",
    "ping": "periodic",
}
_worker_app = None


def redis_url(app=None):
    return (app or current_app).config.get("REDIS_URL")


def connection(app=None):
    """One connection pool per application and process."""
    app = app or current_app._get_current_object()
    url = redis_url(app)
    cached = app.extensions.get("rq_connection")
    if cached is None or cached[0] != url:
        timeout = app.config.get("REDIS_SOCKET_TIMEOUT", 2)
        redis = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=max(timeout, 10))
        cached = app.extensions["rq_connection"] = (url, redis)
    return cached[1]


def queue_name(name, app=None):
    return f"{(app or current_app).config['RQ_NAMESPACE']}-{name}"


def queue(name, app=None):
    return Queue(queue_name(name, app), connection=connection(app))


def all_queues(app=None):
    return [queue(name, app) for name in QUEUES]


def job_id(*parts, app=None):
    """A stable job id: the same work always gets the same id."""
    return "_".join([(app or current_app).config["RQ_NAMESPACE"], *map(str, parts)])  # RQ allows [A-Za-z0-9_-]


def _app():
    """The application a job runs in: the worker's (flask --app wsgi worker),
    or one built once per process (a plain `rq worker`)."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from portal import create_app

        _worker_app = create_app()
    return _worker_app


def task(function):
    """Declare a job (the Redash model, without binding a connection at import
    time): it takes ids, runs in a fresh app context, and its changes are audited
    as done by `job:<name>`. Its queue is its entry in TASK_QUEUES."""
    if function.__name__ not in TASK_QUEUES:
        raise LookupError(f"{function.__name__} has no queue in TASK_QUEUES")

    @functools.wraps(function)
    def run(*args, **kwargs):
        with _app().app_context():
            with acting_as(f"job:{function.__name__}"):
                return function(*args, **kwargs)

    return run


def enqueue_unique(name, *args, id_, at=None, pipeline=None, app=None, **options):
    """Enqueue (or schedule `at`) the task `name` of TASK_QUEUES once: a job with
    the same id already there makes this a no-op. Returns True when a job was added."""
    target = queue(TASK_QUEUES[name], app)
    job = target.create_job(f"{TASKS_MODULE}.{name}", args=args, job_id=id_, **options)
    try:
        if at is None:
            target.enqueue_job(job, pipeline=pipeline, unique=True)
        else:
            target.schedule_job(job, at, pipeline=pipeline, unique=True)
    except DuplicateJobError:
        return False
    return True


def purge_namespace(namespace, redis):
    """Delete every RQ key of one namespace (tests, or retiring a deployment)."""
    removed = 0
    keys = list(redis.scan_iter(match=f"rq:*{namespace}[-_.]*", count=1000))
    if keys:
        removed += redis.delete(*keys)
    for member in redis.smembers("rq:queues"):
        if f":{namespace}-".encode() in member:
            redis.srem("rq:queues", member)
    for member in redis.smembers("rq:workers"):
        if namespace.encode() in member:
            redis.srem("rq:workers", member)
    return removed
