"""Break the code on purpose and see the guards fail (docs/testing.md, issue #19).

    .venv/bin/python -m tests.mutations --list        # the catalogue
    .venv/bin/python -m tests.mutations               # every mutation (about 20 minutes)
    .venv/bin/python -m tests.mutations seat-one-short audit-end-cut-off

Each mutation replaces one piece of source text, runs the tests that must
catch it (`pytest -x`), prints KILLED or SURVIVED, and puts the source back
(also when interrupted). Exit status 1 when any survived. It edits the working
tree while it runs: do not edit or run tests in the same tree meanwhile. A
mutation whose text is no longer found is reported as STALE: the code moved,
update the catalogue (and docs/testing.md) with it.
"""
import argparse
import os
import subprocess
import sys
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Mutation:
    name: str
    what: str
    tests: list
    path: str = None
    old: str = None
    new: str = None
    env: dict = field(default_factory=dict)


TAKE = ".where(*_pool_filter(campaign_id, school_id, language), SeatPool.taken < SeatPool.seats)"
TAKE_UPDATE_HEAD = "        update(SeatPool)\n        " + TAKE
TAKE_UPDATE = """    row = db.session.execute(
        update(SeatPool)
        .where(*_pool_filter(campaign_id, school_id, language), SeatPool.taken < SeatPool.seats)
        .values(taken=SeatPool.taken + 1, issued=SeatPool.issued + 1)
        .returning(SeatPool.id, SeatPool.issued, SeatPool.taken + SeatPool.over_quota)
        .execution_options(synchronize_session=False)
    ).first()
    return Seat(*row) if row else None"""
READ_THEN_WRITE = """    pool = db.session.execute(select(SeatPool.id, SeatPool.taken, SeatPool.seats, SeatPool.issued,
                                     SeatPool.over_quota).where(*_pool_filter(campaign_id, school_id, language))).first()
    if pool is None or pool.taken >= pool.seats:
        return None
    db.session.execute(update(SeatPool).where(SeatPool.id == pool.id)
                       .values(taken=pool.taken + 1, issued=pool.issued + 1)
                       .execution_options(synchronize_session=False))
    return Seat(pool.id, pool.issued + 1, pool.taken + 1 + pool.over_quota)"""
AUDIT_SCOPE = "        return or_(AuditEntry.district_id == scope.district_id,\n"

