"""Draft quotas (R4) recomputed after grade statistics or a campaign are imported.

Every school whose quota in the campaign is missing or still a draft gets the
class-sets R4 computes and seat pools that hold their sum per language. A
confirmed quota is never touched (R5). Class-sets and pools are changed in
place, only where they differ, so a repeated import writes nothing.

A re-import keeps the director's work on a draft (R5): a class-set whose seats
or language the director changed keeps them (its seats never below what R4 now
computes: the director may only raise), and class-sets the director added stay,
numbered after the computed ones. Where the new statistics change what R4
computes under such a change, the import reports it as a conflict of that
school (`conflicts`, one dict per conflict, shown by `ImportReport.summary`):
- `recomputed`: R4 now computes other values for a class-set the director changed;
- `kept_as_added`: the statistics no longer give a class-set the director made
  Kyrgyz: kept as one the director added (adding Kyrgyz class-sets is theirs, §11);
- `removed`: the statistics no longer give a class-set the director changed
  otherwise: it is removed, with the change;
- `below_floor`: what is kept has fewer Kyrgyz class-sets than the floor (§11).
"""
from collections import defaultdict

from sqlalchemy import select

from portal.admission.quota import STATE_LANGUAGE, GradeClass, compute_campaign_quota
from portal.admission.quota_changes import state_language_shortfall
from portal.extensions import db
from portal.importer.apply import assign_changed
from portal.models import ClassSet, GradeStat, School, SchoolQuota, SeatPool


def _by_school(model, campaign, key):
    grouped = defaultdict(dict)
    for obj in db.session.scalars(select(model).where(model.campaign_id == campaign.id)):
        grouped[obj.school_id][getattr(obj, key)] = obj
    return grouped


def _edited(class_set):
    """The director changed this computed class-set (R5)."""
    return (class_set.seats, class_set.language) != (class_set.computed_seats, class_set.computed_language)


def _shown(language, seats):
    return f"{seats} {language}"


class _School:
    """The recomputation of one school's draft, with what it reports."""

    def __init__(self, campaign, school, quota, draft, existing):
        self.campaign, self.school, self.quota, self.draft = campaign, school, quota, draft
        self.existing = existing  # number -> ClassSet
        self.conflicts = []
        self.changed = False

    def conflict(self, kind, **values):
        self.conflicts.append({"school": self.school.code, "kind": kind, **values})

    def apply(self):
        computed = {n: c for n, c in self.existing.items() if not c.added_by_director}
        kept_added = [c for n, c in sorted(self.existing.items()) if c.added_by_director]
        planned_numbers = {planned.number for planned in self.draft.class_sets}
        # Computed class-sets the statistics no longer give.
        gone = [c for n, c in sorted(computed.items()) if n not in planned_numbers]
        for class_set in gone:
            if not _edited(class_set):
                db.session.delete(class_set)
            elif class_set.language == STATE_LANGUAGE:
                self.conflict("kept_as_added", number=class_set.number,
                              now=_shown(class_set.language, class_set.seats))
                class_set.added_by_director = True
                class_set.computed_language = class_set.computed_seats = class_set.base_pupils = None
                kept_added.append(class_set)
            else:
                self.conflict("removed", number=class_set.number,
                              director=_shown(class_set.language, class_set.seats))
                db.session.delete(class_set)
            self.changed = True
        kept_added.sort(key=lambda c: c.number)
        # The director's class-sets go after the computed ones; numbers are unique,
        # so the ones that move step aside first (and what is deleted goes first).
        final = {c.id: len(self.draft.class_sets) + k + 1 for k, c in enumerate(kept_added)}
        moving = [c for c in kept_added if c.number != final[c.id]]
        if gone or moving:
            for class_set in moving:
                class_set.number = -class_set.number
            db.session.flush()

        self.final = [self._apply_planned(planned, computed.get(planned.number))
                      for planned in self.draft.class_sets] + kept_added
        if moving:
            db.session.flush()
            for class_set in moving:
                class_set.number = final[class_set.id]
            self.changed = True
        return self

    def _apply_planned(self, planned, class_set):
        reference = {"computed_language": planned.language, "computed_seats": planned.seats,
                     "base_pupils": planned.base_pupils, "added_by_director": False}
        if class_set is None:
            class_set = ClassSet(campaign_id=self.campaign.id, school_id=self.school.id, number=planned.number,
                                 language=planned.language, seats=planned.seats, **reference)
            db.session.add(class_set)
            self.changed = True
            return class_set
        if not _edited(class_set):
            self.changed |= assign_changed(class_set, {"language": planned.language, "seats": planned.seats,
                                                       **reference})
            return class_set
        before = (class_set.computed_language, class_set.computed_seats)
        director = (class_set.language, class_set.seats)
        # The director's change stays: a language changed (towards Kyrgyz) and seats
        # raised; never below what R4 now computes (the director may only raise).
        language = class_set.language if class_set.language != class_set.computed_language else planned.language
        seats = max(class_set.seats, planned.seats)
        self.changed |= assign_changed(class_set, {"language": language, "seats": seats, **reference})
        if before != (planned.language, planned.seats):
            self.conflict("recomputed", number=planned.number, before=_shown(*before),
                          computed=_shown(planned.language, planned.seats), director=_shown(*director),
                          now=_shown(language, seats))
        return class_set

    def check_floor(self):
        shortfall = state_language_shortfall(self.quota, self.final)
        if shortfall and any(c.added_by_director or _edited(c) for c in self.final):
            self.conflict("below_floor", minimum=self.quota.min_state_language_class_sets,
                          kyrgyz=self.quota.min_state_language_class_sets - shortfall)


