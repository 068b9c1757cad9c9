"""Pure parts of the admission rules: numbers, calendar, seat arithmetic."""
from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.admission.calendar import add_working_days, quota_deadline, stage_at
from portal.admission.numbers import ALPHABET, application_number, permute, unpermute
from tests import builders

BISHKEK = timezone(timedelta(hours=6))


@given(st.integers(min_value=0, max_value=(1 << 40) - 1), st.binary(min_size=1, max_size=32))
def test_number_permutation_is_a_bijection(value, key):
    assert unpermute(permute(value, key), key) == value


def test_numbers_are_unique_readable_and_do_not_reveal_neighbours():
    numbers = {
        application_number(year="2026-2027", region_code="GB", pool_id=pool, queue_no=q, secret="s")
        for pool in range(1, 30)
        for q in range(1, 200)
    }
    assert len(numbers) == 29 * 199
    sample = application_number(year="2026-2027", region_code="GB", pool_id=1, queue_no=1, secret="s")
    assert sample.startswith("2026-GB-") and len(sample) == len("2026-GB-7KQ4-M2XD")
    assert set(sample[8:].replace("-", "")) <= set(ALPHABET)
    neighbour = application_number(year="2026-2027", region_code="GB", pool_id=1, queue_no=2, secret="s")
    # Consecutive places share no obvious structure.
    assert sum(a == b for a, b in zip(sample[8:], neighbour[8:])) < 6
    other_key = application_number(year="2026-2027", region_code="GB", pool_id=1, queue_no=1, secret="t")
    assert other_key != sample


def test_r5_working_days_skip_weekends_and_holidays():
    # 2026-04-01 is a Wednesday; three working days before is Friday 27 March.
    assert add_working_days(date(2026, 4, 1), -3, []) == date(2026, 3, 27)
    assert add_working_days(date(2026, 4, 1), -3, ["2026-03-30"]) == date(2026, 3, 26)
    assert add_working_days(date(2026, 3, 6), 1, ["2026-03-09"]) == date(2026, 3, 10)


def test_r5_quota_deadline_is_three_working_days_before_stage1(app):
    campaign = builders.create_campaign(stage1_opens=datetime(2026, 4, 1, 10, 0, tzinfo=BISHKEK))
    campaign.holidays = ["2026-03-08", "2026-03-21"]
    deadline = quota_deadline(campaign)
    assert deadline.date() == date(2026, 3, 27) and (deadline.hour, deadline.minute) == (23, 59)


@settings(max_examples=50)
@given(st.integers(min_value=-200, max_value=200))
def test_r2_stages_follow_the_campaign_dates(offset_days):
    class Campaign:
        stage1_opens = datetime(2026, 4, 1, 10, 0, tzinfo=BISHKEK)
        stage2_opens = datetime(2026, 6, 1, 10, 0, tzinfo=BISHKEK)
        registration_closes = datetime(2026, 8, 31, 18, 0, tzinfo=BISHKEK)

    now = Campaign.stage1_opens + timedelta(days=offset_days)
    stage = stage_at(Campaign, now)
    if now < Campaign.stage1_opens:
        assert stage == 0
    elif now < Campaign.stage2_opens:
        assert stage == 1
    elif now < Campaign.registration_closes:
        assert stage == 2
    else:
        assert stage is None


def test_r2_stage1_opens_at_ten_sharp():
    class Campaign:
        stage1_opens = datetime(2026, 4, 1, 10, 0, tzinfo=BISHKEK)
        stage2_opens = datetime(2026, 6, 1, 10, 0, tzinfo=BISHKEK)
        registration_closes = datetime(2026, 8, 31, 18, 0, tzinfo=BISHKEK)

    assert stage_at(Campaign, datetime(2026, 4, 1, 3, 59, 59, tzinfo=timezone.utc)) == 0
    assert stage_at(Campaign, datetime(2026, 4, 1, 4, 0, 0, tzinfo=timezone.utc)) == 1


def test_r11_the_documents_window_opens_on_the_bishkek_day_not_the_utc_day(app):
    """At 01:00 on 4 August in Bishkek it is still 3 August in UTC: a check with
    `now.date()` (the UTC date) kept the window shut for six hours, and the
    portal's clocks are frozen at +06:00 in most tests, which hid it."""
    from portal.admission.calendar import documents_window_open

    campaign = builders.create_campaign()
    campaign.documents_from, campaign.documents_until = date(2026, 8, 4), date(2026, 9, 5)
    opening = datetime(2026, 8, 3, 19, 0, tzinfo=timezone.utc)  # 4 August, 01:00 in Bishkek
    assert opening.date() == date(2026, 8, 3)  # what the old check compared
    assert documents_window_open(campaign, opening)
    assert not documents_window_open(campaign, opening - timedelta(hours=2))  # 3 August, 23:00 in Bishkek
    closing = datetime(2026, 9, 5, 19, 0, tzinfo=timezone.utc)  # 6 September, 01:00 in Bishkek
    assert not documents_window_open(campaign, closing)
