"""Benchmark: the opening minute at the domain level, on PostgreSQL.

    .venv/bin/python bench/opening_minute.py [--server URL] [--families 3000] [--seats 500] [--threads 16]

Shows that everything expensive happens before 10:00 and that the submission
at 10:00 is one short transaction:

1. Before the opening, every family "prepares": the registry look-ups, the
   eligibility check and the list of schools (`schools_for_child`).
2. At 10:00 all families submit at once from `--threads` threads
   (`registration.register` + commit): the figures are the submission's own
   latency and throughput, and the result must admit exactly `--seats`.
3. For scale, the bare seat-taking SQL (the conditional UPDATE plus one INSERT,
   committed) runs on the same machine with the same threads.

Uses its own database (`mektep_bench_opening`), never the tests' `test`.
The load generator runs in the same Python process (GIL), so the rates are a
floor; the HTTP benchmark of the opening-day issue measures the whole stack.
"""
import argparse
import os
import statistics
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone

import psycopg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

BISHKEK = timezone(timedelta(hours=6))
OPENING = datetime(2026, 4, 1, 10, 0, tzinfo=BISHKEK)


def recreate(server, name):
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def build(app, families, seats):
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, update

    from portal.extensions import db
    from portal.importer import import_folder
    from portal.models import Applicant, ApplicantContact, RegistryLink, RegistryPerson, School, SeatPool

    upgrade()
    import_folder(os.path.join(REPO, "portal", "sample_data"), echo=lambda *a, **k: None)
    db.session.commit()
    school = db.session.scalars(select(School).where(School.code == "GB-LEN-039")).one()
    db.session.execute(update(SeatPool).where(SeatPool.school_id == school.id, SeatPool.language == "ky").values(seats=seats))
    persons, links, applicants = [], [], []
    for n in range(families):
        parent, child = f"3{n:013d}", f"4{n:013d}"
        persons.append(dict(pin=parent, last_name="Бенчмарков", first_name="Ата", patronymic="", sex="M",
                            birth_date=date(1990, 1, 1), address_id="A0000001", has_documents=True))
        persons.append(dict(pin=child, last_name="Бенчмарков", first_name="Бала", patronymic="", sex="F",
                            birth_date=date(2019, 6, 1), address_id="A0000001", has_documents=True))
        links.append(dict(parent_pin=parent, child_pin=child, relation="father"))
        applicants.append(dict(pin=parent, locale="ky"))
    db.session.execute(insert(RegistryPerson), persons)
    db.session.execute(insert(RegistryLink), links)
    db.session.execute(insert(Applicant), applicants)
    ids = dict(db.session.execute(select(Applicant.pin, Applicant.id)).all())
    db.session.execute(insert(ApplicantContact), [
        dict(applicant_id=ids[row["pin"]], channel="email", address=f"{row['pin']}@example.kg")
        for row in applicants])
    db.session.commit()


def prepare_all(app, families):
    from portal.admission.schools import schools_for_child
    from portal.extensions import db

    timings = []
    before = OPENING - timedelta(hours=1)
    for n in range(families):
        started = time.perf_counter()
        stage, choices = schools_for_child(f"3{n:013d}", f"4{n:013d}", now=before, language="ky")
        timings.append(time.perf_counter() - started)
        assert stage == 0 and any(c.school.code == "GB-LEN-039" for c in choices)
        db.session.rollback()
    return timings


def submit_all(app, families, threads):
    from sqlalchemy import select

    from portal.admission import registration
    from portal.admission.errors import AdmissionError
    from portal.extensions import db
    from portal.models import Applicant

    latencies, outcomes, lock = [], {}, threading.Lock()
    barrier = threading.Barrier(threads)
    now = OPENING + timedelta(seconds=1)

    def worker(index):
        with app.app_context():
            barrier.wait()
            for n in range(index, families, threads):
                started = time.perf_counter()
                try:
                    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == f"3{n:013d}")).one()
                    registration.register(applicant, f"4{n:013d}", "GB-LEN-039", "ky", now=now, secret=app.config["SECRET_KEY"])
                    db.session.commit()
                    outcome = "admitted"
                except AdmissionError as error:
                    db.session.rollback()
                    outcome = error.code
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
            db.session.remove()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, latencies, outcomes


def bare_sql(url, transactions, threads, seats):
    """The seat-taking transaction alone: conditional UPDATE ... RETURNING + one INSERT."""
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_pool (id int primary key, seats int, taken int)")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_taken (id bigserial primary key, pool int, no int, at timestamptz default now())")
        conn.execute("TRUNCATE bench_pool, bench_taken")
        conn.execute("INSERT INTO bench_pool VALUES (1, %s, 0)", (seats,))
    barrier = threading.Barrier(threads)

    def worker(count):
        with psycopg.connect(dsn) as conn:
            barrier.wait()
            for _ in range(count):
                with conn.transaction():
                    row = conn.execute(
                        "UPDATE bench_pool SET taken = taken + 1 WHERE id = 1 AND taken < seats RETURNING taken"
                    ).fetchone()
                    if row:
                        conn.execute("INSERT INTO bench_taken (pool, no) VALUES (1, %s)", (row[0],))

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(transactions // threads,)) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return (transactions // threads * threads) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    url = recreate(args.server, "mektep_bench_opening")
    from portal import create_app

    app = create_app(
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": args.threads + 2, "max_overflow": 0},
        OUTBOX_DELIVER_INLINE=False,  # delivery is a job's work, not the request's
        ALLOW_WEAK_SECRET_KEY=True,  # throw-away data in this process, nothing served
    )
    with app.app_context():
        build(app, args.families, args.seats)
        prep = prepare_all(app, args.families)
        wall, latencies, outcomes = submit_all(app, args.families, args.threads)
        from sqlalchemy import func, select

        from portal.extensions import db
        from portal.models import Application, OutboxMessage

        admitted = db.session.scalar(select(func.count(Application.id)))
        queued = db.session.scalar(select(func.count(OutboxMessage.id)))
    bare = bare_sql(url, args.families, args.threads, args.seats)
    ms = lambda seconds: f"{seconds * 1000:.1f} ms"  # noqa: E731
    print(f"families {args.families}, seats {args.seats}, threads {args.threads}")
    print(f"prepare before 10:00 (registry, eligibility, schools): median {ms(statistics.median(prep))}, "
          f"p95 {ms(percentile(prep, 95))}, total {sum(prep):.1f} s")
    print(f"submit at 10:00: {len(latencies) / wall:.0f} submissions/s over {wall:.2f} s; "
          f"p50 {ms(percentile(latencies, 50))}, p95 {ms(percentile(latencies, 95))}, p99 {ms(percentile(latencies, 99))}")
    print(f"outcomes: {outcomes}; applications in the database: {admitted} (must equal seats: {admitted == args.seats}); "
          f"notifications queued: {queued}")
    print(f"bare seat-taking SQL (UPDATE ... RETURNING + INSERT), same threads: {bare:.0f} transactions/s")


if __name__ == "__main__":
    main()
