"""Tamper evidence for the audit trail: a hash chain over the entries in id order.

`seal(now)` extends the chain over entries old enough to be settled (a
transaction that was still open when a later id committed would otherwise be
skipped); `verify()` recomputes it and names the first entry that no longer
matches — an edited entry, a deleted one, or an edited seal. Both run as
commands (`flask --app wsgi audit seal|verify`) and `seal` as a periodic job.

The trigger on `audit_entries` already refuses UPDATE and DELETE; the chain is
for what a database superuser could still do by going around it.

Personal data past retention (docs/security.md, "Personal data lifecycle"):
a seal hashes the entry's fields without its payload (`before`, `after`) plus
a digest of the payload, kept in the seal. The retention command may then
erase the payload of a sealed entry (the trigger allows nothing else), and
`verify` still checks every other field and the chain, reports the entry as
erased, and checks that each erased entry is accounted for by a retention
run's own audit entry. Seals written before migration 0005 have no digest and
hash the payload itself, as before.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta, timezone

from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models import AuditEntry, AuditSeal

GENESIS = "0" * 64
SETTLE = timedelta(minutes=5)
BATCH = 5000
FIELDS = ("id", "at", "actor", "actor_user_id", "district_id", "school_id", "action",
          "entity", "entity_id", "before", "after", "note")
PAYLOAD = ("before", "after")
HEADER = tuple(name for name in FIELDS if name not in PAYLOAD)
# The retention runs' own entries, which account for every erased payload.
RETENTION_ENTITY = "retention"


def _json(values):
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def canonical(entry, fields=FIELDS):
    values = {name: getattr(entry, name) for name in fields}
    values["at"] = entry.at.isoformat(timespec="microseconds")
    return _json(values)


def payload_digest(entry):
    return hashlib.sha256(_json({name: getattr(entry, name) for name in PAYLOAD}).encode()).hexdigest()


def link(previous_hash, entry, digest=None):
    """The seal of `entry`: over the payload's digest when given (since 0005), else the payload."""
    if digest is None:
        message = previous_hash + canonical(entry)
    else:
        message = previous_hash + canonical(entry, HEADER) + digest
    return hashlib.sha256(message.encode()).hexdigest()


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
            digest = payload_digest(entry)
            previous_hash = link(previous_hash, entry, digest)
            db.session.add(AuditSeal(entry_id=entry.id, hash=previous_hash, payload_digest=digest, sealed_at=now))
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
    erased: int = 0  # sealed entries whose payload the retention command erased

    @property
    def intact(self):
        return self.broken_entry_id is None


def verify():
    """Recompute the chain; the first entry that does not match breaks it."""
    previous_hash, checked, after_id, erased = GENESIS, 0, 0, 0
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
                return Verdict(checked, seal_row.entry_id, "entry deleted", erased)
            digest = seal_row.payload_digest
            if entry.erased_at is not None:
                # Erased: only the digest vouches for the payload, which must be gone.
                if digest is None or entry.before is not None or entry.after is not None:
                    return Verdict(checked, entry.id, "entry or seal changed", erased)
                erased += 1
            elif digest is not None and payload_digest(entry) != digest:
                return Verdict(checked, entry.id, "entry or seal changed", erased)
            if link(previous_hash, entry, digest) != seal_row.hash:
                return Verdict(checked, entry.id, "entry or seal changed", erased)
            previous_hash, after_id, checked = seal_row.hash, entry.id, checked + 1
        db.session.expunge_all()
    unaccounted = _erasures_not_accounted_for()
    if unaccounted is not None:
        return Verdict(checked, unaccounted, "payload erased outside a retention run", erased)
    # Entries missing between sealed ones (deleted with their seals) show as a gap in
    # the sealed ids only if ids were dense; ids from rolled-back transactions are
    # legitimately missing, so the count of unsealed old entries is reported instead.
    return Verdict(checked, erased=erased)


def erasure_key(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def _erasures_not_accounted_for():
    """The first erased entry that no retention run's entry accounts for, if any.

    Each run records `{"erased_at": ..., "audit_payloads_erased": n}`; the
    erased entries are grouped by `erased_at` and must match those counts, so an
    erasure made by going around the command (say, to hide a recent change)
    shows even though the trigger and the chain allow an erased payload.
    """
    recorded = {}
    runs = db.session.scalars(
        select(AuditEntry.after).where(AuditEntry.action == "command", AuditEntry.entity == RETENTION_ENTITY)
    )
    for after in runs:
        if after and after.get("erased_at"):
            key = after["erased_at"]
            recorded[key] = recorded.get(key, 0) + int(after.get("audit_payloads_erased", 0))
    groups = db.session.execute(
        select(AuditEntry.erased_at, func.count(AuditEntry.id), func.min(AuditEntry.id))
        .where(AuditEntry.erased_at.is_not(None))
        .group_by(AuditEntry.erased_at)
        .order_by(func.min(AuditEntry.id))
    ).all()
    for erased_at, count, first_id in groups:
        key = erasure_key(erased_at)
        if recorded.get(key, 0) < count:
            return first_id
        recorded[key] -= count
    return None


def unsealed_count(*, now, settle=SETTLE):
    last = db.session.scalar(select(func.max(AuditSeal.entry_id))) or 0
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.id > last, AuditEntry.at < now - settle)
    )
