"""Opening day (docs/performance.md): the registration request stays a few round
trips, and a double click cannot take two seats. No timings here: counts only."""
import threading

import pytest
from sqlalchemy import event, func, select

from portal import create_app
from portal.admission import reference
from portal.config import TestConfig
from portal.extensions import db
from portal.models import Application, School, SeatPool
from tests.scenario import SCENARIO, STAGE1, at, load_sample, register, sign_in

# The statements of one POST /api/v1/applications at a catchment school: the token
# with its applicant; the child with its parents and the applicant's children (R6);
# R10, R8 and the catchment (R2) together; the seat; the inserts (application, event, audit,
# outbox). The campaign and the school are kept per process (reference.py); the
# answer's position and cancellations come from the seat row and the R10 query.
# A new query in the hot path must be a choice, not an accident.
MAX_STATEMENTS = 8


def _statements(app):
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA", "BEGIN")):
            seen.append(statement)

    return seen, count


def _language(school_code):
    return db.session.scalars(
        select(SeatPool.language).join(School).where(School.code == school_code, SeatPool.seats > 0)
    ).first()


def test_a_registration_request_takes_few_statements(sample, client):
    person = SCENARIO["stage1_parent"]
    headers = sign_in(client, sample, person["parent_pin"])
    language = _language(person["school_code"])
    reference.campaign(), reference.school(person["school_code"])  # warm, as after the first requests
    db.session.remove()
    sample.config["OUTBOX_DELIVER_INLINE"] = False  # production: a relay delivers, not the request
    seen, count = _statements(sample)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = register(client, headers, person["child_pin"], person["school_code"], language)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 201, response.json
    assert len(seen) <= MAX_STATEMENTS, "\n".join(s.split("\n")[0][:100] for s in seen)


@pytest.fixture
def double_click_app(database_url, tmp_path):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 4, "max_overflow": 0, "pool_timeout": 60})
    app.extensions["sent_mail"] = []
    with app.app_context():
        load_sample()
        at(app, STAGE1)
        yield app
        db.session.remove()
        db.engine.dispose()


def test_r10_a_double_click_takes_one_seat(double_click_app):
    """Two identical POSTs at once (a retry, a double click): one 201, one 409
    already_registered, and the pool counts exactly one seat."""
    app = double_click_app
    person = SCENARIO["stage1_parent"]
    headers = sign_in(app.test_client(), app, person["parent_pin"])
    language = _language(person["school_code"])
    pool_before = db.session.scalars(
        select(SeatPool.taken).join(School).where(School.code == person["school_code"], SeatPool.language == language)
    ).one()
    db.session.remove()  # on SQLite an open read holds the lock
    barrier, answers = threading.Barrier(2), [None, None]

    def click(index):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = register(client, headers, person["child_pin"], person["school_code"], language)
        answers[index] = (response.status_code, response.json)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 409], answers
    refused = next(body for status, body in answers if status == 409)
    admitted = next(body for status, body in answers if status == 201)
    assert refused["error"]["code"] == "already_registered"
    # The second click learns the outcome and place of the first.
    assert (refused["application"]["number"], refused["application"]["position"]) == (
        admitted["number"], admitted["position"])
    db.session.remove()
    assert db.session.scalar(select(func.count(Application.id)).where(
        Application.child_pin == person["child_pin"])) == 1
    pool_after = db.session.scalars(
        select(SeatPool.taken).join(School).where(School.code == person["school_code"], SeatPool.language == language)
    ).one()
    assert pool_after == pool_before + 1
