"""The opening-day database: build it once, reset it before each wave, sign parents in.

Used by bench/opening_day.py. Everything here is plain SQL through psycopg:
the benchmark prepares the world, the application under test does the rest.
"""
import hashlib
import os
import secrets
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import psycopg

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def plain(url):
    return url.replace("postgresql+psycopg://", "postgresql://")


def build(server, name, folder, *, families, echo=print):
    """Generate the folder, recreate the database, migrate and import (a minute or two)."""
    sys.path.insert(0, os.path.join(REPO, "bench"))
    from gen_national import generate

    if name == "test":
        raise SystemExit("refusing to use the test suite's database `test`")
    started = time.perf_counter()
    generate(folder, families=families)
    echo(f"generated {folder} in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(plain(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = plain(server).rsplit("/", 1)[0] + "/" + name
    env = dict(os.environ, DATABASE_URL=url)
    for args in (["db", "upgrade"], ["data", "import", folder]):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=REPO, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        echo(f"flask {args[0]} {args[1]}: {time.perf_counter() - started:.1f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


def reset(url, *, opens_at):
    """Back to the moment before 10:00: no applications, every seat free, stage 1 opening at `opens_at`."""
    with psycopg.connect(plain(url)) as conn:
        conn.execute("TRUNCATE application_events, documents, outbox_messages, api_tokens, sign_in_codes, "
                      "audit_entries, audit_seals RESTART IDENTITY")
        conn.execute("DELETE FROM applications")
        conn.execute("DELETE FROM applicants")
        conn.execute("UPDATE seat_pools SET taken = 0, over_quota = 0, issued = 0 "
                     "WHERE taken <> 0 OR over_quota <> 0 OR issued <> 0")
        # The campaign's stage 1 opens at the wave; stage 2 and the rest follow in their order.
        conn.execute("""UPDATE campaigns SET stage1_opens = %(t)s, stage2_opens = %(t)s + interval '60 days',
                        registration_closes = %(t)s + interval '150 days',
                        documents_from = (%(t)s + interval '125 days')::date,
                        documents_until = (%(t)s + interval '160 days')::date""", {"t": opens_at})
    with psycopg.connect(plain(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE applications, application_events, outbox_messages, audit_entries, "
                     "seat_pools, applicants, api_tokens")


def wave_families(url, count, *, seed=10):
    """`count` families in a fixed random order with the school and language each will ask for:
    a catchment school of the parent's address that takes part, in its largest language.
    Only families whose parent and child have identity documents (the others need the commission)."""
    with psycopg.connect(plain(url)) as conn:
        conn.execute("SELECT setseed(%s)", (seed / 100,))
        return conn.execute("""
            WITH wave AS (
                SELECT l.parent_pin, l.child_pin, p.address_id
                FROM registry_links l
                JOIN registry_persons p ON p.pin = l.parent_pin AND p.has_documents
                JOIN registry_persons c ON c.pin = l.child_pin AND c.has_documents
                ORDER BY md5(l.child_pin) LIMIT %s)
            SELECT DISTINCT ON (w.child_pin) w.parent_pin, w.child_pin, s.code, sp.language
            FROM wave w
            JOIN microdistrict_addresses m ON m.address_id = w.address_id
            JOIN schools s ON s.id = m.school_id AND s.participates
            JOIN seat_pools sp ON sp.school_id = s.id AND sp.seats > 0
            ORDER BY w.child_pin, m.school_id, sp.seats DESC, sp.language""", (count,)).fetchall()


def sign_in_directly(url, parents):
    """The documented shortcut of the sign-in phase: applicants and bearer tokens written
    as `sign_in.verify` + `issue_token` would write them. Returns {parent_pin: token}."""
    now = datetime.now(timezone.utc)
    tokens = {pin: secrets.token_urlsafe(32) for pin in parents}
    with psycopg.connect(plain(url)) as conn:
        with conn.cursor().copy("COPY applicants (pin, locale, created_at) FROM STDIN") as copy:
            for pin in tokens:
                copy.write_row((pin, "ky", now))
        conn.execute("""INSERT INTO applicant_contacts (applicant_id, channel, address, bound_at)
                        SELECT id, 'email', pin || '@example.kg', created_at FROM applicants
                        WHERE pin = ANY(%s)""", (list(tokens),))
        conn.execute("CREATE TEMP TABLE t (pin text, token_hash text)")
        with conn.cursor().copy("COPY t FROM STDIN") as copy:
            for pin, token in tokens.items():
                copy.write_row((pin, hashlib.sha256(token.encode()).hexdigest()))
        conn.execute("""INSERT INTO api_tokens (token_hash, applicant_id, contact_id, created_at, expires_at)
                        SELECT t.token_hash, a.id, c.id, %s, %s FROM t JOIN applicants a ON a.pin = t.pin
                        JOIN applicant_contacts c ON c.applicant_id = a.id""",
                     (now, now + timedelta(hours=24)))
    return tokens


def sign_in_code(url, email):
    """The newest code mailed to `email`: read from the outbox, our local mail sink."""
    with psycopg.connect(plain(url)) as conn:
        row = conn.execute("SELECT context FROM outbox_messages WHERE template = 'sign_in_code' AND recipient = %s "
                           "ORDER BY id DESC LIMIT 1", (email,)).fetchone()
    return row[0]["code"] if row else None


def outcome_checks(url, numbers):
    """Seats oversold, applications lost, admission order, R10, notifications."""
    with psycopg.connect(plain(url)) as conn:
        oversold = conn.execute("""
            SELECT count(*) FROM seat_pools sp
            WHERE sp.taken > sp.seats OR sp.seats < (
                SELECT count(*) FROM applications a WHERE a.campaign_id = sp.campaign_id AND a.school_id = sp.school_id
                AND a.language = sp.language AND a.is_active AND NOT a.over_quota)""").fetchone()[0]
        conn.execute("CREATE TEMP TABLE answered (number text)")
        with conn.cursor().copy("COPY answered FROM STDIN") as copy:
            for number in numbers:
                copy.write_row((number,))
        lost = conn.execute("SELECT count(*) FROM answered WHERE number NOT IN (SELECT number FROM applications)"
                            ).fetchone()[0]
        unanswered = conn.execute("SELECT count(*) FROM applications WHERE number NOT IN (SELECT number FROM answered)"
                                  ).fetchone()[0]
        # Admission order: queue numbers of a pool are 1..issued, each once (commit order, no gaps).
        disorder = conn.execute("""
            SELECT count(*) FROM seat_pools sp JOIN (
                SELECT school_id, language, count(*) n, count(DISTINCT queue_no) d, max(queue_no) m
                FROM applications GROUP BY school_id, language) a
              ON a.school_id = sp.school_id AND a.language = sp.language
            WHERE NOT (a.n = a.d AND a.m = sp.issued AND a.n = sp.issued)""").fetchone()[0]
        doubles = conn.execute("SELECT count(*) FROM (SELECT child_pin FROM applications WHERE is_active "
                               "GROUP BY child_pin HAVING count(*) > 1) x").fetchone()[0]
        full_pools = conn.execute("SELECT count(*) FROM seat_pools WHERE seats > 0 AND taken = seats").fetchone()[0]
        outbox = dict(conn.execute("SELECT state, count(*) FROM outbox_messages "
                                   "WHERE template = 'application_registered' GROUP BY state").fetchall())
        audit = conn.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    return {"oversold_pools": oversold, "lost": lost, "in_db_without_201": unanswered,
            "pools_out_of_order": disorder, "children_with_two_active": doubles, "full_pools": full_pools,
            "outbox": outbox, "audit_entries": audit}
