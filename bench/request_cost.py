"""Benchmark: the CPU cost of one registration request in the web process.

    .venv/bin/python bench/request_cost.py [--server URL] [--requests 2000] [--profile out.html]

The opening-day wave (`bench/opening_day.py`) is bound by the Python of the web
workers, and its figures move with whatever else the machine runs. This measures
the part we control, in one thread, through the real WSGI app (Flask test client,
bearer token, the JSON API): CPU milliseconds of this process per
`POST /api/v1/applications` (`time.thread_time`, so a busy machine slows the wall
clock but hardly the figure), wall milliseconds, and the SQL statements per request.
PostgreSQL's own CPU is not in the figure.

Uses its own database (`mektep_bench_cost`), never the tests' `test`.
"""
import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "bench"))

from opening_day_data import reset, sign_in_directly  # noqa: E402
from opening_minute import build, recreate  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", help="write a pyinstrument profile of the requests here (.html, else text)")
    args = parser.parse_args()

    url = recreate(args.server, "mektep_bench_cost")
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    # A benchmark on throw-away data, in this process: it may use the development key.
    app = create_app(SQLALCHEMY_DATABASE_URI=url, OUTBOX_DELIVER_INLINE=False, RATELIMIT_ENABLED=False,
                     ALLOW_WEAK_SECRET_KEY=True)
    with app.app_context():
        build(app, args.requests, args.requests)  # every family gets a seat: the full path each time
        db.session.remove()
        reset(url, opens_at=datetime.now(timezone.utc) - timedelta(minutes=1))
        tokens = sign_in_directly(url, [f"3{n:013d}" for n in range(args.requests)])
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    client = app.test_client()
    cpu, wall, counts = [], [], []
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        if args.profile.endswith(".pstats"):
            import cProfile

            profiler = cProfile.Profile(time.thread_time)
            profiler.stop = profiler.disable
            profiler.start = profiler.enable
    if True:
        if profiler:
            profiler.start()
        for n in range(args.requests):
            before = len(statements)
            started_cpu, started = time.thread_time(), time.perf_counter()
            response = client.post("/api/v1/applications", headers={"Authorization": f"Bearer {tokens[f'3{n:013d}']}"},
                                   json={"child_pin": f"4{n:013d}", "school_code": "GB-LEN-039", "language": "ky"})
            cpu.append(time.thread_time() - started_cpu)
            wall.append(time.perf_counter() - started)
            counts.append(len(statements) - before)
            assert response.status_code == 201, response.get_json()
        if profiler:
            profiler.stop()
            if args.profile.endswith(".pstats"):
                profiler.dump_stats(args.profile)
            else:
              with open(args.profile, "w") as handle:
                handle.write(profiler.output_html() if args.profile.endswith(".html")
                             else profiler.output_text(unicode=True, color=False))
    warm = slice(len(cpu) // 10, None)  # the first tenth warms caches and the pool
    print(f"{args.requests} registrations through POST /api/v1/applications, one thread, PostgreSQL")
    print(f"CPU per request: median {statistics.median(cpu[warm]) * 1000:.2f} ms, "
          f"mean {statistics.mean(cpu[warm]) * 1000:.2f} ms")
    print(f"wall per request: median {statistics.median(wall[warm]) * 1000:.2f} ms")
    print(f"statements per request: {statistics.median(counts)} (min {min(counts)}, max {max(counts)})")


if __name__ == "__main__":
    main()
