"""gunicorn settings of production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be set from the environment, so a deployment tunes it without
editing code. The defaults are the ones the opening-day benchmark measured best
on a 2-core machine with PostgreSQL beside it (docs/performance.md, "Opening day").
"""
import multiprocessing
import os


def _env(name, default):
    return os.environ.get(name) or default


bind = _env("GUNICORN_BIND", "127.0.0.1:8000")
# A registration is ~10 ms of Python and a few ms of waiting on PostgreSQL. On
# 2 cores, one process more than cores with 2 threads each measured best
# (docs/performance.md, "Worker model": 3x2 114/s, 4x1 110/s, 4x4 97/s, 2x4 97/s):
# more threads per process only wait for the GIL.
workers = int(_env("WEB_CONCURRENCY", str(multiprocessing.cpu_count() + 1)))
worker_class = _env("GUNICORN_WORKER_CLASS", "gthread")
threads = int(_env("GUNICORN_THREADS", "2"))
# gthread keeps client connections open; a mobile client sends several calls in a row.
keepalive = int(_env("GUNICORN_KEEPALIVE", "30"))
worker_connections = int(_env("GUNICORN_WORKER_CONNECTIONS", "1000"))
backlog = int(_env("GUNICORN_BACKLOG", "2048"))  # the opening-minute burst waits in the kernel queue
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Load the app before forking: the workers share its memory, and a broken
# configuration fails once at start rather than in every worker.
preload_app = _env("GUNICORN_PRELOAD", "1") == "1"
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # unset: none (a line per request costs at this rate)
errorlog = "-"
loglevel = _env("GUNICORN_LOGLEVEL", "warning")


def post_fork(server, worker):
    # Connections opened in the master before the fork must not be shared by the workers.
    from portal.extensions import db

    app = worker.app.callable if hasattr(worker.app, "callable") else None
    if app is not None and "sqlalchemy" in app.extensions:  # bench/anchor_app.py has none
        with app.app_context():
            db.engine.dispose(close=False)
