"""Tamper evidence for the audit trail: a hash chain over the entries in id order.

`seal(now)` extends the chain over entries old enough to be settled (a
transaction that was still open when a later id committed would otherwise be
skipped); `verify()` recomputes it and names the first entry that no longer
matches — an edited entry, a deleted one, or an edited seal. Both run as
commands (`flask --app wsgi audit seal|verify`) and `seal` as a periodic job.

The trigger on `audit_entries` already refuses UPDATE and DELETE; the chain is
for what a database superuser could still do by going around it.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models import AuditEntry, AuditSeal

GENESIS = "0" * 64
SETTLE = timedelta(minutes=5)
BATCH = 5000
FIELDS = ("id", "at", "actor", "actor_user_id", "district_id", "school_id", "action",
          "entity", "entity_id", "before", "after", "note")


def canonical(entry):
    values = {name: getattr(entry, name) for name in FIELDS}
    values["at"] = entry.at.isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def link(previous_hash, entry):
    return hashlib.sha256((previous_hash + canonical(entry)).encode()).hexdigest()


def _lock_sealer():
    # One sealer at a time: two would both extend from the same last seal.
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(734001)"))


def seal(*, now, settle=SETTLE):
    """Seal every settled entry after the last seal; returns how many. Idempotent."""
    _lock_sealer()
    last = db.session.scalars(select(AuditSeal).order_by(AuditSeal.entry_id.desc()).limit(1)).first()
    previous_hash, after_id = (last.hash, last.entry_id) if last else (GENESIS, 0)
    sealed = 0
    while True:
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id > after_id, AuditEntry.at < now - settle)
            .order_by(AuditEntry.id)
            .limit(BATCH)
        ).all()
        if not entries:
            break
        for entry in entries:
            previous_hash = link(previous_hash, entry)
            db.session.add(AuditSeal(entry_id=entry.id, hash=previous_hash, sealed_at=now))
            after_id = entry.id
        sealed += len(entries)
        db.session.flush()
        db.session.expunge_all()  # keep memory flat over millions of entries
    return sealed


@dataclass
class Verdict:
    checked: int
    broken_entry_id: int | None = None
    reason: str | None = None

    @property
    def intact(self):
        return self.broken_entry_id is None


def verify():
    """Recompute the chain; the first entry that does not match breaks it."""
    previous_hash, checked, after_id = GENESIS, 0, 0
    while True:
        rows = db.session.execute(
            select(AuditSeal, AuditEntry)
            .outerjoin(AuditEntry, AuditEntry.id == AuditSeal.entry_id)
            .where(AuditSeal.entry_id > after_id)
            .order_by(AuditSeal.entry_id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for seal_row, entry in rows:
            if entry is None:
                return Verdict(checked, seal_row.entry_id, "entry deleted")
            expected = link(previous_hash, entry)
            if expected != seal_row.hash:
                return Verdict(checked, entry.id, "entry or seal changed")
            previous_hash, after_id, checked = seal_row.hash, entry.id, checked + 1
        db.session.expunge_all()
    # Entries missing between sealed ones (deleted with their seals) show as a gap in
    # the sealed ids only if ids were dense; ids from rolled-back transactions are
    # legitimately missing, so the count of unsealed old entries is reported instead.
    return Verdict(checked)


def unsealed_count(*, now, settle=SETTLE):
    last = db.session.scalar(select(func.max(AuditSeal.entry_id))) or 0
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.id > last, AuditEntry.at < now - settle)
    )
