"""R3, R6, R7, R8, R10 against a model (issue #19, item 3): a Hypothesis state
machine registers, cancels and moves children of single parents, twins and a
teacher's child between two small schools, and after every step the database
must agree with a plain Python model of the rules.

The model decides every answer on its own: a normal registration succeeds
exactly while the model has a free seat at that school, and is refused with
`no_free_seats` exactly when it has none (so a pool that sells one seat
short, or one too many, fails at once); a twin whose sibling holds a normal
seat there comes in over the quota (R6, `twins_always_over_quota`); the
teacher's child over the quota at the teacher's school only (R7); a fourth
cancellation of a child, a move included, is refused (R8); a child with an
active application is `already_registered` (R10). A move is all or nothing.

Its size follows the Hypothesis profile (tests/fuzzing.py): `examples(n)` runs
of up to STEPS steps, new runs every CI build.
"""
import copy
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, \
    run_state_machine_as_test
from sqlalchemy import select

from portal.admission import cancelling, registration
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Applicant, Application, School, SeatPool
from tests.fuzzing import examples
from tests.scenario import STAGE2
from tests.seat_world import build_seat_world, child_pin, empty_every_table, parent_pin
from tests.builders import SECRET

SCHOOLS = ("S-1", "S-2")
CANCEL_LIMIT = 3  # the campaign default (R8)
RUNS, STEPS = 30, 30
NOW = STAGE2  # stage 2 is open: any school may be chosen, and moves are allowed


@dataclass
class Model:
    """What the rules say the seats should be; nothing here reads the database."""

    seats: dict
    holding: dict = field(default_factory=dict)  # child -> (school, over the quota)
    cancellations: dict = field(default_factory=dict)  # child -> count (R8)

    def normal_seats_taken(self, school):
        return sum(1 for held, over in self.holding.values() if held == school and not over)

    def over_quota(self, school):
        return sum(1 for held, over in self.holding.values() if held == school and over)

    def has_free_seat(self, school):
        return self.normal_seats_taken(school) < self.seats[school]

    def register(self, child, school, *, twin_of=(), teacher_at=None, as_teacher=False):
        """Apply one registration; returns None (admitted) or the refusal's code."""
        if child in self.holding:
            return "already_registered"
        if as_teacher:
            if school != teacher_at:
                return "document_required"
            self.holding[child] = (school, True)  # R7: over the quota, at the teacher's school
            return None
        if any(self.holding.get(sibling) == (school, False) for sibling in twin_of):
            self.holding[child] = (school, True)  # R6: with a sibling inside the quota
            return None
        if not self.has_free_seat(school):
            return "no_free_seats"
        self.holding[child] = (school, False)
        return None

    def cancel(self, child):
        if self.cancellations.get(child, 0) >= CANCEL_LIMIT:
            return "cancel_limit_reached"
        del self.holding[child]
        self.cancellations[child] = self.cancellations.get(child, 0) + 1
        return None


