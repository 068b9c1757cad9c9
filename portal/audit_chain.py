"""Tamper evidence for the audit trail: a hash chain over the entries in id order.

`seal(now)` extends the chain over entries old enough to be settled (a
transaction that was still open when a later id committed would otherwise be
skipped); `verify()` recomputes it and names the first entry that no longer
matches — an edited entry, a deleted one, or an edited seal. Both run as
commands (`flask --app wsgi audit seal|verify`) and `seal` as a periodic job.

The trigger on `audit_entries` already refuses UPDATE and DELETE; the chain is
for what a database superuser could still do by going around it.

The end of the trail (docs/security.md, "The end of the audit trail"): a
shorter chain verifies as well as a whole one, so cutting the newest entries
off together with their seals, or deleting entries not sealed yet, would go
unseen. Each seal run therefore also anchors the chain's head (its position
and hash, and the newest entry that existed after it): a row of the
append-only `audit_anchors`, and a log line (`audit anchor {...}`, also
appended to AUDIT_ANCHOR_FILE when set) kept outside the database, written
once the run has committed. `verify` compares the chain with every anchor in
the table and, given them (`flask audit verify --anchors FILE`), with the
anchors kept outside; it also reports the entries not sealed yet.

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
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import event, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from portal.extensions import db
from portal.models import AuditAnchor, AuditEntry, AuditSeal

log = logging.getLogger(__name__)

GENESIS = "0" * 64
SETTLE = timedelta(minutes=5)
BATCH = 5000
FIELDS = ("id", "at", "actor", "actor_user_id", "district_id", "school_id", "action",
          "entity", "entity_id", "before", "after", "note")
PAYLOAD = ("before", "after")
HEADER = tuple(name for name in FIELDS if name not in PAYLOAD)
# The retention runs' own entries, which account for every erased payload.
RETENTION_ENTITY = "retention"
# How an anchor reads in the log; `read_anchors` finds the JSON after it.
ANCHOR_LOG_PREFIX = "audit anchor "
_TO_PUBLISH = "audit_anchors_to_publish"  # session.info: anchors to log once committed


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
    _anchor(after_id, previous_hash, now=now)
    return sealed


def _anchor(head_id, head_hash, *, now):
    """Record where the head stands and which entries after it exist now: a row of
    `audit_anchors` in this transaction, and the log line once it has committed."""
    newest, unsealed = db.session.execute(
        select(func.max(AuditEntry.id), func.count(AuditEntry.id)).where(AuditEntry.id > head_id)
    ).one()
    anchor = AuditAnchor(entry_id=head_id, hash=head_hash, newest_entry_id=newest or head_id,
                         unsealed=unsealed, anchored_at=now)
    db.session.add(anchor)
    db.session.flush()
    db.session.info.setdefault(_TO_PUBLISH, []).append(
        (anchor_record(anchor), current_app.config.get("AUDIT_ANCHOR_FILE")))
    return anchor


def anchor_record(anchor):
    """An anchor as the JSON kept outside the database."""
    return {"entry_id": anchor.entry_id, "hash": anchor.hash, "newest_entry_id": anchor.newest_entry_id,
            "unsealed": anchor.unsealed, "at": anchor.anchored_at.astimezone(timezone.utc).isoformat()}


def _publish(session):
    """After the commit (never before: an anchor rolled back would accuse an intact
    chain): the log line, and a line appended to AUDIT_ANCHOR_FILE when set."""
    for record, path in session.info.pop(_TO_PUBLISH, ()):
        line = ANCHOR_LOG_PREFIX + _json(record)
        log.info("%s", line)
        if not path:
            continue
        try:
            with open(path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            log.exception("could not append the audit anchor to %s", path)


def _forget(session, *args):
    session.info.pop(_TO_PUBLISH, None)


def install():
    """Publish anchors after their commit (once per process)."""
    if not event.contains(Session, "after_commit", _publish):
        event.listen(Session, "after_commit", _publish)
        event.listen(Session, "after_rollback", _forget)


def read_anchors(lines):
    """Anchors from lines of AUDIT_ANCHOR_FILE or of the log (`audit anchor {...}`);
    other lines are skipped. Raises ValueError for an anchor line that does not parse."""
    anchors = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if ANCHOR_LOG_PREFIX in line:
            line = line[line.index(ANCHOR_LOG_PREFIX) + len(ANCHOR_LOG_PREFIX):]
        elif not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
            anchors.append(AuditAnchor(entry_id=int(record["entry_id"]), hash=str(record["hash"]),
                                       newest_entry_id=int(record["newest_entry_id"]),
                                       unsealed=int(record["unsealed"]),
                                       anchored_at=datetime.fromisoformat(record["at"])))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number}: not an audit anchor ({error})") from None
    return anchors


@dataclass
class Verdict:
    checked: int
    broken_entry_id: int | None = None
    reason: str | None = None
    erased: int = 0  # sealed entries whose payload the retention command erased
    anchors: int = 0  # anchors the chain agreed with
    unsealed: int = 0  # entries after the chain's head, not sealed yet
    oldest_unsealed_at: datetime | None = None

    @property
    def intact(self):
        return self.broken_entry_id is None


# Why a chain does not verify (`Verdict.reason`; the command translates them).
ENTRY_DELETED = "entry deleted"
CHANGED = "entry or seal changed"
ERASED_OUTSIDE_RETENTION = "payload erased outside a retention run"
END_CUT_OFF = "end cut off"  # an anchored head is missing
CHAIN_REWRITTEN = "chain differs from an anchor"  # the anchored head has another hash
UNSEALED_DELETED = "unsealed entries deleted"  # entries an anchor saw after the head are gone


def verify(*, now=None, anchors=()):
    """Recompute the chain; the first entry that does not match breaks it. Then
    compare it with every anchor (the table's, then `anchors` kept outside the
    database) and count the entries not sealed yet."""
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
                return Verdict(checked, seal_row.entry_id, ENTRY_DELETED, erased)
            digest = seal_row.payload_digest
            if entry.erased_at is not None:
                # Erased: only the digest vouches for the payload, which must be gone.
                if digest is None or entry.before is not None or entry.after is not None:
                    return Verdict(checked, entry.id, CHANGED, erased)
                erased += 1
            elif digest is not None and payload_digest(entry) != digest:
                return Verdict(checked, entry.id, CHANGED, erased)
            if link(previous_hash, entry, digest) != seal_row.hash:
                return Verdict(checked, entry.id, CHANGED, erased)
            previous_hash, after_id, checked = seal_row.hash, entry.id, checked + 1
        db.session.expunge_all()
    unaccounted = _erasures_not_accounted_for()
    if unaccounted is not None:
        return Verdict(checked, unaccounted, ERASED_OUTSIDE_RETENTION, erased)
    broken = _first_anchor_disagreeing() or _first_outside_anchor_disagreeing(anchors)
    if broken is not None:
        return Verdict(checked, *broken, erased)
    verdict = Verdict(checked, erased=erased,
                      anchors=db.session.scalar(select(func.count(AuditAnchor.id))) + len(anchors))
    now = now or datetime.now(timezone.utc)
    verdict.unsealed = unsealed_count(now=now, settle=timedelta(0))
    verdict.oldest_unsealed_at = db.session.scalar(select(func.min(AuditEntry.at)).where(AuditEntry.id > after_id))
    return verdict


def _entries_between(low, high):
    return select(func.count(AuditEntry.id)).where(AuditEntry.id > low, AuditEntry.id <= high)


def _first_anchor_disagreeing():
    """The first anchor of the table the chain no longer agrees with, as
    (entry id, reason): its head missing or another hash there, or fewer entries
    after its head than it saw. The chain itself was verified before, so an
    anchored head that is there with its hash vouches for everything up to it."""
    seal = aliased(AuditSeal)
    head = db.session.execute(
        select(AuditAnchor.entry_id, seal.hash)
        .outerjoin(seal, seal.entry_id == AuditAnchor.entry_id)
        .where(AuditAnchor.entry_id > 0, or_(seal.hash.is_(None), seal.hash != AuditAnchor.hash))
        .order_by(AuditAnchor.id).limit(1)
    ).first()
    if head is not None:
        return head.entry_id, END_CUT_OFF if head.hash is None else CHAIN_REWRITTEN
    later = _entries_between(AuditAnchor.entry_id, AuditAnchor.newest_entry_id).correlate(AuditAnchor)
    gone = db.session.execute(
        select(AuditAnchor.newest_entry_id).where(AuditAnchor.unsealed > later.scalar_subquery())
        .order_by(AuditAnchor.id).limit(1)
    ).first()
    return (gone.newest_entry_id, UNSEALED_DELETED) if gone is not None else None


def _first_outside_anchor_disagreeing(anchors):
    """The same comparison for anchors read from outside the database."""
    for anchor in anchors:
        if anchor.entry_id > 0:
            seal_row = db.session.get(AuditSeal, anchor.entry_id)
            if seal_row is None:
                return anchor.entry_id, END_CUT_OFF
            if seal_row.hash != anchor.hash:
                return anchor.entry_id, CHAIN_REWRITTEN
        elif anchor.hash != GENESIS:
            return 0, CHAIN_REWRITTEN
        if db.session.scalar(_entries_between(anchor.entry_id, anchor.newest_entry_id)) < anchor.unsealed:
            return anchor.newest_entry_id, UNSEALED_DELETED
    return None


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
