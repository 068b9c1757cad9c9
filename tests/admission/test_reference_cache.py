"""The running campaign and the schools kept per process (portal/admission/reference.py):
a kept copy costs no query, a change made here is seen at once, a change made
elsewhere within REFERENCE_CACHE_SECONDS."""
from sqlalchemy import event, select, text, update

from portal.admission import reference
from portal.extensions import db
from portal.models import School

SCHOOL = "GB-LEN-039"


def _statements():
    seen = []
    event.listen(db.engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


def test_a_kept_school_and_campaign_cost_no_query(sample):
    reference.school(SCHOOL), reference.campaign()
    db.session.remove()
    seen = _statements()
    school, campaign = reference.school(SCHOOL), reference.campaign()
    assert school.code == SCHOOL and school.district.region.code and campaign.year
    assert [s for s in seen if not s.startswith(("BEGIN", "PRAGMA"))] == []
    assert school in db.session  # the request's own copy, not the shared one


def test_a_change_made_in_this_process_is_seen_at_once(sample):
    assert reference.school(SCHOOL).participates
    db.session.scalars(select(School).where(School.code == SCHOOL)).one().participates = False
    db.session.commit()
    db.session.remove()
    assert not reference.school(SCHOOL).participates
    db.session.execute(update(School).where(School.code == SCHOOL).values(participates=True))
    db.session.commit()
    db.session.remove()
    assert reference.school(SCHOOL).participates


def test_a_change_made_elsewhere_is_seen_after_the_configured_seconds(sample, monkeypatch):
    assert reference.school(SCHOOL).participates
    # Another process (a plain SQL statement: no session event here) switches the school off.
    db.session.execute(text("UPDATE schools SET participates = false WHERE code = :code"), {"code": SCHOOL})
    db.session.commit()
    db.session.remove()
    assert reference.school(SCHOOL).participates  # still the kept copy
    clock = reference.time.monotonic() + sample.config["REFERENCE_CACHE_SECONDS"] + 1
    monkeypatch.setattr(reference.time, "monotonic", lambda: clock)
    db.session.remove()
    assert not reference.school(SCHOOL).participates


def test_nothing_is_kept_when_the_setting_is_zero(sample):
    sample.config["REFERENCE_CACHE_SECONDS"] = 0
    reference.school(SCHOOL)
    db.session.remove()
    seen = _statements()
    reference.school(SCHOOL)
    assert any("schools" in s for s in seen)
