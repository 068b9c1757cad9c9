"""The anchor of the opening-day benchmark (issue 18): a bare Flask seat-taker.

What Flask and PostgreSQL allow on this machine for the same request, written
the plain way: an HMAC bearer token, JSON in, one transaction of three
statements (the conditional seat `UPDATE ... RETURNING`, the application
`INSERT`, the audit `INSERT`), JSON out. No ORM, no rules beyond the seat.
bench/opening_day.py serves it with the project's own gunicorn.conf.py, after
the project's servers and workers have stopped, fires the same wave at it and
prints the ratio of the two rates: the figure that counts, as absolute rates
move with the machine.

    ANCHOR_DATABASE_URL=postgresql://... ANCHOR_SECRET=... gunicorn -c gunicorn.conf.py bench.anchor_app:app

Its tables (anchor_*) live beside the project's in the benchmark's database;
`prepare(url)` copies the seat pools into them, `token(pin)` makes a bearer token.
"""
import hashlib
import hmac
import json
import os
import threading

import psycopg
from flask import Flask, Response, request

SECRET = os.environ.get("ANCHOR_SECRET", "anchor-" + "x" * 40).encode()
URL = os.environ.get("ANCHOR_DATABASE_URL", "")

app = Flask(__name__)
_local = threading.local()


def token(pin):
    return pin + "." + hmac.new(SECRET, pin.encode(), hashlib.sha256).hexdigest()


def _pin_of(header):
    if not header.startswith("Bearer "):
        return None
    pin, _, mac = header[len("Bearer "):].partition(".")
    expected = hmac.new(SECRET, pin.encode(), hashlib.sha256).hexdigest()
    return pin if hmac.compare_digest(mac, expected) else None


def _connection():
    connection = getattr(_local, "connection", None)
    if connection is None or connection.closed:
        connection = _local.connection = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"))
    return connection


def _answer(body, status):
    return Response(json.dumps(body), status=status, mimetype="application/json")


@app.post("/api/v1/applications")
def register():
    pin = _pin_of(request.headers.get("Authorization", ""))
    if pin is None:
        return _answer({"error": {"code": "unauthorized"}}, 401)
    body = request.get_json(silent=True) or {}
    child, school, language = body.get("child_pin"), body.get("school_code"), body.get("language")
    if not (child and school and language):
        return _answer({"error": {"code": "validation_error"}}, 422)
    connection = _connection()
    with connection.transaction():
        seat = connection.execute(
            "UPDATE anchor_pools SET taken = taken + 1 WHERE school_code = %s AND language = %s AND taken < seats "
            "RETURNING id, taken", (school, language)).fetchone()
        if seat is None:
            return _answer({"error": {"code": "no_free_seats"}}, 409)
        application_id = connection.execute(
            "INSERT INTO anchor_applications (applicant_pin, child_pin, pool_id, queue_no, created_at) "
            "VALUES (%s, %s, %s, %s, now()) RETURNING id", (pin, child, seat[0], seat[1])).fetchone()[0]
        connection.execute(
            "INSERT INTO anchor_audit (at, actor, action, row_id, data) VALUES (now(), %s, 'insert', %s, %s)",
            (f"applicant:{pin}", application_id, json.dumps({"child_pin": child, "pool_id": seat[0]})))
    return _answer({"number": f"A-{application_id}", "position": seat[1]}, 201)


def prepare(url):
    """(Re)create the anchor's tables: the project's seat pools with every seat free."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute("DROP TABLE IF EXISTS anchor_pools, anchor_applications, anchor_audit")
        connection.execute(
            "CREATE TABLE anchor_pools AS SELECT p.id, s.code AS school_code, p.language, p.seats, 0 AS taken "
            "FROM seat_pools p JOIN schools s ON s.id = p.school_id WHERE p.seats > 0")
        connection.execute("ALTER TABLE anchor_pools ADD PRIMARY KEY (id)")
        connection.execute("CREATE UNIQUE INDEX anchor_pools_school ON anchor_pools (school_code, language)")
        connection.execute(
            "CREATE TABLE anchor_applications (id bigserial PRIMARY KEY, applicant_pin text NOT NULL, "
            "child_pin text NOT NULL, pool_id integer NOT NULL, queue_no integer NOT NULL, "
            "created_at timestamptz NOT NULL)")
        connection.execute(
            "CREATE TABLE anchor_audit (id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL, "
            "action text NOT NULL, row_id bigint NOT NULL, data jsonb NOT NULL)")


def checks(url):
    """What the anchor's wave left: oversold pools and applications written."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        oversold = connection.execute("SELECT count(*) FROM anchor_pools WHERE taken > seats").fetchone()[0]
        written = connection.execute("SELECT count(*) FROM anchor_applications").fetchone()[0]
    return {"oversold_pools": oversold, "applications": written}