def recompute_draft_quotas(campaign):
    """Recompute the draft quotas of `campaign`; returns counts for the report,
    with `conflicts` (see the module's docstring)."""
    stats = defaultdict(list)
    rows = db.session.execute(
        select(GradeStat.school_id, GradeStat.grade, GradeStat.class_no, GradeStat.language, GradeStat.pupils)
    )
    for school_id, grade, class_no, language, pupils in rows:
        stats[school_id].append(GradeClass(grade, class_no, language, pupils))
    quotas = {
        quota.school_id: quota
        for quota in db.session.scalars(select(SchoolQuota).where(SchoolQuota.campaign_id == campaign.id))
    }
    class_sets = _by_school(ClassSet, campaign, "number")
    pools = _by_school(SeatPool, campaign, "language")
    counts = {"computed": 0, "changed": 0, "confirmed_kept": 0, "seats_kept_for_taken": 0, "conflicts": []}

    for school in db.session.scalars(select(School).order_by(School.id)):
        school_id = school.id
        quota = quotas.get(school_id)
        if quota is not None and quota.state != "draft":
            counts["confirmed_kept"] += 1
            continue
        draft = compute_campaign_quota(campaign, stats.get(school_id, ()))
        counts["computed"] += 1
        changed = False
        if quota is None:
            quota = SchoolQuota(campaign_id=campaign.id, school_id=school_id, state="draft")
            db.session.add(quota)
            changed = True
        changed |= assign_changed(quota, {
            "base_grade": draft.base_grade,
            "min_state_language_class_sets": draft.min_state_language_class_sets,
        })
        work = _School(campaign, school, quota, draft, class_sets.get(school_id, {})).apply()
        changed |= work.changed
        work.check_floor()
        counts["conflicts"].extend(work.conflicts)

        seats = defaultdict(int)  # what the class-sets hold now, the director's work included
        for class_set in work.final:
            seats[class_set.language] += class_set.seats
        school_pools = pools.get(school_id, {})
        for language in sorted(set(seats) | set(school_pools)):
            pool = school_pools.get(language)
            if pool is None:
                pool = SeatPool(campaign_id=campaign.id, school_id=school_id, language=language,
                                seats=0, taken=0, over_quota=0, issued=0)
                db.session.add(pool)
            wanted = seats.get(language, 0)
            if wanted < pool.taken:
                # A draft normally has no registrations; if it has, never leave
                # more taken than seats (R3): keep the seats already given out.
                wanted = pool.taken
                counts["seats_kept_for_taken"] += 1
            changed |= assign_changed(pool, {"seats": wanted})
        counts["changed"] += int(changed)
    db.session.flush()
    return counts
