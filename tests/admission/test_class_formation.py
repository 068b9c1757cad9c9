"""R15 (§19): class formation. The distribution as a pure function (properties
checked by Hypothesis), then distributing, moving and locking with the
database: who counts, what a lock forbids (in the domain and in the database),
what happens to a child who leaves, and the audit trail of every change."""
from collections import Counter, defaultdict
from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from portal.admission import class_lists
from portal.admission.class_lists import ClassListRefused
from portal.admission.classes import Child, ClassPlan, NoClassSets, distribute, place_among
from portal.admission.status import change_status
from portal.audit import acting_as
from portal.extensions import db
from portal.models import AuditEntry, ClassAssignment, ClassList, ClassSet
from tests import builders

NOW = datetime(2026, 8, 25, 4, 0, tzinfo=timezone.utc)


# --- the pure distribution ---------------------------------------------------------------
@st.composite
def classrooms(draw, seats=st.integers(1, 42)):
    """Children (twin groups of 1-4, random sexes) and 1-5 class-sets."""
    k = draw(st.integers(1, 5))
    plans = [ClassPlan(100 + i, draw(seats)) for i in range(k)]
    units = draw(st.lists(st.lists(st.sampled_from("FM"), min_size=1, max_size=4), max_size=60))
    children, next_id = [], 0
    for group, sexes in enumerate(units):
        for sex in sexes:
            next_id += 1
            children.append(Child(next_id, sex, f"G{group}" if len(sexes) > 1 else None))
    return children, plans


def facts(children, plans, answer):
    size = Counter(answer.values())
    girls = Counter(answer[child.id] for child in children if child.sex == "F")
    groups = Counter(child.twin_group for child in children if child.twin_group)
    largest_group = max(groups.values(), default=1)
    return ({plan.id: size[plan.id] for plan in plans}, {plan.id: girls[plan.id] for plan in plans},
            groups, largest_group)


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@PROPERTY
@given(classrooms())
def test_r15_every_child_is_placed_once_and_twins_share_a_class(world):
    children, plans = world
    answer = distribute(children, plans)
    assert sorted(answer) == sorted(child.id for child in children)
    assert set(answer.values()) <= {plan.id for plan in plans}
    classes_of_group = defaultdict(set)
    for child in children:
        if child.twin_group:
            classes_of_group[child.twin_group].add(answer[child.id])
    assert all(len(found) == 1 for found in classes_of_group.values())


@PROPERTY
@given(classrooms())
# Found by Hypothesis in CI: two pairs of twins and no class-set with room for a pair
# went both into the first class-set instead of one each.
@example(([Child(1, "F", "G0"), Child(2, "F", "G0"), Child(3, "F", "G1"), Child(4, "F", "G1")],
          [ClassPlan(100, 2), ClassPlan(101, 1)]))
def test_r15_class_sizes_stay_within_seats_when_possible_and_even_otherwise(world):
    children, plans = world
    size, _girls, _groups, largest = facts(children, plans, distribute(children, plans))
    total, seats, k = len(children), sum(plan.seats for plan in plans), len(plans)
    if total + k * (largest - 1) <= seats:
        # Room enough for any twin group wherever it lands: nobody over the seats.
        assert all(size[plan.id] <= plan.seats for plan in plans), size
    if total > seats:
        # Over the quota (R6, R7, R12): the extra children spread evenly.
        over = [size[plan.id] - plan.seats for plan in plans]
        assert max(over) - min(over) <= largest, over
    else:
        # Under it: as even as the seats allow.
        for small in plans:
            for big in plans:
                assert size[big.id] - size[small.id] <= largest or size[small.id] > small.seats - largest, size


@PROPERTY
@given(classrooms())
def test_r15_girls_and_boys_are_balanced_across_classes(world):
    """No exchange of a single girl for a single boy between two classes would
    bring their girls closer to each class's share (size × girls ÷ children)."""
    children, plans = world
    answer = distribute(children, plans)
    size, girls, groups, _largest = facts(children, plans, answer)
    total, all_girls = len(children), sum(child.sex == "F" for child in children)
    single_sexes = defaultdict(set)
    for child in children:
        if groups.get(child.twin_group, 1) == 1:
            single_sexes[answer[child.id]].add(child.sex)
    # A class's distance from its share, times the number of children (integers).
    distance = {plan.id: girls[plan.id] * total - size[plan.id] * all_girls for plan in plans}
    for more in plans:
        for fewer in plans:
            if "F" in single_sexes[more.id] and "M" in single_sexes[fewer.id]:
                assert distance[more.id] - distance[fewer.id] <= total, (distance, total)


