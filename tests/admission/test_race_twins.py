"""R3 with R6 under concurrency, in both orders (issue #19, item 4): the twins
come first, or race the crowd when one seat is left, or come after the pool
is full. Each racer must get a defined answer (`test_race._race` fails on a
crashed thread), and the answers are counted exactly, not just "some got in"."""
from collections import Counter

from sqlalchemy import func, select

from portal.admission import registration
from portal.extensions import db
from portal.models import Applicant, Application, SeatPool
from tests.admission.test_race import RACE, SCENARIO, STAGE1, _prepare, _race
from tests.builders import SECRET

TWINS = SCENARIO["race_twins"]


def _register_in_turn(families):
    """Registrations one after another, committed; nothing read afterwards (SQLite's lock)."""
    for parent_pin, child_pin in families:
        applicant = db.session.scalars(select(Applicant).where(Applicant.pin == parent_pin)).one()
        registration.register(applicant, child_pin, RACE["school_code"], RACE["language"], now=STAGE1, secret=SECRET)
        db.session.commit()
    db.session.remove()


def _pool(school_id):
    return db.session.scalars(select(SeatPool).where(SeatPool.school_id == school_id,
                                                     SeatPool.language == RACE["language"])).one()


def _twins_active():
    return db.session.scalars(select(Application).where(Application.child_pin.in_(TWINS["child_pins"]),
                                                        Application.is_active)).all()


def _families(start, count):
    return [(f["parent_pin"], [f["child_pin"]]) for f in RACE["families"][start:start + count]]


def test_r3_r6_twins_first_then_the_crowd_takes_the_other_seats(race_app):
    school_id = _prepare(race_app)
    seats = RACE["seats"]
    registration.register_together(
        db.session.scalars(select(Applicant).where(Applicant.pin == TWINS["parent_pin"])).one(),
        TWINS["child_pins"], RACE["school_code"], RACE["language"], now=STAGE1, secret=SECRET)
    db.session.commit()
    db.session.remove()
    crowd = _families(0, 30)
    outcomes = _race(race_app, crowd)
    # One seat went to the first twin; the second is over the quota and took none.
    assert Counter(outcomes) == {"admitted": seats - 1, "no_free_seats": len(crowd) - (seats - 1)}
    pool = _pool(school_id)
    assert (pool.taken, pool.over_quota) == (seats, 1)
    assert sorted(a.over_quota for a in _twins_active()) == [False, True]


def test_r3_r6_twins_race_the_crowd_for_the_last_seat(race_app):
    school_id = _prepare(race_app)
    seats = RACE["seats"]
    _register_in_turn([(parent, children[0]) for parent, children in _families(0, seats - 1)])
    crowd = _families(seats - 1, 10)
    outcomes = _race(race_app, crowd + [(TWINS["parent_pin"], TWINS["child_pins"])])
    # Exactly one submission got the last seat; everyone else was refused, nobody crashed.
    assert Counter(outcomes) == {"admitted": 1, "no_free_seats": len(crowd)}
    pool = _pool(school_id)
    twins = _twins_active()
    if outcomes[-1] == "admitted":
        assert (pool.taken, pool.over_quota) == (seats, 1)
        assert sorted(a.over_quota for a in twins) == [False, True]
    else:
        assert (pool.taken, pool.over_quota) == (seats, 0) and twins == []
    active = db.session.scalar(select(func.count(Application.id)).where(Application.school_id == school_id,
                                                                        Application.is_active))
    assert active == seats + pool.over_quota


def test_r3_r6_the_second_twin_comes_in_over_a_full_pool_while_the_crowd_is_refused(race_app):
    school_id = _prepare(race_app)
    seats = RACE["seats"]
    first, second = TWINS["child_pins"]
    _register_in_turn([(TWINS["parent_pin"], first)]
                      + [(parent, children[0]) for parent, children in _families(0, seats - 1)])
    crowd = _families(seats - 1, 10)
    outcomes = _race(race_app, crowd + [(TWINS["parent_pin"], [second])])
    assert outcomes[-1] == "admitted"  # R6: always, however full the pool
    assert Counter(outcomes) == {"admitted": 1, "no_free_seats": len(crowd)}
    pool = _pool(school_id)
    assert (pool.taken, pool.over_quota) == (seats, 1)