class SeatMachine(RuleBasedStateMachine):
    @initialize(seats_1=st.integers(1, 3), seats_2=st.integers(1, 3))
    def a_new_campaign(self, seats_1, seats_2):
        db.session.rollback()
        empty_every_table()
        self.world = build_seat_world(now=NOW, seats={"S-1": seats_1, "S-2": seats_2}, stage=2)
        self.twins = self.world.twins[1]
        self.model = Model(seats={"S-1": seats_1, "S-2": seats_2})

    # --- what people do ---------------------------------------------------------
    def _applicant(self, child):
        return db.session.scalars(select(Applicant).where(Applicant.pin == parent_pin(self.world.parent_of(child)))).one()

    def _number(self, child):
        return db.session.scalars(select(Application.number).where(Application.child_pin == child_pin(child),
                                                                   Application.is_active)).one()

    def _twins_of(self, child):
        return tuple(t for t in self.twins if t != child) if child in self.twins else ()

    def _attempt(self, action):
        """Run one action as an edge does: commit on success, roll back on refusal."""
        try:
            action()
        except AdmissionError as error:
            db.session.rollback()
            return error.code
        db.session.commit()
        return None

    def _expect(self, what, expected, got):
        # Shown by --hypothesis-show-statistics: which answers the runs reached.
        event(f"{what}: {expected or 'done'}")
        assert got == expected, f"{what}: the rules say {expected or 'done'}, the system said {got or 'done'}"

    @rule(data=st.data(), school=st.sampled_from(SCHOOLS))
    def register_a_child(self, data, school):
        child = data.draw(st.sampled_from(self.world.children), label="child")
        expected = self.model.register(child, school, twin_of=self._twins_of(child))
        got = self._attempt(lambda: registration.register(self._applicant(child), child_pin(child), school, "ky",
                                                          now=NOW, secret=SECRET))
        self._expect("register a child", expected, got)

    # (A child already registered is tried by `register_a_child`; these two rules
    # spend their steps where something can still happen.)
    @precondition(lambda self: not all(twin in self.model.holding for twin in self.twins))
    @rule(school=st.sampled_from(SCHOOLS))
    def register_the_twins_together(self, school):
        first, second = self.twins
        trial = copy.deepcopy(self.model)
        expected = trial.register(first, school, twin_of=(second,)) or trial.register(second, school, twin_of=(first,))
        if expected is None and trial.holding[second] != (school, True):
            expected = "validation_error"  # the second must come in as a twin
        if expected is None:
            self.model = trial
        got = self._attempt(lambda: registration.register_together(
            self._applicant(first), [child_pin(first), child_pin(second)], school, "ky", now=NOW, secret=SECRET))
        self._expect("register the twins together", expected, got)

    @precondition(lambda self: self.world.teacher[1] not in self.model.holding)
    @rule(school=st.sampled_from(SCHOOLS))
    def register_the_teachers_child_as_a_teachers_child(self, school):
        _, child, teaches_at = self.world.teacher
        expected = self.model.register(child, school, teacher_at=teaches_at, as_teacher=True)
        got = self._attempt(lambda: registration.register(self._applicant(child), child_pin(child), school, "ky",
                                                          now=NOW, category="teacher", secret=SECRET))
        self._expect("register the teacher's child", expected, got)

    @precondition(lambda self: self.model.holding)
    @rule(data=st.data())
    def cancel(self, data):
        child = data.draw(st.sampled_from(sorted(self.model.holding)), label="child")
        expected = self.model.cancel(child)
        number = self._number(child)
        got = self._attempt(lambda: cancelling.cancel(self._applicant(child), number, now=NOW))
        self._expect("cancel", expected, got)

    @precondition(lambda self: self.model.holding)
    @rule(data=st.data())
    def move(self, data):
        child = data.draw(st.sampled_from(sorted(self.model.holding)), label="child")
        school = next(s for s in SCHOOLS if s != self.model.holding[child][0])
        trial = copy.deepcopy(self.model)
        expected = trial.cancel(child) or trial.register(child, school, twin_of=self._twins_of(child))
        if expected is None:
            self.model = trial  # all or nothing
        number = self._number(child)
        got = self._attempt(lambda: cancelling.move(self._applicant(child), number, school, "ky", now=NOW, secret=SECRET))
        self._expect("move", expected, got)

    # --- what must hold after every step -----------------------------------------
    @invariant()
    def the_pools_agree_with_the_model(self):
        if not hasattr(self, "model"):
            return
        rows = db.session.execute(select(School.code, SeatPool.seats, SeatPool.taken, SeatPool.over_quota)
                                  .join(School, School.id == SeatPool.school_id)).all()
        pools = {code: (seats, taken, over) for code, seats, taken, over in rows}
        for school in SCHOOLS:
            seats, taken, over = pools[school]
            assert taken <= seats
            assert (taken, over) == (self.model.normal_seats_taken(school), self.model.over_quota(school)), school

    @invariant()
    def the_applications_agree_with_the_model(self):
        if not hasattr(self, "model"):
            return
        active = db.session.execute(select(Application.child_pin, School.code, Application.over_quota)
                                    .join(School, School.id == Application.school_id)
                                    .where(Application.is_active)).all()
        assert {pin: (code, over) for pin, code, over in active} == {
            child_pin(child): held for child, held in self.model.holding.items()}
        cancelled = db.session.execute(select(Application.child_pin).where(Application.status == "cancelled")).all()
        counted = {}
        for (pin,) in cancelled:
            counted[pin] = counted.get(pin, 0) + 1
        assert counted == {child_pin(child): n for child, n in self.model.cancellations.items() if n}


def test_r3_r6_r7_r8_r10_seats_follow_the_model_whatever_people_do(app):
    run_state_machine_as_test(SeatMachine, settings=settings(
        max_examples=examples(RUNS), stateful_step_count=STEPS, deadline=None,
        suppress_health_check=list(HealthCheck)))
