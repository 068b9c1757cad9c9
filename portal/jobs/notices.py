"""Notices to staff that deadlines call for: a director whose quota is still
a draft as the R5 deadline nears, district staff whose school's quota was
confirmed automatically below the Kyrgyz floor (§11), and district staff with
appeals due today or overdue (R16). One message per person and day (or per notice day), by key, so
any number of runs sends each once."""
from collections import Counter

from sqlalchemy import select

from portal.admission.calendar import local_date, local_zone, quota_deadline
from portal.admission.quota_changes import automatically_confirmed_below_floor
from portal.extensions import db
from portal.models import Appeal, SchoolQuota, StaffUser
from portal.notifications import notify_staff


def quota_deadline_coming(campaign, *, now):
    """R5: remind directors of schools whose quota is a draft, on the days the
    campaign's policy names (`quota_deadline_notice_days` before the deadline)."""
    deadline = quota_deadline(campaign)
    days_left = (deadline.date() - local_date(now)).days
    if days_left not in campaign.setting("quota_deadline_notice_days"):
        return 0
    rows = db.session.execute(
        select(StaffUser, SchoolQuota)
        .join(SchoolQuota, SchoolQuota.school_id == StaffUser.school_id)
        .where(SchoolQuota.campaign_id == campaign.id, SchoolQuota.state == "draft",
               StaffUser.role == "director", StaffUser.is_enabled.is_(True))
        .order_by(StaffUser.id)
    ).all()
    sent = 0
    for user, quota in rows:
        school = quota.school
        sent += notify_staff(
            user, "quota_deadline_coming",
            key=f"quota_deadline_coming:{campaign.year}:{school.id}:{user.id}:{days_left}",
            context={"deadline": deadline.strftime("%d.%m.%Y %H:%M"), "days_left": days_left,
                     "school_code": school.code, "school_name_ky": school.name_ky,
                     "school_name_ru": school.name_ru},
        ) is not None
    return sent


def _district_staff(district_ids):
    return db.session.scalars(
        select(StaffUser)
        .where(StaffUser.role == "district", StaffUser.district_id.in_(district_ids),
               StaffUser.is_enabled.is_(True))
        .order_by(StaffUser.id)
    ).all()


def quotas_below_state_language_floor(campaign):
    """§11, §19: a quota the deadline confirmed automatically with fewer class-sets
    in Kyrgyz than last year's is told to its district's staff, once per school
    and person (by key), until the district approves it."""
    below = automatically_confirmed_below_floor(campaign)
    if not below:
        return 0
    users = _district_staff({quota.school.district_id for quota, _shortfall in below})
    sent = 0
    for quota, shortfall in below:
        school = quota.school
        for user in users:
            if user.district_id != school.district_id:
                continue
            sent += notify_staff(
                user, "quota_below_state_language_floor",
                key=f"quota_below_state_language_floor:{campaign.year}:{school.id}:{user.id}",
                context={"school_code": school.code, "school_name_ky": school.name_ky,
                         "school_name_ru": school.name_ru, "minimum": quota.min_state_language_class_sets,
                         "kyrgyz": quota.min_state_language_class_sets - shortfall,
                         "confirmed_at": local_date(quota.auto_confirmed_at).strftime("%d.%m.%Y")},
            ) is not None
    return sent


def appeals_due(*, now):
    """R16: each district's staff hear of the appeals due today and overdue."""
    today = local_date(now)
    zone = local_zone()
    due_today, overdue = Counter(), Counter()
    for appeal in db.session.scalars(select(Appeal).where(Appeal.status.in_(("open", "escalated")))):
        if appeal.status == "escalated":
            overdue[appeal.district_id] += 1
        elif appeal.due_at.astimezone(zone).date() == today:
            due_today[appeal.district_id] += 1
    districts = set(due_today) | set(overdue)
    if not districts:
        return 0
    users = _district_staff(districts)
    sent = 0
    for user in users:
        sent += notify_staff(
            user, "appeals_due", key=f"appeals_due:{user.id}:{today.isoformat()}",
            context={"due_today": due_today[user.district_id], "overdue": overdue[user.district_id]},
        ) is not None
    return sent