@PROPERTY
@given(classrooms(), st.randoms(use_true_random=False))
def test_r15_distribution_is_deterministic_whatever_the_order_given(world, random):
    children, plans = world
    answer = distribute(children, plans)
    random.shuffle(children)
    random.shuffle(plans)
    assert distribute(children, plans) == answer


@PROPERTY
@given(classrooms(seats=st.integers(25, 42)))
def test_r15_with_real_class_sizes_equal_classes_differ_by_at_most_one_girl(world):
    """With the seats R4 gives (25-42) and classes of equal seats and enough
    single girls and boys everywhere, girls and boys differ by at most one."""
    children, plans = world
    plans = [ClassPlan(plan.id, plans[0].seats) for plan in plans]
    answer = distribute(children, plans)
    size, girls, groups, _largest = facts(children, plans, answer)
    singles = defaultdict(Counter)
    for child in children:
        if groups.get(child.twin_group, 1) == 1:
            singles[answer[child.id]][child.sex] += 1
    if len(set(size.values())) == 1 and all(singles[plan.id]["F"] and singles[plan.id]["M"] for plan in plans):
        assert max(girls.values()) - min(girls.values()) <= 1
        boys = [size[plan.id] - girls[plan.id] for plan in plans]
        assert max(boys) - min(boys) <= 1


def test_r15_fifty_children_into_two_classes_of_twenty_five():
    children = [Child(i, "F" if i <= 26 else "M") for i in range(1, 51)]
    children[0] = Child(1, "F", "twins-a")
    children[1] = Child(2, "M", "twins-a")
    children[30] = Child(31, "M", "triplets")
    children[31] = Child(32, "M", "triplets")
    children[32] = Child(33, "F", "triplets")
    answer = distribute(children, [ClassPlan("1-А", 25), ClassPlan("1-Б", 25)])
    assert Counter(answer.values()) == {"1-А": 25, "1-Б": 25}
    girls = Counter(answer[child.id] for child in children if child.sex == "F")
    assert sorted(girls.values()) == [13, 13]  # 26 girls (ids 1, 3-26, 33), 24 boys
    assert answer[1] == answer[2] and answer[31] == answer[32] == answer[33]


def test_r15_classes_are_filled_evenly_not_one_after_the_other():
    answer = distribute([Child(i, "F" if i % 2 else "M") for i in range(40)],
                        [ClassPlan(1, 30), ClassPlan(2, 30)])
    assert Counter(answer.values()) == {1: 20, 2: 20}


def test_r15_children_without_a_class_set_cannot_be_placed():
    assert distribute([], []) == {}
    with pytest.raises(NoClassSets):
        distribute([Child(1, "F")], [])


# --- with the database -------------------------------------------------------------------
NAMES = [("Үсөнов", "Аңыз", "M"), ("Өмүрова", "Айгерим", "F"), ("Абдыкадыров", "Нурбек", "M"),
         ("Жумабаева", "Айжан", "F"), ("Токтосунов", "Бекжан", "M"), ("Садыкова", "Мээрим", "F")]


class School:
    """A school of the campaign with class-sets, and helpers to admit children to it."""

    def __init__(self, *, class_sets=((1, "ky", 25), (2, "ky", 25)), campaign=None):
        # The 2026 documents window: a list is locked only once it has opened (NOW lies within it).
        self.campaign = campaign or builders.create_campaign(documents_from=date(2026, 8, 4),
                                                             documents_until=date(2026, 9, 5))
        self.school = builders.create_school()
        self.class_sets = []
        for number, language, seats in class_sets:
            class_set = ClassSet(campaign=self.campaign, school=self.school, number=number, language=language,
                                 seats=seats)
            db.session.add(class_set)
            self.class_sets.append(class_set)
        self.director = builders.create_staff_user(role="director", school=self.school)
        db.session.flush()
        self._n = 0

    def admit(self, *, sex=None, twin_group=None, language="ky", status="registered", last_name=None):
        last, first, default_sex = NAMES[self._n % len(NAMES)]
        self._n += 1
        application = builders.create_application(campaign=self.campaign, school=self.school,
                                                  language=language, status=status)
        application.child_sex = sex or default_sex
        application.child_last_name = last_name or f"{last}{self._n:02d}"
        application.child_first_name = first
        application.twin_group = twin_group
        db.session.flush()
        return application

    def placed(self):
        rows = db.session.scalars(select(ClassAssignment).where(ClassAssignment.school_id == self.school.id))
        return {row.application_id: row.class_set_id for row in rows}

    def distribute(self, language="ky"):
        return class_lists.distribute(self.campaign, self.school.id, language, now=NOW)

    def lock(self):
        return class_lists.lock(self.campaign, self.school.id, self.director.id, now=NOW)


