"""Benchmark: opening day at national scale, through the public HTTP interface.

    .venv/bin/python bench/opening_day.py [--wave 60000] [--clients 256] [--reuse]

1. Builds (or with --reuse, resets) the database `mektep_bench_opening_day`:
   the national folder of bench/gen_opening_day.py (2,200 schools, 1,000,000
   addresses, 300,000 families, popular schools crowded ten to one), imported
   with `flask data import`.
2. Before 10:00, signs parents in: `--api-sign-ins` of them through the API
   (auth/start, the code read from the outbox, auth/verify); the rest of the
   wave by the documented shortcut of writing applicants and tokens directly.
3. Starts production: gunicorn (gunicorn.conf.py) on PostgreSQL; an RQ worker
   when `flask --app wsgi worker` exists, else mail stays in the outbox.
4. Fires the wave: `--wave` families POST /api/v1/applications with bearer
   tokens from `--clients` concurrent connections (bench/opening_day_wave.py,
   its own process), then checks the database and prints the figures.
5. Stops the project's servers and workers, serves the anchor (a bare Flask
   seat-taker, bench/anchor_app.py) with the same gunicorn.conf.py, fires the
   same wave at it, and prints the ratio of the two rates (issue 18: the
   figure that counts). `--no-anchor` skips it.
6. Measures the bare seat-taking transaction on the same server. Uses its own
   database, never the tests' `test`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opening_day_data as data  # noqa: E402
from opening_day_cpu import cpu_seconds, server_pids  # noqa: E402

REPO = data.REPO


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def sign_in_through_api(base, url, parents):
    """auth/start + the mailed code (read from the outbox) + auth/verify; returns {pin: token}."""
    tokens, started = {}, time.perf_counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        for pin in parents:
            email = f"{pin}@example.kg"
            assert client.post("/api/v1/auth/start", json={"pin": pin, "email": email}).status_code == 202
            answer = client.post("/api/v1/auth/verify", json={"pin": pin, "code": data.sign_in_code(url, email)})
            tokens[pin] = answer.json()["token"]
    return tokens, time.perf_counter() - started


def start_services(url, env_extra, log_dir):
    env = dict(os.environ, DATABASE_URL=url, **env_extra)
    has_worker = "worker" in subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "--help"], cwd=REPO,
                                            env=env, capture_output=True, text=True).stdout
    if not has_worker:
        env["OUTBOX_DELIVER_INLINE"] = "0"  # no relay yet: mail waits in the outbox, never in the request
        env.pop("REDIS_URL", None)
    web = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py",
                            "wsgi:app"], cwd=REPO, env=env, stdout=open(os.path.join(log_dir, "gunicorn.log"), "w"),
                           stderr=subprocess.STDOUT)
    worker = None
    if has_worker:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=REPO, env=env,
                                  stdout=open(os.path.join(log_dir, "worker.log"), "w"), stderr=subprocess.STDOUT)
    base = "http://" + env.get("GUNICORN_BIND", "127.0.0.1:8000")
    wait_until_answering(base)
    return base, web, worker, env


def wait_until_answering(base, seconds=20):
    """Until the server at `base` answers anything (any status) or `seconds` pass."""
    for _ in range(int(seconds / 0.2)):
        try:
            httpx.post(base + "/api/v1/applications", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER",
                                                           "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--database", default="mektep_bench_opening_day")
    parser.add_argument("--families", type=int, default=300_000)
    parser.add_argument("--wave", type=int, default=60_000, help="families submitting at 10:00 (a fifth)")
    parser.add_argument("--clients", type=int, default=256)
    parser.add_argument("--api-sign-ins", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep the imported database, only reset it")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-anchor", action="store_true", help="skip the bare Flask seat-taker")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="mektep-opening-day-")
    url = data.plain(args.server).rsplit("/", 1)[0] + "/" + args.database
    if not args.reuse:
        data.build(args.server, args.database, os.path.join(work, "folder"), families=args.families)
    data.reset(url, opens_at=datetime.now(timezone.utc))
    families = data.wave_families(url, args.wave)
    print(f"wave: {len(families)} families (of {args.families}); {args.clients} clients")

    env_extra = {"REDIS_URL": args.redis, "SECRET_KEY": "bench-" + "x" * 40}
    base, web, worker, env = start_services(url, env_extra, work)
    try:
        api_parents = [pin for pin, *_ in families[:args.api_sign_ins]]
        tokens, seconds = sign_in_through_api(base, url, api_parents)
        print(f"sign-in before 10:00: {len(tokens)} parents through the API in {seconds:.1f} s "
              f"({len(tokens) / seconds:.0f}/s, two calls each)")
        started = time.perf_counter()
        tokens.update(data.sign_in_directly(url, [pin for pin, *_ in families[args.api_sign_ins:]]))
        print(f"sign-in shortcut: {len(families) - len(api_parents)} tokens written in {time.perf_counter() - started:.1f} s")
        wave_file, result_file = os.path.join(work, "wave.json"), os.path.join(work, "result.json")
        with open(wave_file, "w") as out:
            json.dump([[tokens[pin], child, school, language] for pin, child, school, language in families], out)

        pids = server_pids(web.pid)
        before = cpu_seconds(pids)
        load = subprocess.run([sys.executable, os.path.join(REPO, "bench", "opening_day_wave.py"), wave_file,
                               result_file, "--url", base, "--clients", str(args.clients)], check=True)
        after = cpu_seconds(server_pids(web.pid) | pids)
        with open(result_file) as handle:
            result = json.load(handle)
        queued_at_end = data.outcome_checks(url, [])["outbox"]
    finally:
        for process in (web, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    anchor = None if args.no_anchor else run_anchor(url, families, args.clients, work, env)
    report(args, url, result, before, after, queued_at_end, env, anchor)


def run_anchor(url, families, clients, work, env):
    """The same wave at the bare Flask seat-taker, served like the project (same
    gunicorn.conf.py, same machine, the project's processes stopped)."""
    sys.path.insert(0, REPO)
    from bench import anchor_app

    anchor_app.prepare(url)
    anchor_env = dict(env, ANCHOR_DATABASE_URL=url, ANCHOR_SECRET=anchor_app.SECRET.decode())
    wave_file, result_file = os.path.join(work, "anchor-wave.json"), os.path.join(work, "anchor-result.json")
    with open(wave_file, "w") as out:
        json.dump([[anchor_app.token(pin), child, school, language] for pin, child, school, language in families],
                  out)
    web = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py",
                            "bench.anchor_app:app"], cwd=REPO, env=anchor_env,
                           stdout=open(os.path.join(work, "anchor-gunicorn.log"), "w"), stderr=subprocess.STDOUT)
    base = "http://" + anchor_env.get("GUNICORN_BIND", "127.0.0.1:8000")
    try:
        wait_until_answering(base)
        subprocess.run([sys.executable, os.path.join(REPO, "bench", "opening_day_wave.py"), wave_file, result_file,
                        "--url", base, "--clients", str(clients)], check=True)
    finally:
        web.terminate()
        web.wait(timeout=30)
    with open(result_file) as handle:
        result = json.load(handle)
    return result, anchor_app.checks(url)


