"""R3 by the statements themselves (issue #19, item 2): a normal seat is taken by
one conditional `UPDATE seat_pools ... WHERE ... taken < seats`, computed by the
database, with no read of the pool before it.

The race tests show no overselling under threads, but on SQLite `BEGIN
IMMEDIATE` serialises every registration, so a read-then-write take
(`taken = what I read + 1`) passes them there and is caught only on
PostgreSQL. The statements a registration sends are the same on both: this
test fails on the default `./run test` as soon as the pool is read first or
the count is computed in Python.
"""
import re

import pytest
from sqlalchemy import event, select

from portal.admission import cancelling, registration
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Applicant
from tests.scenario import STAGE2
from tests.seat_world import build_seat_world, child_pin, parent_pin
from tests.builders import SECRET

READS_THE_POOL = re.compile(r"^\s*(SELECT|WITH)\b.*\b(FROM|JOIN)\s+\"?seat_pools\"?\b", re.S | re.I)
UPDATES_THE_POOL = re.compile(r"^\s*UPDATE\s+\"?seat_pools\"?\s", re.I)
CONDITIONAL = re.compile(r"\bWHERE\b.*\"?seat_pools\"?\.\"?taken\"?\s*<\s*\"?seat_pools\"?\.\"?seats\"?", re.S | re.I)
COMPUTED_BY_THE_DATABASE = re.compile(
    r"\bSET\b.*\btaken\"?\s*=\s*\(?\s*\"?seat_pools\"?\.\"?taken\"?\s*\+", re.S | re.I)


def _one_line(statement):
    return " ".join(statement.split())


@pytest.fixture
def statements(app):
    """Every SQL statement sent while the test's block runs (`with statements() as sent`)."""
    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append(_one_line(statement))

    class Capture:
        def __enter__(self):
            sent.clear()
            event.listen(db.engine, "before_cursor_execute", capture)
            return sent

        def __exit__(self, *exc):
            event.remove(db.engine, "before_cursor_execute", capture)

    return Capture


def _applicant(n):
    return db.session.scalars(select(Applicant).where(Applicant.pin == parent_pin(n))).one()


def _pool_statements(sent):
    return [(i, s) for i, s in enumerate(sent) if "seat_pools" in s]


def assert_one_conditional_take(sent):
    on_pool = _pool_statements(sent)
    assert on_pool, "the registration never touched the seat pool"
    first_index, first = on_pool[0]
    assert UPDATES_THE_POOL.match(first), (
        "the pool was read before the seat was taken (read-then-write can oversell):\n" + first)
    assert CONDITIONAL.search(first), "the seat UPDATE is not conditional on taken < seats:\n" + first
    assert COMPUTED_BY_THE_DATABASE.search(first), "the new count is not computed by the database:\n" + first
    updates = [s for _, s in on_pool if UPDATES_THE_POOL.match(s)]
    assert len(updates) == 1, "more than one UPDATE of the pool:\n" + "\n".join(updates)
    return first_index


def test_r3_a_registration_takes_its_seat_with_one_conditional_update_and_no_read_before(app, statements):
    build_seat_world(now=STAGE2, seats={"S-1": 2}, twins=False, teacher=False)
    applicant = _applicant(0)
    with statements() as sent:
        registration.register(applicant, child_pin(0), "S-1", "ky", now=STAGE2, secret=SECRET)
    assert_one_conditional_take(sent)
    assert not [s for s in sent if READS_THE_POOL.match(s)]
    db.session.commit()


def test_r3_a_full_pool_is_refused_by_the_same_update_not_by_a_read(app, statements):
    build_seat_world(now=STAGE2, seats={"S-1": 1}, twins=False, teacher=False)
    registration.register(_applicant(0), child_pin(0), "S-1", "ky", now=STAGE2, secret=SECRET)
    db.session.commit()
    applicant = _applicant(1)
    with statements() as sent, pytest.raises(AdmissionError) as refused:
        registration.register(applicant, child_pin(1), "S-1", "ky", now=STAGE2, secret=SECRET)
    assert refused.value.code == "no_free_seats"
    take = assert_one_conditional_take(sent)
    # Only after the UPDATE found no free seat may the pool be read (to tell "full" from "no such pool").
    assert all(index > take for index, s in _pool_statements(sent) if READS_THE_POOL.match(s))
    db.session.rollback()


def test_r3_a_move_takes_the_new_seat_the_same_way(app, statements):
    build_seat_world(now=STAGE2, seats={"S-1": 1, "S-2": 1}, twins=False, teacher=False, stage=2)
    applicant = _applicant(0)
    number = registration.register(applicant, child_pin(0), "S-1", "ky", now=STAGE2, secret=SECRET).number
    db.session.commit()
    with statements() as sent:
        cancelling.move(applicant, number, "S-2", "ky", now=STAGE2, secret=SECRET)
    # The old seat is given back by an UPDATE too; the new one is taken conditionally, unread.
    on_pool = _pool_statements(sent)
    assert not [s for _, s in on_pool if READS_THE_POOL.match(s)]
    takes = [s for _, s in on_pool if CONDITIONAL.search(s)]
    assert len(takes) == 1 and COMPUTED_BY_THE_DATABASE.search(takes[0])
    db.session.commit()
