"""Every deadline action that is due at a moment, in one function.

`run_deadlines(now)` is what the hourly RQ job and `flask --app wsgi deadlines
run` call. It carries out, for every campaign:
- R5: quotas not confirmed by the deadline are confirmed automatically (one
  below the Kyrgyz floor of §11 too: its district's staff are told);
- R11: seats still without documents after the window are released (the
  parents are told), and the reminders before it;
- R16: appeals past their due time are escalated, and district staff told;
- children the parents added (claims) that the registry now links to them are
  superseded by the registry's link (the parents are told);
- R5: directors whose quota is a draft are reminded as the deadline nears.

Idempotent and safe to run twice or at once: every change is guarded by the
state it changes (a second run finds nothing left to do), rows are taken with
SKIP LOCKED, and messages have stable outbox keys. Each action commits on its
own, so a failure in one leaves the others done and locks stay short. Changes
are audited under the caller's actor (`job:deadlines`, `command:deadlines run`),
history events as `system`. Notices to people (reminders, staff notices) wait
for the daytime (NOTICE_HOURS, local time); actions on seats never wait.
"""
from dataclasses import asdict, dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal import audit
from portal.admission import appeals, claims, documents_window, quota_changes
from portal.admission.errors import AdmissionError
from portal.admission.calendar import local_zone
from portal.extensions import db
from portal.jobs import notices
from portal.models import Campaign


@dataclass
class DeadlineReport:
    quotas_confirmed: int = 0
    quotas_below_state_language_floor: int = 0  # of those confirmed: the district is told
    seats_released: int = 0
    reminders: int = 0
    appeals_escalated: int = 0
    claims_superseded: int = 0
    staff_notices: int = 0
    notices_waiting: bool = False  # outside NOTICE_HOURS: reminders and notices come later

    @property
    def changed(self):
        return any((self.quotas_confirmed, self.seats_released, self.reminders,
                    self.appeals_escalated, self.claims_superseded, self.staff_notices))

    def as_dict(self):
        return asdict(self)

    def lines(self):
        lines = [
            _("R5 quotas confirmed automatically: %(count)s", count=self.quotas_confirmed),
            _("of them below the least number of class-sets in Kyrgyz (§11; the district is told): %(count)s",
              count=self.quotas_below_state_language_floor),
            _("R11 seats released (documents not submitted): %(count)s", count=self.seats_released),
            _("R11 document reminders queued: %(count)s", count=self.reminders),
            _("R16 appeals escalated: %(count)s", count=self.appeals_escalated),
            _("Added children now shown by the registry: %(count)s", count=self.claims_superseded),
            _("Staff notices queued: %(count)s", count=self.staff_notices),
        ]
        if self.notices_waiting:
            start, end = current_app.config["NOTICE_HOURS"]
            lines.append(_("Reminders and notices go out between %(start)s:00 and %(end)s:00 local time.",
                           start=start, end=end))
        return lines


def _daytime(now):
    start, end = current_app.config["NOTICE_HOURS"]
    return start <= now.astimezone(local_zone()).hour < end


def run_deadlines(now):
    report = DeadlineReport()
    campaign_ids = db.session.scalars(select(Campaign.id).order_by(Campaign.id)).all()
    for campaign_id in campaign_ids:
        campaign = db.session.get(Campaign, campaign_id)
        confirmed = quota_changes.confirm_overdue_quotas(campaign, now=now)
        report.quotas_confirmed += len(confirmed)
        report.quotas_below_state_language_floor += sum(1 for _quota, shortfall in confirmed if shortfall)
        db.session.commit()
        report.seats_released += len(documents_window.release_missing(campaign, now=now))
        db.session.commit()
    report.appeals_escalated = len(appeals.escalate_overdue_appeals(now=now))
    db.session.commit()
    if _daytime(now):
        # The parents are told at once, so this waits for the daytime too (nothing is due).
        try:
            report.claims_superseded = claims.supersede_where_linked(now=now)
            db.session.commit()
        except AdmissionError:  # the registry is not answering: the next run asks again
            db.session.rollback()
        for campaign_id in campaign_ids:
            campaign = db.session.get(Campaign, campaign_id)
            report.reminders += documents_window.send_reminders(campaign, now=now)
            report.staff_notices += notices.quota_deadline_coming(campaign, now=now)
            report.staff_notices += notices.quotas_below_state_language_floor(campaign)
            db.session.commit()
        report.staff_notices += notices.appeals_due(now=now)
        db.session.commit()
    else:
        report.notices_waiting = True
    if report.changed:
        audit.record("command", "deadlines", after=report.as_dict(), note=now.isoformat())
        db.session.commit()
    return report
