"""R15 (§19): distributing the admitted children of one language into the
school's planned class-sets, with girls and boys balanced and twins together.

A pure function of plain values: no database, no request. `class_lists.py`
feeds it the children and class-sets of a school and stores its answer.

How it works (docs/rules.md, R15):
1. Target sizes. Under the quota the children are spread as evenly as the
   seats allow (water-filling: a class-set full at its seats takes no more).
   Over the quota (teachers' children, twins, commission admissions) every
   class-set is filled to its seats and the rest is spread evenly on top.
2. Twin groups (twins, triplets, quadruplets: two or more children of one
   `twin_group`) go first, largest first, each whole into a class-set with
   room for it under its target (else under its seats), preferring the one
   where its girls and boys upset the balance least; where no class-set has
   room, into the one it leaves least over its seats.
3. The other children fill the class-sets up to their targets; how many girls
   go where is chosen greedily to bring every class-set's girls as close as
   possible to its share (size × girls ÷ children). For this separable convex
   cost the greedy choice is optimal: no exchange of a girl for a boy between
   two class-sets would bring them closer to their shares.
4. Within those numbers children are dealt out in the order of their ids.

Everything is ordered by ids, so the same input gives the same answer in
whatever order it is passed.
"""
from collections import defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable

GIRL, BOY = "F", "M"


@dataclass(frozen=True)
class Child:
    id: Hashable
    sex: str  # "F" or "M", as Application.child_sex
    twin_group: str | None = None


@dataclass(frozen=True)
class ClassPlan:
    id: Hashable
    seats: int


class NoClassSets(ValueError):
    """There are children to place and no class-set to place them in."""


def twin_units(children: Iterable[Child]):
    """The children as units that stay together: twin groups, then single children.

    A twin group of which only one child is here (the others study in another
    language, or left) is a single child.
    """
    groups = defaultdict(list)
    singles = []
    for child in sorted(children, key=_key):
        if child.twin_group:
            groups[child.twin_group].append(child)
        else:
            singles.append(child)
    units = []
    for members in groups.values():
        if len(members) > 1:
            units.append(members)
        else:
            singles.extend(members)
    units.sort(key=lambda members: (-len(members), _key(members[0])))
    return units, sorted(singles, key=_key)


def target_sizes(total: int, seats: list[int]):
    """How many children each class-set should get: as even as the seats allow."""
    k = len(seats)
    capacity = sum(seats)
    if total > capacity:
        extra = total - capacity
        return [s + extra // k + (1 if i < extra % k else 0) for i, s in enumerate(seats)]
    targets = [0] * k
    for _ in range(total):
        i = min((i for i in range(k) if targets[i] < seats[i]), key=lambda i: (targets[i], i))
        targets[i] += 1
    return targets


def distribute(children: Iterable[Child], class_sets: Iterable[ClassPlan]) -> dict:
    """{child id: class-set id} for every child; see the module's description."""
    children = list(children)
    plans = sorted(class_sets, key=_key)
    if not children:
        return {}
    if not plans:
        raise NoClassSets("no class-sets")
    k, total = len(plans), len(children)
    seats = [plan.seats for plan in plans]
    targets = target_sizes(total, seats)
    girls_total = sum(1 for child in children if child.sex == GIRL)
    size, girls = [0] * k, [0] * k
    answer = {}

    def overshoot(i, add_girls, add_boys):
        # How far a class-set's girls or boys would go past its share of each (× total).
        g, b = girls[i] + add_girls, size[i] - girls[i] + add_boys
        return (max(0, g * total - targets[i] * girls_total)
                + max(0, b * total - targets[i] * (total - girls_total)))

    units, singles = twin_units(children)
    for members in units:
        n = len(members)
        n_girls = sum(1 for child in members if child.sex == GIRL)
        fitting = ([i for i in range(k) if targets[i] - size[i] >= n]
                   or [i for i in range(k) if seats[i] - size[i] >= n])
        if fitting:
            i = min(fitting, key=lambda i: (overshoot(i, n_girls, n - n_girls), size[i] - targets[i], i))
        else:
            # No class-set has room for the whole group: the one it leaves least over its seats.
            i = min(range(k), key=lambda i: (size[i] + n - seats[i], overshoot(i, n_girls, n - n_girls), i))
        for child in members:
            answer[child.id] = plans[i].id
        size[i] += n
        girls[i] += n_girls

    # How many of the single children each class-set takes.
    takes = [0] * k
    for _ in singles:
        i = max(range(k), key=lambda i: (targets[i] - size[i] - takes[i] > 0,
                                         size[i] + takes[i] < seats[i],
                                         targets[i] - size[i] - takes[i], -i))
        takes[i] += 1
    final = [size[i] + takes[i] for i in range(k)]

    # How many of them are girls: greedily where the girls are furthest below their share.
    single_girls = [child for child in singles if child.sex == GIRL]
    single_boys = [child for child in singles if child.sex != GIRL]
    girl_places = [0] * k
    for _ in single_girls:
        i = max((i for i in range(k) if girl_places[i] < takes[i]),
                key=lambda i: (final[i] * girls_total - (girls[i] + girl_places[i]) * total, -i))
        girl_places[i] += 1
    boy_places = [takes[i] - girl_places[i] for i in range(k)]

    _deal(single_girls, girl_places, plans, answer)
    _deal(single_boys, boy_places, plans, answer)
    return answer


def _deal(children, places, plans, answer):
    """Children in id order, one to each class-set in turn while it has places left."""
    left = list(places)
    i = 0
    for child in children:
        while left[i] == 0:
            i = (i + 1) % len(left)
        answer[child.id] = plans[i].id
        left[i] -= 1
        i = (i + 1) % len(left)


def _key(item):
    # Ids are compared as (type, value) so that ints and strings never meet.
    return (type(item.id).__name__, item.id)


def place_among(children: Iterable[Child], classes_now: Iterable[tuple[ClassPlan, int, int]]) -> dict:
    """{child id: class-set id} for children added to classes that keep the children
    they have (`classes_now`: (class-set, children in it, girls among them)), as
    after an enrolment order: those enrolled stay where the order put them.

    Twin groups first (largest first), then single children in id order; each
    goes where it leaves the class least over its seats, then into the smallest
    class, then where its sex is the furthest below the class's share.
    """
    state = sorted(([plan, size, girls] for plan, size, girls in classes_now), key=lambda row: _key(row[0]))
    children = list(children)
    if not children:
        return {}
    if not state:
        raise NoClassSets("no class-sets")
    units, singles = twin_units(children)
    answer = {}
    for members in units + [[child] for child in singles]:
        n = len(members)
        n_girls = sum(1 for child in members if child.sex == GIRL)

        def cost(row):
            plan, size, girls = row
            over = max(0, size + n - plan.seats)
            # How far the class's girls would lie from half of it (× 2): balance within the class.
            imbalance = abs(2 * (girls + n_girls) - (size + n))
            return (over, size, imbalance)

        row = min(state, key=cost)
        for child in members:
            answer[child.id] = row[0].id
        row[1] += n
        row[2] += n_girls
    return answer
