"""Benchmark: `flask --app wsgi data import` of a national-size folder on PostgreSQL.

    .venv/bin/python bench/import_national.py [--server URL] [--database mektep_bench] [--keep DIR]

Generates the folder (bench/gen_national.py, fixed seed) into a temporary
directory, recreates the benchmark database (never the test suite's `test`
database), builds its schema with `flask db upgrade`, then runs the import
twice as a child process: the first import into empty tables, then the same
folder again (which must change nothing). For each run it prints the wall
time and the child's peak resident memory. See docs/performance.md.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))

from gen_national import generate  # noqa: E402


def database_url(server, name):
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(server, name):
    if name == "test":
        raise SystemExit("refusing to use the test suite's database `test`")
    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flask(args, url, log):
    """Run `flask --app wsgi ARGS`; returns (exit code, seconds, peak RSS in MB) of that child alone."""
    env = dict(os.environ, DATABASE_URL=url)
    started = time.perf_counter()
    with open(log, "w") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        # wait4 reports the resources of this one child (ru_maxrss in KB on Linux).
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get(
        "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="any database URL of the PostgreSQL server (used to create the benchmark database)")
    parser.add_argument("--database", default="mektep_bench")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=700_000)
    args = parser.parse_args()

    url = database_url(args.server, args.database)
    folder = args.keep or tempfile.mkdtemp(prefix="mektep-national-")
    started = time.perf_counter()
    counts = generate(folder, addresses=args.addresses, persons=args.persons)
    print(f"generated {folder} in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{name} {n}" for name, n in counts.items()))

    recreate_database(args.server, args.database)
    code, _, _ = flask(["db", "upgrade"], url, os.path.join(folder, "upgrade.log"))
    if code:
        raise SystemExit(f"db upgrade failed, see {folder}/upgrade.log")

    results = []
    for run in ("first import", "re-import"):
        log = os.path.join(folder, f"{run.replace(' ', '-')}.log")
        code, seconds, peak = flask(["data", "import", folder], url, log)
        with open(log) as handle:
            output = handle.read()
        print(f"\n== {run}: exit {code}, {seconds:.1f} s wall, peak RSS {peak:.0f} MB")
        print("\n".join(line for line in output.splitlines() if line.startswith(("  ", "Imported"))))
        if code:
            print(output[-3000:])
            raise SystemExit(1)
        results.append((run, seconds, peak))

    cores = os.cpu_count()
    print(f"\nmachine: {cores} cores; database {url}")
    for run, seconds, peak in results:
        print(f"{run:>12}: {seconds:6.1f} s  {peak:5.0f} MB")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
