"""R5: the director's allowed changes to a draft quota, confirmation and approval."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.admission import quota_changes as qc
from portal.admission.quota_changes import QuotaChangeRefused
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import ClassSet, School, SchoolQuota, SeatPool
from tests.scenario import load_sample

BISHKEK = timezone(timedelta(hours=6))
BEFORE_DEADLINE = datetime(2026, 3, 20, 12, 0, tzinfo=BISHKEK)
AFTER_DEADLINE = datetime(2026, 3, 28, 0, 1, tzinfo=BISHKEK)


@pytest.fixture
def school(app):
    load_sample()
    return db.session.scalars(select(School).where(School.code == "GB-LEN-039")).one()


def _sets(school):
    return db.session.scalars(select(ClassSet).where(ClassSet.school_id == school.id).order_by(ClassSet.number)).all()


def _seats(school):
    return {p.language: p.seats for p in db.session.scalars(select(SeatPool).where(SeatPool.school_id == school.id))}


def _refused(code, function, *args, **kwargs):
    with pytest.raises(QuotaChangeRefused) as refusal:
        function(*args, **kwargs)
    assert refusal.value.code == code
    assert refusal.value.message  # explained to the director
    db.session.rollback()


def test_r5_director_may_raise_seats_up_to_42_and_not_below_the_computed(school):
    campaign = current_campaign()
    class_set = next(c for c in _sets(school) if c.seats < 42)
    before = _seats(school)[class_set.language]
    qc.change_seats(campaign, class_set, 42, now=BEFORE_DEADLINE)
    assert _seats(school)[class_set.language] == before + 42 - class_set.computed_seats
    _refused("seats_above_max", qc.change_seats, campaign, class_set, 43, now=BEFORE_DEADLINE)
    class_set = db.session.get(ClassSet, class_set.id)
    _refused("seats_below_computed", qc.change_seats, campaign, class_set, class_set.computed_seats - 1, now=BEFORE_DEADLINE)


def test_r5_language_changes_only_towards_kyrgyz(school):
    campaign = current_campaign()
    sets = _sets(school)
    kyrgyz = next(c for c in sets if c.language == "ky")
    _refused("language_only_towards_state", qc.change_language, campaign, kyrgyz, "ru", now=BEFORE_DEADLINE)
    other = next((c for c in _sets(school) if c.language != "ky"), None)
    if other is not None:
        qc.change_language(campaign, other, "ky", now=BEFORE_DEADLINE)
        assert db.session.get(ClassSet, other.id).language == "ky"
        # Back to what R4 computed is allowed while the Kyrgyz floor holds.
        qc.change_language(campaign, other, other.computed_language, now=BEFORE_DEADLINE)


def test_r5_kyrgyz_class_sets_never_below_last_year(school):
    campaign = current_campaign()
    quota = qc.school_quota(campaign, school.id)
    quota.min_state_language_class_sets = sum(1 for c in _sets(school) if c.language == "ky")
    added = qc.add_state_language_class_set(campaign, school.id, now=BEFORE_DEADLINE)
    assert added.language == "ky" and added.seats == 25 and added.added_by_director
    qc.remove_added_class_set(campaign, added, now=BEFORE_DEADLINE)
    computed_other = next((c for c in _sets(school) if c.computed_language != "ky"), None)
    if computed_other is None:  # make one to test the floor with a language change back
        computed_other = _sets(school)[0]
        computed_other.computed_language = "ru"
    computed_other.language = "ky"
    quota.min_state_language_class_sets = sum(1 for c in _sets(school) if c.language == "ky")
    db.session.flush()
    _refused("state_language_minimum", qc.change_language, campaign, computed_other, computed_other.computed_language, now=BEFORE_DEADLINE)


def test_r5_only_added_class_sets_can_be_removed(school):
    campaign = current_campaign()
    _refused("not_added_by_director", qc.remove_added_class_set, campaign, _sets(school)[0], now=BEFORE_DEADLINE)


def test_r5_after_the_deadline_or_confirmation_nothing_changes(school):
    campaign = current_campaign()
    class_set = _sets(school)[0]
    _refused("quota_deadline_passed", qc.change_seats, campaign, class_set, 42, now=AFTER_DEADLINE)
    quota = qc.school_quota(campaign, school.id)
    qc.confirm_by_director(campaign, quota, None, now=BEFORE_DEADLINE)
    assert quota.state == "confirmed_by_director"
    db.session.commit()
    class_set = _sets(school)[0]
    _refused("quota_confirmed", qc.change_seats, campaign, class_set, 42, now=BEFORE_DEADLINE)
    quota = qc.school_quota(campaign, school.id)
    qc.approve_by_district(campaign, quota, None, now=BEFORE_DEADLINE)
    assert quota.state == "approved_by_district"


def test_r5_district_approves_only_a_confirmed_quota(school):
    campaign = current_campaign()
    _refused("not_confirmed_by_director", qc.approve_by_district, campaign, qc.school_quota(campaign, school.id), None, now=BEFORE_DEADLINE)


def test_r5_unconfirmed_quotas_are_confirmed_automatically_once(school):
    campaign = current_campaign()
    qc.confirm_by_director(campaign, qc.school_quota(campaign, school.id), None, now=BEFORE_DEADLINE)
    assert qc.confirm_overdue_quotas(campaign, now=BEFORE_DEADLINE) == []
    drafts = db.session.query(SchoolQuota).filter_by(state="draft").count()
    assert len(qc.confirm_overdue_quotas(campaign, now=AFTER_DEADLINE)) == drafts > 0
    assert qc.confirm_overdue_quotas(campaign, now=AFTER_DEADLINE) == []
    assert qc.school_quota(campaign, school.id).state == "confirmed_by_director"
    assert db.session.query(SchoolQuota).filter_by(state="confirmed_automatically").count() == drafts


def _below_the_floor(school):
    """School 39 as R4 computes it when its 4th class-set's 1st grade is in Russian:
    four class-sets, three in Kyrgyz, while four 1st grades run in Kyrgyz."""
    last = _sets(school)[-1]
    last.language = last.computed_language = "ru"
    db.session.commit()
    quota = qc.school_quota(current_campaign(), school.id)
    assert quota.min_state_language_class_sets == 4
    return quota


def test_r5_both_confirmations_check_the_kyrgyz_floor_with_one_function(school):
    campaign = current_campaign()
    already_short = {q.school_id for q in db.session.scalars(select(SchoolQuota)) if qc.state_language_shortfall(q)}
    quota = _below_the_floor(school)
    assert qc.state_language_shortfall(quota) == 1 and school.id not in already_short
    # The director's confirmation is refused ...
    _refused("state_language_minimum", qc.confirm_by_director, campaign, quota, None, now=BEFORE_DEADLINE)
    # ... the automatic one confirms the quota as it stands and names the shortfall.
    confirmed = dict((q.school_id, shortfall) for q, shortfall in
                     qc.confirm_overdue_quotas(campaign, now=AFTER_DEADLINE))
    assert confirmed[school.id] == 1
    assert {school_id for school_id, shortfall in confirmed.items() if shortfall} == already_short | {school.id}
    quota = qc.school_quota(campaign, school.id)
    assert quota.state == "confirmed_automatically"
    assert [c.language for c in _sets(school)] == ["ky", "ky", "ky", "ru"]  # nothing invented
    assert {q.school_id for q, s in qc.automatically_confirmed_below_floor(campaign)} == already_short | {school.id}
    qc.approve_by_district(campaign, quota, None, now=AFTER_DEADLINE)
    assert {q.school_id for q, s in qc.automatically_confirmed_below_floor(campaign)} == already_short


def test_r5_a_kyrgyz_class_set_added_lifts_the_shortfall(school):
    campaign = current_campaign()
    quota = _below_the_floor(school)
    qc.add_state_language_class_set(campaign, school.id, now=BEFORE_DEADLINE)
    assert qc.state_language_shortfall(quota) == 0
    qc.confirm_by_director(campaign, quota, None, now=BEFORE_DEADLINE)
    assert quota.state == "confirmed_by_director"