def test_r15_admitted_children_are_those_with_an_active_application(app):
    school = School()
    counted = [school.admit(status=status) for status in
               ("registered", "documents_received", "enrolled", "admitted_by_commission")]
    for status in ("cancelled", "documents_missing", "transferred_to_special_school"):
        school.admit(status=status)
    school.distribute()
    assert sorted(school.placed()) == sorted(application.id for application in counted)


def test_r15_distribution_balances_girls_and_boys_and_keeps_twins_together(app):
    school = School()
    twins = [school.admit(sex="F", twin_group="T-1"), school.admit(sex="M", twin_group="T-1")]
    others = [school.admit(sex="F" if i % 2 else "M") for i in range(20)]
    assert school.distribute() == 22
    placed = school.placed()
    assert placed[twins[0].id] == placed[twins[1].id]
    for class_set in school.class_sets:
        members = [a for a in twins + others if placed[a.id] == class_set.id]
        assert len(members) == 11
        assert abs(sum(a.child_sex == "F" for a in members) - sum(a.child_sex == "M" for a in members)) <= 1


def test_r15_each_language_goes_into_its_own_class_sets(app):
    school = School(class_sets=((1, "ky", 25), (2, "ru", 25), (3, "ru", 25)))
    kyrgyz = [school.admit() for _ in range(3)]
    russian = [school.admit(language="ru") for _ in range(4)]
    school.distribute("ky")
    assert set(school.placed()) == {a.id for a in kyrgyz}
    school.distribute("ru")
    placed = school.placed()
    assert {placed[a.id] for a in russian} == {school.class_sets[1].id, school.class_sets[2].id}
    assert {placed[a.id] for a in kyrgyz} == {school.class_sets[0].id}


def test_r15_a_language_without_class_sets_is_refused(app):
    school = School()
    school.admit(language="ru")
    with pytest.raises(ClassListRefused) as refusal:
        school.distribute("ru")
    assert refusal.value.code == "no_class_sets"


def test_r15_the_director_moves_a_child_within_its_language_only(app):
    school = School(class_sets=((1, "ky", 25), (2, "ky", 25), (3, "ru", 25)))
    child = school.admit()
    school.distribute()
    target = next(s for s in school.class_sets[:2] if s.id != school.placed()[child.id])
    row = class_lists.move(school.campaign, child, target, now=NOW)
    assert row.by_hand and school.placed()[child.id] == target.id
    for wrong in (school.class_sets[2], School(campaign=school.campaign).class_sets[0]):  # another language, another school
        with pytest.raises(ClassListRefused) as refusal:
            class_lists.move(school.campaign, child, wrong, now=NOW)
        assert refusal.value.code == "wrong_class_set"
    assert school.placed()[child.id] == target.id


def test_r15_distributing_again_redoes_the_hand_moves(app):
    school = School()
    children = [school.admit() for _ in range(4)]
    school.distribute()
    planned = school.placed()
    moved = children[0]
    other = next(s for s in school.class_sets if s.id != planned[moved.id])
    class_lists.move(school.campaign, moved, other, now=NOW)
    assert school.distribute() == 1
    assert school.placed() == planned


def test_r15_a_child_admitted_later_is_placed_by_hand_or_by_distributing_again(app):
    school = School()
    [school.admit() for _ in range(3)]
    school.distribute()
    late = school.admit()
    with pytest.raises(ClassListRefused) as refusal:
        school.lock()
    assert refusal.value.code == "children_not_placed" and "1" in refusal.value.message
    class_lists.move(school.campaign, late, school.class_sets[0], now=NOW)
    assert school.lock().locked


def test_r15_an_empty_list_is_not_locked(app):
    school = School()
    with pytest.raises(ClassListRefused) as refusal:
        school.lock()
    assert refusal.value.code == "no_children"


def test_r15_a_cancelled_child_leaves_its_class_while_the_list_is_open(app):
    school = School()
    child, other = school.admit(), school.admit()
    school.distribute()
    change_status(child, "cancelled", by="applicant")
    assert set(school.placed()) == {other.id}
    school.lock()  # nobody left unplaced