def report(args, url, result, before, after, queued_at_end, env, anchor=None):
    from opening_minute import bare_sql

    wall, rows = result["wall"], result["results"]
    latencies = [row[0] for row in rows]
    created = [row for row in rows if row[1] == 201]
    errors = {}
    for row in rows:
        if row[1] != 201:
            errors[row[2]] = errors.get(row[2], 0) + 1
    checks = data.outcome_checks(url, [row[2] for row in created])
    bare = bare_sql(url, 20_000, 16, 20_000)
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    print(f"\n== opening wave: {len(rows)} requests in {wall:.1f} s, {args.clients} clients, "
          f"gunicorn {env.get('GUNICORN_WORKER_CLASS', 'gthread')} x{env.get('WEB_CONCURRENCY', 'default')}")
    print(f"completed requests/s (every parent got an outcome): {len(rows) / wall:.0f}")
    print(f"registrations/s (201, seat taken): {len(created) / wall:.0f}  ({len(created)} admitted)")
    print(f"latency p50 {ms(percentile(latencies, 50))}, p95 {ms(percentile(latencies, 95))}, "
          f"p99 {ms(percentile(latencies, 99))}, max {ms(max(latencies))}")
    print(f"errors by kind: {errors or 'none'}")
    print(f"seats oversold: {checks['oversold_pools']} pools; applications lost: {checks['lost']}; "
          f"in the database without a 201: {checks['in_db_without_201']}; pools out of commit order: "
          f"{checks['pools_out_of_order']}; children with two active: {checks['children_with_two_active']}; "
          f"pools now full: {checks['full_pools']}")
    print(f"notifications at the end of the wave: {queued_at_end}; now: {checks['outbox']}; "
          f"audit entries: {checks['audit_entries']}")
    cpu = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    cpu["load generator"] = result["cpu"]
    total = sum(cpu.values())
    print("CPU seconds during the wave: " + ", ".join(f"{k} {v:.1f} s ({v / total:.0%})" for k, v in cpu.items())
          + f"; machine capacity {os.cpu_count() * wall:.1f} s")
    print(f"bare seat-taking SQL (UPDATE ... RETURNING + INSERT, one hot row, 16 connections): {bare:.0f}/s")
    print(f"ratio completed/bare: {len(rows) / wall / bare:.2f}; registrations/bare: {len(created) / wall / bare:.2f}")
    if anchor is not None:
        (anchor_result, anchor_checks) = anchor
        anchor_rows = anchor_result["results"]
        anchor_latencies = [row[0] for row in anchor_rows]
        anchor_rate = len(anchor_rows) / anchor_result["wall"]
        anchor_errors = {}
        for row in anchor_rows:
            if row[1] != 201:
                anchor_errors[row[2]] = anchor_errors.get(row[2], 0) + 1
        print(f"\n== anchor (bench/anchor_app.py, same gunicorn.conf.py, same wave, the project stopped): "
              f"{anchor_rate:.0f} decisions/s; p50 {ms(percentile(anchor_latencies, 50))}, "
              f"p95 {ms(percentile(anchor_latencies, 95))}, p99 {ms(percentile(anchor_latencies, 99))}; "
              f"errors by kind: {anchor_errors or 'none'}; oversold pools: {anchor_checks['oversold_pools']}")
        print(f"ratio project/anchor (decisions/s): {len(rows) / wall / anchor_rate:.2f}; "
              f"p99 project/anchor: {percentile(latencies, 99) / max(percentile(anchor_latencies, 99), 1e-9):.1f}")


if __name__ == "__main__":
    main()