CATALOGUE = [
    # 1. The end of the audit trail (R13)
    Mutation("audit-no-anchor", "a seal run anchors nothing", ["tests/audit/test_audit_anchors.py"],
             "portal/audit_chain.py", "    _anchor(after_id, previous_hash, now=now)\n    return sealed",
             "    return sealed"),
    Mutation("audit-end-cut-off", "verify ignores the anchors (a cut-off end verifies)", ["tests/audit/test_audit_anchors.py"],
             "portal/audit_chain.py",
             "    broken = _first_anchor_disagreeing() or _first_outside_anchor_disagreeing(anchors)",
             "    broken = None"),
    Mutation("audit-unsealed-deleted", "verify ignores which entries an anchor saw after the head",
             ["tests/audit/test_audit_anchors.py"], "portal/audit_chain.py",
             "    return (gone.newest_entry_id, UNSEALED_DELETED) if gone is not None else None", "    return None"),
    Mutation("audit-outside-anchors-ignored", "verify --anchors ignores the anchors kept outside",
             ["tests/audit/test_audit_anchors.py"], "portal/audit_chain.py",
             "_first_anchor_disagreeing() or _first_outside_anchor_disagreeing(anchors)",
             "_first_anchor_disagreeing()"),
    Mutation("audit-anchor-of-a-rollback", "an anchor rolled back is still logged at the next commit",
             ["tests/audit/test_audit_anchors.py"], "portal/audit_chain.py",
             "    session.info.pop(_TO_PUBLISH, None)", "    pass"),
    Mutation("audit-unsealed-not-reported", "verify does not count the entries not sealed yet",
             ["tests/audit/test_audit_anchors.py"], "portal/audit_chain.py",
             "    verdict.unsealed = unsealed_count(now=now, settle=timedelta(0))", "    verdict.unsealed = 0"),
    # 2. The seat is taken by one conditional UPDATE (R3)
    Mutation("seat-read-then-write", "the seat taken as 'read the pool, write taken + 1'",
             ["tests/admission/test_seat_statements.py"], "portal/admission/seats.py", TAKE_UPDATE, READ_THEN_WRITE),
    Mutation("seat-read-first", "the pool read before the conditional UPDATE",
             ["tests/admission/test_seat_statements.py"], "portal/admission/seats.py", "    row = db.session.execute(\n" + TAKE_UPDATE_HEAD,
             "    db.session.execute(select(SeatPool.taken).where(*_pool_filter(campaign_id, school_id, language)))\n"
             "    row = db.session.execute(\n" + TAKE_UPDATE_HEAD),
    Mutation("seat-unconditional", "the UPDATE without taken < seats (the CHECK left to refuse)",
             ["tests/admission/test_seat_statements.py"], "portal/admission/seats.py", TAKE,
             ".where(*_pool_filter(campaign_id, school_id, language))"),
    Mutation("race-on-sqlite", "the PostgreSQL pass runs the race tests on SQLite", ["tests/admission/test_race.py"],
             env={"MEKTEP_REQUIRE_POSTGRES": "1", "DATABASE_URL": ""}),
    # 3. The seat model (R3, R6, R7, R8, R10); a failing state machine shrinks for a few minutes
    Mutation("seat-one-short", "a pool sells one seat short (taken < seats - 1)", ["tests/admission/test_seat_model.py"],
             "portal/admission/seats.py", TAKE,
             ".where(*_pool_filter(campaign_id, school_id, language), SeatPool.taken < SeatPool.seats - 1)"),
    Mutation("seat-one-too-many", "a pool sells one seat too many (taken <= seats)", ["tests/admission/test_seat_model.py"],
             "portal/admission/seats.py", TAKE,
             ".where(*_pool_filter(campaign_id, school_id, language), SeatPool.taken <= SeatPool.seats)"),
    Mutation("twins-not-recognised", "R6: a twin is never recognised", ["tests/admission/test_seat_model.py"],
             "portal/admission/registration.py", "    if not siblings:\n        return None",
             "    if True:\n        return None"),
    Mutation("teacher-inside-quota", "R7: a teacher's child takes a normal seat", ["tests/admission/test_seat_model.py"],
             "portal/admission/registration.py",
             '            proof = document\n        over_quota = True',
             '            proof = document\n        over_quota = False'),
    Mutation("fourth-cancellation", "R8: a fourth cancellation is allowed", ["tests/admission/test_seat_model.py"],
             "portal/admission/cancelling.py",
             "    if cancellations_used(campaign.id, application.child_pin) >= limit:",
             "    if cancellations_used(campaign.id, application.child_pin) > limit:"),
    Mutation("seat-never-released", "a cancelled or moved application keeps its seat", ["tests/admission/test_seat_model.py"],
             "portal/admission/seats.py", "        .values({counter.key: counter - 1})",
             "        .values({counter.key: counter})"),
    # 4. Racers must get a defined answer
    Mutation("racers-crash", "refused racers crash with an IntegrityError instead of no_free_seats",
             ["tests/admission/test_race.py", "tests/admission/test_race_twins.py"], "portal/admission/registration.py",
             '        raise AdmissionError("no_free_seats")\n    application = new_application(',
             '        raise IntegrityError("UPDATE seat_pools", {}, Exception("crash"))\n'
             '    application = new_application('),
    Mutation("twin-over-quota-takes-a-seat", "R6: the over-quota twin counts against the quota",
             ["tests/admission/test_race_twins.py"], "portal/admission/seats.py",
             "        .values(over_quota=SeatPool.over_quota + 1, issued=SeatPool.issued + 1)",
             "        .values(taken=SeatPool.taken + 1, issued=SeatPool.issued + 1)"),
    # 5. Only R10's index means already_registered
    Mutation("any-integrity-error-is-already-registered", "every IntegrityError answered as already_registered",
             ["tests/admission/test_registration_constraints.py"], "portal/admission/registration.py",
             "        if breaks_one_active_application(error):", "        if True:"),
    Mutation("r10-index-not-recognised", "R10's own violation answered as a fault",
             ["tests/admission/test_registration_constraints.py"], "portal/admission/constraints.py",
             "    return constraint_of(error) in (ONE_ACTIVE_APPLICATION, _SQLITE_ONE_ACTIVE_APPLICATION)",
             "    return False"),
    # 6. The scope oracle
    Mutation("scope-narrowed", "a director no longer sees their microdistrict",
             ["tests/admin/test_admin_scope.py::test_no_admin_url_shows_or_changes_a_record_outside_the_scope[director]"],
             "admin/scope_rules.py", "    MicrodistrictAddress: by_school(MicrodistrictAddress.school_id),",
             "    MicrodistrictAddress: lambda scope: by_school(MicrodistrictAddress.school_id)(scope)"
             " & (scope.role != 'director'),"),
    Mutation("scope-widened-without-a-marker", "a district sees every sign-in of the trail (no marker shows)",
             ["tests/admin/test_admin_scope.py::test_no_admin_url_shows_or_changes_a_record_outside_the_scope[district]"],
             "admin/scope_rules.py", AUDIT_SCOPE,
             "        return or_(AuditEntry.district_id == scope.district_id, AuditEntry.action == 'sign_in',\n"),
    Mutation("scope-widened-without-a-page", "a director's rule lets in their colleagues (no page lists them)",
             ["tests/admin/test_admin_scope_oracle.py"], "admin/scope_rules.py",
             "    return StaffUser.id == scope.user_id if scope.role else false()",
             "    return StaffUser.school_id == scope.school_id if scope.role == 'director'"
             " else (StaffUser.id == scope.user_id if scope.role else false())"),
    # 7. Fuzzers draw new examples in CI
    Mutation("fuzz-ci-derandomised", "the ci profile draws the same examples every run",
             ["tests/test_fuzzing_profiles.py"], "tests/fuzzing.py",
             'settings.register_profile("ci", derandomize=False', 'settings.register_profile("ci", derandomize=True'),
    Mutation("fuzz-seed-not-used", "the printed seed does not seed the run", ["tests/test_fuzzing_profiles.py"],
             "tests/fuzzing.py", "    config.option.hypothesis_seed = str(seed)", "    pass"),
]


def run(mutation):
    original = None
    path = os.path.join(REPO, mutation.path) if mutation.path else None
    if path:
        with open(path, encoding="utf-8") as f:
            original = f.read()
        if original.count(mutation.old) != 1:
            return "STALE"
    env = {**os.environ, **mutation.env}
    env = {key: value for key, value in env.items() if value != ""}
    try:
        if path:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace(mutation.old, mutation.new))
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                                 *mutation.tests], cwd=REPO, env=env, capture_output=True, text=True)
        return "KILLED" if result.returncode != 0 else "SURVIVED"
    finally:
        if path:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    chosen = [m for m in CATALOGUE if not args.names or m.name in args.names]
    if args.list:
        for m in chosen:
            print(f"{m.name:45} {m.what}  [{', '.join(m.tests)}]")
        return 0
    unknown = set(args.names) - {m.name for m in CATALOGUE}
    if unknown:
        parser.error(f"unknown mutations: {', '.join(sorted(unknown))}")
    outcomes = []
    for m in chosen:
        outcome = run(m)
        outcomes.append(outcome)
        print(f"{outcome:8} {m.name:45} {m.what}", flush=True)
    return 0 if all(outcome == "KILLED" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
