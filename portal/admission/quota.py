"""Rule R4 (§11 of the 2026 regulation): the draft quota of a school.

Pure functions over plain values: the importer feeds them the grade
statistics of a school and stores what they return; the director's changes
(R5) start from it.

How the regulation is read here:

* Base: last year's 4th-grade classes; the number of class-sets equals their
  number. A new school without 4th grades uses this year's 1st grades as its
  base instead (the regulation's last sentence of §11).
* Seats per class-set from the base class's pupils n: n above the maximum
  (42) gives the maximum, n below the minimum (25) gives the minimum,
  otherwise n. The bounds are campaign policy settings
  (`class_set_min_seats`, `class_set_max_seats`), passed in as parameters.
* Language: §11 takes the languages "from the first grades now running". The
  k-th class-set (by the base's class_no order) takes the language of the k-th
  1st grade (by class_no). When there are more class-sets than 1st grades, the
  extra ones take the most common 1st-grade language; a tie goes to the state
  language (Kyrgyz) if it is among the tied, else to the language of the
  lowest-numbered 1st grade of those tied. Without any 1st grades a class-set
  keeps the language of its own base class.
* `min_state_language_class_sets` (§11: "the number of class-sets in the state
  language may not drop below the previous school year's"): the number of
  Kyrgyz classes among the classes the languages come from, i.e. the 1st
  grades now running (last year's intake), the same data as the languages;
  without any 1st grades, the base classes whose languages the class-sets
  keep. The director may never go below it (R5). The draft itself has fewer
  Kyrgyz class-sets only when there are fewer class-sets than 1st grades and
  the Kyrgyz ones are among those left over; the director's confirmation is
  then refused and the automatic one tells the district
  (`quota_changes.state_language_shortfall`).
"""
from collections import Counter
from dataclasses import dataclass

STATE_LANGUAGE = "ky"


@dataclass(frozen=True)
class GradeClass:
    """One class of the grade statistics (a row of grade_stats.csv)."""

    grade: int  # 4: last year's 4th grade; 1: this year's 1st grade
    class_no: int
    language: str
    pupils: int


@dataclass(frozen=True)
class PlannedClassSet:
    """One class-set of a draft quota."""

    number: int
    language: str
    seats: int
    base_pupils: int
    base_grade: int


@dataclass(frozen=True)
class QuotaDraft:
    """The draft quota of one school: its class-sets and the Kyrgyz floor."""

    class_sets: tuple
    base_grade: int | None  # None: the school has no grade statistics
    min_state_language_class_sets: int

    def seats_by_language(self):
        """Seats per language: the sum of the class-sets' seats."""
        seats = {}
        for class_set in self.class_sets:
            seats[class_set.language] = seats.get(class_set.language, 0) + class_set.seats
        return seats

    @property
    def total_seats(self):
        return sum(class_set.seats for class_set in self.class_sets)


def class_set_seats(pupils, *, min_seats, max_seats):
    """Seats of one class-set whose base class had `pupils` pupils (R4)."""
    if min_seats > max_seats:
        raise ValueError("class_set_min_seats is greater than class_set_max_seats")
    return min(max(pupils, min_seats), max_seats)


def _fallback_language(first_grades):
    counts = Counter(c.language for c in first_grades)
    best = max(counts.values())
    tied = [c.language for c in first_grades if counts[c.language] == best]
    return STATE_LANGUAGE if STATE_LANGUAGE in tied else tied[0]


def compute_quota(classes, *, min_seats, max_seats):
    """The draft quota (R4) of one school from its grade statistics.

    `classes` is an iterable of `GradeClass` (or anything with the attributes
    grade, class_no, language, pupils). Returns a `QuotaDraft`; a school with
    neither 4th nor 1st grades gets an empty draft (no class-sets).
    """
    classes = list(classes)
    fourth = sorted((c for c in classes if c.grade == 4), key=lambda c: c.class_no)
    first = sorted((c for c in classes if c.grade == 1), key=lambda c: c.class_no)
    base, base_grade = (fourth, 4) if fourth else (first, 1)
    if not base:
        return QuotaDraft(class_sets=(), base_grade=None, min_state_language_class_sets=0)

    fallback = _fallback_language(first) if first else None
    class_sets = []
    for k, base_class in enumerate(base):
        if k < len(first):
            language = first[k].language
        else:
            language = fallback or base_class.language
        class_sets.append(
            PlannedClassSet(
                number=k + 1,
                language=language,
                seats=class_set_seats(base_class.pupils, min_seats=min_seats, max_seats=max_seats),
                base_pupils=base_class.pupils,
                base_grade=base_grade,
            )
        )
    return QuotaDraft(
        class_sets=tuple(class_sets),
        base_grade=base_grade,
        # §11: the floor is counted on the classes the languages are taken from.
        min_state_language_class_sets=sum(1 for c in (first or base) if c.language == STATE_LANGUAGE),
    )


def compute_campaign_quota(campaign, classes):
    """`compute_quota` with the class-set bounds of the campaign's policy."""
    return compute_quota(
        classes,
        min_seats=campaign.setting("class_set_min_seats"),
        max_seats=campaign.setting("class_set_max_seats"),
    )