def test_r15_after_the_lock_a_child_who_leaves_stays_on_the_locked_list_marked(app):
    school = School()
    child, other = school.admit(), school.admit()
    school.distribute()
    school.lock()
    change_status(child, "documents_missing", by="system", note="R11")
    assert set(school.placed()) == {child.id, other.id}
    (view,) = class_lists.school_classes(school.campaign, school.school.id)
    assert view.left == [child]
    assert child in [c for cls in view.classes for c in cls.children]


def test_r15_after_the_lock_nobody_changes_the_list_through_the_domain(app):
    school = School()
    child = school.admit()
    school.distribute()
    school.lock()
    late = school.admit()
    for attempt in (lambda: school.distribute(),
                    lambda: class_lists.move(school.campaign, child, school.class_sets[1], now=NOW),
                    lambda: class_lists.move(school.campaign, late, school.class_sets[1], now=NOW),
                    lambda: school.lock()):
        with pytest.raises(ClassListRefused) as refusal:
            attempt()
        assert refusal.value.code == "class_list_locked"
    (view,) = class_lists.school_classes(school.campaign, school.school.id)
    assert view.not_placed == [late]  # admitted after the lock: in no class, shown apart


@pytest.mark.parametrize("statement", [
    "UPDATE class_assignments SET class_set_id = :other WHERE application_id = :child",
    "DELETE FROM class_assignments WHERE application_id = :child",
    "INSERT INTO class_assignments (campaign_id, school_id, class_set_id, application_id, by_hand, placed_at) "
    "VALUES (:campaign, :school, :other, :late, false, CURRENT_TIMESTAMP)",
    "UPDATE class_lists SET locked_at = NULL WHERE school_id = :school",
    "DELETE FROM class_lists WHERE school_id = :school",
])
def test_r15_after_the_lock_the_database_refuses_any_change(app, statement):
    school = School()
    child = school.admit()
    school.distribute()
    school.lock()
    late = school.admit()
    db.session.commit()
    values = {"other": school.class_sets[1].id, "child": child.id, "late": late.id,
              "campaign": school.campaign.id, "school": school.school.id}
    with pytest.raises(DatabaseError, match="locked"):
        db.session.execute(text(statement), values)
    db.session.rollback()
    assert school.placed() == {child.id: school.class_sets[0].id}
    assert class_lists.is_locked(school.campaign, school.school.id)


def test_r15_another_school_is_not_locked_by_a_lock(app):
    first = School()
    second = School(campaign=first.campaign)
    first.admit(), second.admit()
    first.distribute()
    first.lock()
    second.distribute()  # still open
    assert not class_lists.is_locked(second.campaign, second.school.id)


def test_r15_every_change_is_in_the_audit_trail(app):
    school = School()
    child = school.admit()
    school.admit()
    db.session.commit()

    def entries(entity):
        return db.session.scalars(select(AuditEntry).where(AuditEntry.entity == entity)
                                  .order_by(AuditEntry.id)).all()

    with acting_as("staff:1", 1):
        school.distribute()
        class_lists.move(school.campaign, child, school.class_sets[1], now=NOW)
        school.lock()
        db.session.commit()
    placements = entries("class_assignments")
    assert [e.action for e in placements][:2] == ["insert", "insert"]
    assert placements[-1].action == "update" and placements[-1].after["by_hand"] is True
    assert all(e.school_id == school.school.id and e.actor == "staff:1" for e in placements)
    lock = entries("class_lists")[-1]
    assert lock.action == "update" and lock.after["locked_by_id"] == school.director.id
    assert db.session.scalar(select(func.count()).select_from(ClassList)) == 1


def test_r15_after_an_order_newcomers_join_the_classes_around_those_enrolled():
    """`place_among`: twins stay together, the smallest class fills first, seats are kept."""
    classes_now = [(ClassPlan(100, 25), 24, 12), (ClassPlan(101, 25), 20, 10)]
    answer = place_among([Child(1, "F", "G"), Child(2, "M", "G"), Child(3, "F"), Child(4, "M")], classes_now)
    assert answer[1] == answer[2] == 101  # the twins, into the class with room for both
    assert Counter(answer.values()) == {101: 4}  # 24 + 0 and 20 + 4: the smaller class takes them
    assert place_among([], classes_now) == {}
    with pytest.raises(NoClassSets):
        place_among([Child(1, "F")], [])
