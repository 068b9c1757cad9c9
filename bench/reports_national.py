"""Benchmark: the reports and the open statistics at national size on PostgreSQL.

    .venv/bin/python bench/reports_national.py [--server URL] [--database mektep_bench_reports]
                                               [--applications 300000] [--reuse]

Builds a national folder (bench/gen_national.py: 2,200 schools in 46 districts;
a smaller registry, which the reports do not read), imports it into its own
database (never `test`), adds synthetic applications straight through COPY
(statuses, stages, categories, sexes and days spread like a campaign; the seat
pools' `taken` follows them, capped at the seats), ANALYZEs, and then times each
report function and the free-seats answer, cached and not. Prints the figures of
docs/reports.md. `--reuse` skips the set-up and times an existing database.
"""
import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "bench"))

from gen_national import generate  # noqa: E402
from import_national import database_url, flask, recreate_database  # noqa: E402


def build(server, name, applications):
    url = database_url(server, name)
    folder = tempfile.mkdtemp(prefix="mektep-reports-")
    generate(folder, addresses=300_000, persons=150_000)
    recreate_database(server, name)
    for args in (["db", "upgrade"], ["data", "import", folder]):
        code, seconds, _ = flask(args, url, os.path.join(folder, "log.txt"))
        if code:
            raise SystemExit(f"{args} failed, see {folder}/log.txt")
        print(f"{' '.join(args[:2])}: {seconds:.1f} s")
    return url


def add_applications(app, count, seed=2026):
    from sqlalchemy import select, text

    from portal.extensions import db
    from portal.models import Campaign, SeatPool

    rng = random.Random(seed)
    with app.app_context():
        campaign = db.session.scalars(select(Campaign)).first()
        pools = db.session.execute(select(SeatPool.id, SeatPool.school_id, SeatPool.language, SeatPool.seats)
                                   .where(SeatPool.campaign_id == campaign.id, SeatPool.seats > 0)).all()
        weights = [p.seats for p in pools]
        raw = db.engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            with cursor.copy("COPY applicants (id, pin, locale, created_at) FROM STDIN") as copy:
                for i in range(1, 5001):
                    copy.write_row((i, f"9{i:013d}", "ky", campaign.stage1_opens))
            columns = ("id, number, campaign_id, applicant_id, school_id, language, stage, category, over_quota, "
                       "status, is_active, queue_no, as_representative, child_pin, child_last_name, "
                       "child_first_name, child_patronymic, child_sex, child_birth_date, created_at, updated_at")
            events = io.StringIO()
            within = {}
            start = campaign.stage1_opens
            with cursor.copy(f"COPY applications ({columns}) FROM STDIN") as copy:
                for i in range(1, count + 1):
                    pool = rng.choices(pools, weights)[0]
                    roll = rng.random()
                    category = ("teacher" if roll < 0.02 else "twin" if roll < 0.03 else
                                "commission" if roll < 0.035 else None)
                    status = rng.choices(("registered", "documents_received", "enrolled", "cancelled",
                                          "documents_missing"), (55, 25, 8, 9, 3))[0]
                    active = status not in ("cancelled", "documents_missing")
                    over = category is not None
                    # Most register in the first days of stage 1; a tail through stage 2.
                    made = start + timedelta(days=min(int(rng.expovariate(1 / 12)), 120), minutes=rng.randrange(600))
                    if active and not over:
                        within[pool.id] = within.get(pool.id, 0) + 1
                    copy.write_row((i, f"B-{i}", campaign.id, rng.randrange(1, 5001), pool.school_id, pool.language,
                                    2 if made >= campaign.stage2_opens else 1, category, over, status, active, i,
                                    rng.random() < 0.01, f"8{i:013d}", "Бакиев", "Айбек", "", rng.choice("MF"),
                                    date(2019, 6, 1), made, made))
                    if status == "cancelled":
                        events.write(f"{i}\tcancelled\t{(made + timedelta(days=2)).isoformat()}\tapplicant\n")
            events.seek(0)
            with cursor.copy("COPY application_events (application_id, status, at, by) FROM STDIN") as copy:
                for line in events:
                    copy.write_row(line.rstrip("\n").split("\t"))
        except Exception:
            raw.rollback()
            raise
        raw.commit()
        raw.close()
        for pool in pools:
            db.session.execute(text("UPDATE seat_pools SET taken = LEAST(seats, :n), issued = :n WHERE id = :id"),
                               {"n": within.get(pool.id, 0), "id": pool.id})
        db.session.execute(text("SELECT setval('applications_id_seq', :n)"), {"n": count})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    print(f"applications: {count} over {len(pools)} seat pools")


def timed(function, runs=5):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def measure(app):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Application, District, Region, School
    from portal.reports.figures import build_report, progress
    from portal.reports.open_statistics import free_seat_statistics

    rows = []
    with app.app_context():
        from portal.admission.campaigns import current_campaign

        campaign = current_campaign()
        n = db.session.scalar(select(func.count()).select_from(Application))
        schools = db.session.scalar(select(func.count()).select_from(School))
        region = db.session.scalars(select(Region).order_by(Region.code)).first()
        district = db.session.scalars(select(District).where(District.code == "GB-LEN")).first()
        school = db.session.scalars(select(School).where(School.district_id == district.id)).first()
        today = date(2026, 9, 1)
        cases = [
            ("national report (rows per region)", lambda: build_report(campaign, "nation")),
            (f"region {region.code} (rows per district)", lambda: build_report(campaign, "region", region)),
            (f"district {district.code} (rows per school)", lambda: build_report(campaign, "district", district)),
            (f"school {school.code} (rows per language)", lambda: build_report(campaign, "school", school)),
            ("progress, nation (days)", lambda: progress(campaign, "nation", today=today)),
            (f"progress, district {district.code}", lambda: progress(campaign, "district", district, today=today)),
            ("open statistics (nation, regions, districts)", lambda: free_seat_statistics(campaign)),
        ]
        for label, function in cases:
            rows.append((label, *timed(function)))
        client = app.test_client()
        app.extensions.pop("open_statistics_cache", None)
        rows.append(("GET /api/v1/free-seats, whole country, not cached",
                     *timed(lambda: (app.extensions.pop("open_statistics_cache", None),
                                     client.get("/api/v1/free-seats")), runs=3)))
        rows.append(("GET /api/v1/free-seats, whole country, cached", *timed(lambda: client.get("/api/v1/free-seats"),
                                                                             runs=50)))
        rows.append(("GET /api/v1/free-seats?district=GB-LEN, cached",
                     *timed(lambda: client.get("/api/v1/free-seats?district=GB-LEN"), runs=50)))
    print(f"\n{n} applications, {schools} schools; best and median of several runs, ms")
    print("| what | best | median |\n|---|---|---|")
    for label, best, median in rows:
        print(f"| {label} | {best:.1f} | {median:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="mektep_bench_reports")
    parser.add_argument("--applications", type=int, default=300_000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    url = database_url(args.server, args.database)
    from portal import create_app
    from portal.config import Config

    if not args.reuse:
        build(args.server, args.database, args.applications)
        app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, ALLOW_WEAK_SECRET_KEY=True)
        started = time.perf_counter()
        add_applications(app, args.applications)
        print(f"added in {time.perf_counter() - started:.1f} s")
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, ALLOW_WEAK_SECRET_KEY=True)
    measure(app)


if __name__ == "__main__":
    main()
