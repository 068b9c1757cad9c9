"""Draft quotas (R4) recomputed after grade statistics or a campaign are imported.

Every school whose quota in the campaign is missing or still a draft gets the
class-sets R4 computes and seat pools that hold their sum per language. A
confirmed quota is never touched (R5). Class-sets and pools are changed in
place, only where they differ, so a repeated import writes nothing.
"""
from collections import defaultdict

from sqlalchemy import select

from portal.admission.quota import GradeClass, compute_campaign_quota
from portal.extensions import db
from portal.importer.apply import assign_changed
from portal.models import ClassSet, GradeStat, School, SchoolQuota, SeatPool


def _by_school(model, campaign, key):
    grouped = defaultdict(dict)
    for obj in db.session.scalars(select(model).where(model.campaign_id == campaign.id)):
        grouped[obj.school_id][getattr(obj, key)] = obj
    return grouped


def recompute_draft_quotas(campaign):
    """Recompute the draft quotas of `campaign`; returns counts for the report."""
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
    counts = {"computed": 0, "changed": 0, "confirmed_kept": 0, "seats_kept_for_taken": 0}

    for school_id in db.session.scalars(select(School.id).order_by(School.id)):
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

        existing = class_sets.get(school_id, {})
        for planned in draft.class_sets:
            values = {
                "language": planned.language,
                "seats": planned.seats,
                "computed_language": planned.language,
                "computed_seats": planned.seats,
                "base_pupils": planned.base_pupils,
                "added_by_director": False,
            }
            class_set = existing.pop(planned.number, None)
            if class_set is None:
                db.session.add(ClassSet(campaign_id=campaign.id, school_id=school_id,
                                        number=planned.number, **values))
                changed = True
            else:
                changed |= assign_changed(class_set, values)
        for class_set in existing.values():  # class-sets beyond the new count
            db.session.delete(class_set)
            changed = True

        seats = draft.seats_by_language()
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
