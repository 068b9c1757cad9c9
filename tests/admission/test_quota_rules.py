"""R4: the draft quota computed from last year's 4th grades and this year's 1st grades."""
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.admission.quota import (
    GradeClass,
    class_set_seats,
    compute_campaign_quota,
    compute_quota,
)
from portal.models import LANGUAGES, Campaign

BOUNDS = {"min_seats": 25, "max_seats": 42}


def classes(grade, *rows):
    return [GradeClass(grade, no, language, pupils) for no, (language, pupils) in enumerate(rows, 1)]


languages = st.sampled_from(LANGUAGES)
pupil_counts = st.integers(min_value=0, max_value=80)
grade_lists = st.lists(st.tuples(languages, pupil_counts), max_size=8)


@given(pupils=pupil_counts)
def test_r4_seats_follow_the_three_bands(pupils):
    seats = class_set_seats(pupils, **BOUNDS)
    if pupils > 42:
        assert seats == 42
    elif pupils >= 25:
        assert seats == pupils
    else:
        assert seats == 25


@given(pupils=pupil_counts, low=st.integers(1, 30), span=st.integers(0, 30))
def test_r4_bounds_are_parameters(pupils, low, span):
    seats = class_set_seats(pupils, min_seats=low, max_seats=low + span)
    assert low <= seats <= low + span
    assert seats == pupils or pupils < low or pupils > low + span


def test_r4_bounds_in_the_wrong_order_are_refused():
    with pytest.raises(ValueError):
        class_set_seats(30, min_seats=42, max_seats=25)


@given(fourth=grade_lists, first=grade_lists)
def test_r4_one_class_set_per_base_class(fourth, first):
    draft = compute_quota(classes(4, *fourth) + classes(1, *first), **BOUNDS)
    base = fourth or first
    assert len(draft.class_sets) == len(base)
    assert [c.number for c in draft.class_sets] == list(range(1, len(base) + 1))
    assert [c.base_pupils for c in draft.class_sets] == [pupils for _, pupils in base]
    assert [c.seats for c in draft.class_sets] == [class_set_seats(p, **BOUNDS) for _, p in base]
    assert draft.base_grade == (4 if fourth else 1 if first else None)
    assert all(c.base_grade == draft.base_grade for c in draft.class_sets)


@given(fourth=grade_lists, first=grade_lists)
def test_r4_languages_come_from_this_years_first_grades(fourth, first):
    draft = compute_quota(classes(4, *fourth) + classes(1, *first), **BOUNDS)
    first_languages = [language for language, _ in first]
    for k, class_set in enumerate(draft.class_sets):
        if k < len(first_languages):
            assert class_set.language == first_languages[k]
        elif first_languages:
            counts = Counter(first_languages)
            assert counts[class_set.language] == max(counts.values())
        else:
            assert class_set.language == fourth[k][0]


@given(fourth=grade_lists, first=grade_lists)
def test_r4_state_language_floor_comes_from_the_same_classes_as_the_languages(fourth, first):
    """§11: the floor is last year's intake in Kyrgyz, the 1st grades now running,
    whose languages the class-sets take; without 1st grades, the base's."""
    draft = compute_quota(classes(4, *fourth) + classes(1, *first), **BOUNDS)
    language_source = first or fourth
    assert draft.min_state_language_class_sets == sum(1 for lang, _ in language_source if lang == "ky")


def test_r4_floor_counts_this_years_first_grades_not_last_years_fourth():
    draft = compute_quota(
        classes(4, ("ky", 30), ("ru", 30), ("ru", 30)) + classes(1, ("ky", 30), ("ky", 30), ("ru", 30)),
        **BOUNDS,
    )
    assert [c.language for c in draft.class_sets] == ["ky", "ky", "ru"]
    assert draft.min_state_language_class_sets == 2  # not 1, the Kyrgyz 4th grades


def test_r4_a_draft_may_fall_short_of_the_floor_when_fewer_class_sets_than_first_grades():
    draft = compute_quota(classes(4, ("ru", 30)) + classes(1, ("ru", 30), ("ky", 30)), **BOUNDS)
    assert [c.language for c in draft.class_sets] == ["ru"]
    assert draft.min_state_language_class_sets == 1


@given(fourth=grade_lists, first=grade_lists)
def test_r4_seats_by_language_add_up(fourth, first):
    draft = compute_quota(classes(4, *fourth) + classes(1, *first), **BOUNDS)
    assert sum(draft.seats_by_language().values()) == draft.total_seats
    for class_set in draft.class_sets:
        assert 25 <= class_set.seats <= 42


def test_r4_regulation_example_school_39():
    draft = compute_quota(
        classes(4, ("ky", 41), ("ru", 38), ("ky", 22), ("ky", 18))
        + classes(1, ("ky", 41), ("ky", 44), ("ky", 30), ("ky", 40)),
        **BOUNDS,
    )
    assert [c.seats for c in draft.class_sets] == [41, 38, 25, 25]
    assert [c.language for c in draft.class_sets] == ["ky"] * 4
    assert draft.min_state_language_class_sets == 4  # this year's four 1st grades in Kyrgyz
    assert draft.seats_by_language() == {"ky": 129}


def test_r4_extra_class_sets_take_the_most_common_language_state_language_wins_ties():
    draft = compute_quota(
        classes(4, ("ky", 30), ("ky", 30), ("ky", 30)) + classes(1, ("ru", 30), ("ky", 30)),
        **BOUNDS,
    )
    assert [c.language for c in draft.class_sets] == ["ru", "ky", "ky"]


def test_r4_without_first_grades_the_fourth_grades_language_is_kept():
    draft = compute_quota(classes(4, ("ru", 50), ("ky", 10)), **BOUNDS)
    assert [(c.language, c.seats) for c in draft.class_sets] == [("ru", 42), ("ky", 25)]


def test_r4_new_school_uses_first_grades_as_base():
    draft = compute_quota(classes(1, ("ky", 29), ("ru", 44), ("ky", 33)), **BOUNDS)
    assert draft.base_grade == 1
    assert [(c.language, c.seats) for c in draft.class_sets] == [("ky", 29), ("ru", 42), ("ky", 33)]
    assert draft.min_state_language_class_sets == 2


def test_r4_no_statistics_gives_an_empty_draft():
    draft = compute_quota([], **BOUNDS)
    assert draft.class_sets == () and draft.base_grade is None
    assert draft.seats_by_language() == {}


def test_r4_campaign_policy_sets_the_bounds():
    campaign = Campaign(policy={"class_set_min_seats": 20, "class_set_max_seats": 30})
    draft = compute_campaign_quota(campaign, classes(4, ("ky", 10), ("ky", 35)))
    assert [c.seats for c in draft.class_sets] == [20, 30]
    assert compute_campaign_quota(Campaign(policy={}), classes(4, ("ky", 50))).total_seats == 42
