"""Admission campaigns: one per school year, with their dates and policy."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

# Where the regulation leaves a choice, the campaign decides. These are the
# defaults, each with its source; a campaign's `policy` overrides any of them.
DEFAULT_POLICY = {
    # R8, §20: at most three cancellations, a move included.
    "cancel_limit": 3,
    # R9, §21: a legal representative registers at most two children.
    "representative_child_limit": 2,
    # R4, §11: class-set size bounds.
    "class_set_min_seats": 25,
    "class_set_max_seats": 42,
    # R5, §18-19: the quota is confirmed 3 working days before stage 1.
    "quota_deadline_working_days": 3,
    # R5: directors whose quota is still a draft are reminded this many days
    # before the quota deadline (the regulation sets no reminder; ours).
    "quota_deadline_notice_days": [5, 1],
    # R16, §17: appeals answered within 3 working days.
    "appeal_working_days": 3,
    # R16: appeals one applicant may send in any 24 hours (the regulation sets no
    # number; ours, so that one account cannot flood a district: issue 15, item 8).
    # At most one appeal per application waits for an answer at a time (the
    # database's index, migration 0010).
    "appeal_daily_limit": 5,
    # R11: reminders this many days before the end of the document window.
    "document_reminder_days": [7, 2],
    # R7, R9, §18: the director may ask for the proofs of a teacher's child or of
    # a legal representative "until 30 August of the current year": the last day
    # on which a director may reject an uploaded proof. "MM-DD" is that day of the
    # campaign's first year; a campaign may name a full date ("2027-08-30").
    "proof_check_until": "08-30",
    # R6, §25: the siblings of a twin admitted within the quota come over quota
    # (the quota "grows by that number"), even when free seats remain.
    "twins_always_over_quota": True,
    # R11: the 2024 texts (seed 000: "Документтер өз убагында берилбеген учурда ...
    # автоматтык түрдө орунду бошотот") released the seat of a child whose documents
    # did not come; the 2026 text (§21, which wins) names only the window. So a release
    # is the campaign's choice, off for 2026: after the window the director decides per
    # child (portal/admission/documents_window.py). True: released automatically the
    # day after the window, as in 2024.
    "release_without_documents": False,
    # Personal data kept this many days after the document window closes; then
    # `flask retention run` anonymises it, keeping the statistics. §7: the period
    # and the manner of destruction are set by the authorised state body for the
    # digital environment (under the Digital Code), so this is a setting, not a
    # rule; three years until that body fixes one.
    "retention_days": 365 * 3,
}


class Campaign(db.Model):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[str] = mapped_column(String(9), unique=True)  # "2026-2027"
    birth_from: Mapped[date] = mapped_column(Date)
    birth_to: Mapped[date] = mapped_column(Date)
    stage1_opens: Mapped[datetime] = mapped_column(UTCDateTime)
    stage2_opens: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes: Mapped[datetime] = mapped_column(UTCDateTime)
    documents_from: Mapped[date] = mapped_column(Date)
    documents_until: Mapped[date] = mapped_column(Date)
    holidays: Mapped[list] = mapped_column(JSON, default=list)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    policy: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When `flask retention run` anonymised the campaign's personal data.
    personal_data_erased_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    def setting(self, name):
        """A policy setting of this campaign, or its documented default."""
        return (self.policy or {}).get(name, DEFAULT_POLICY[name])

    def __str__(self):
        return self.year
