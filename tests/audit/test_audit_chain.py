"""The audit trail is tamper-evident: the chain verifies, and an edited or
deleted row is found and named."""

import pytest
from sqlalchemy import null, select, text
from sqlalchemy.exc import DBAPIError

from portal import audit, audit_chain
from portal.extensions import db
from portal.models import AuditEntry, AuditSeal, utcnow
from tests.audit.trail import later, trail


_trail, _later = trail, later  # tests/audit/trail.py


def _force(statement):
    """What a database superuser could do, going around the append-only trigger."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SET session_replication_role = replica"))  # triggers and FKs off
            conn.execute(text(statement))
            conn.execute(text("SET session_replication_role = DEFAULT"))
        return
    raw = db.engine.raw_connection()  # autocommit: PRAGMA foreign_keys works only outside a transaction
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        for trigger in ("audit_entries_no_update", "audit_entries_no_delete"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute(statement)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def test_r13_the_chain_seals_settled_entries_once_and_verifies(app):
    ids = _trail()
    assert audit_chain.seal(now=utcnow()) == 0  # not settled yet
    assert audit_chain.seal(now=_later()) == len(ids)
    assert audit_chain.seal(now=_later()) == 0
    db.session.commit()
    verdict = audit_chain.verify()
    assert verdict.intact and verdict.checked == len(ids)


def test_r13_verification_names_the_first_edited_entry(app):
    ids = _trail()
    audit_chain.seal(now=_later())
    db.session.commit()
    _force(f"UPDATE audit_entries SET actor = 'someone else' WHERE id = {ids[2]}")
    db.session.expire_all()
    verdict = audit_chain.verify()
    assert not verdict.intact and verdict.broken_entry_id == ids[2] and verdict.checked == 2


def test_r13_verification_finds_a_deleted_entry(app):
    ids = _trail()
    audit_chain.seal(now=_later())
    db.session.commit()
    _force(f"DELETE FROM audit_entries WHERE id = {ids[1]}")
    db.session.expire_all()
    verdict = audit_chain.verify()
    assert verdict.broken_entry_id == ids[1] and verdict.reason == "entry deleted"


def test_r13_the_commands_report_the_chain(app):
    _trail()
    runner = app.test_cli_runner()
    app.config["FROZEN_NOW"] = _later()
    assert "5" in runner.invoke(args=["audit", "seal"]).output
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    ids = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    db.session.remove()
    _force(f"UPDATE audit_entries SET note = 'x' WHERE id = {ids[0]}")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and str(ids[0]) in result.output


# Personal data lifecycle (docs/security.md): a sealed entry's payload may be
# erased by the retention command, and only that; the chain still verifies.

def _erase_payload(entry_id, *, as_retention=True):
    """The one change the trigger allows: payload to NULL, erased_at set, nothing else."""
    now = utcnow()
    if db.engine.dialect.name == "postgresql" and as_retention:
        db.session.execute(text("SELECT set_config('mektep.retention', 'on', true)"))
    db.session.execute(
        AuditEntry.__table__.update().where(AuditEntry.__table__.c.id == entry_id)
        .values(before=null(), after=null(), erased_at=now)
    )
    return now


def test_r13_the_trigger_allows_only_erasing_the_payload_of_a_sealed_entry(app):
    ids = _trail()
    with pytest.raises(DBAPIError):  # not sealed yet: no digest vouches for the payload
        _erase_payload(ids[0])
        db.session.flush()
    db.session.rollback()
    audit_chain.seal(now=_later())
    db.session.commit()
    for change in ("actor = 'someone else'", "note = 'x'", "after = NULL"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(f"UPDATE audit_entries SET {change} WHERE id = {ids[0]}"))
        db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text(f"DELETE FROM audit_entries WHERE id = {ids[0]}"))
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):  # the shape is right but the transaction is not the command's
            _erase_payload(ids[0], as_retention=False)
        db.session.rollback()
    _erase_payload(ids[0])
    db.session.commit()
    erased = db.session.get(AuditEntry, ids[0])
    assert erased.after is None and erased.erased_at is not None and erased.entity == "regions"


def test_r13_an_erasure_outside_a_retention_run_is_named(app):
    ids = _trail()
    audit_chain.seal(now=_later())
    db.session.commit()
    _erase_payload(ids[3])
    db.session.commit()
    db.session.expire_all()
    verdict = audit_chain.verify()
    assert verdict.broken_entry_id == ids[3] and verdict.reason == "payload erased outside a retention run"


def test_r13_an_erasure_accounted_for_by_a_retention_run_verifies(app):
    ids = _trail()
    audit_chain.seal(now=_later())
    db.session.commit()
    moment = _erase_payload(ids[1])
    audit.record("command", audit_chain.RETENTION_ENTITY,
                 after={"erased_at": audit_chain.erasure_key(moment), "audit_payloads_erased": 1})
    db.session.commit()
    db.session.expire_all()
    verdict = audit_chain.verify()
    assert verdict.intact and verdict.erased == 1 and verdict.checked == len(ids)
    # An erased entry still has its other fields checked.
    db.session.rollback()
    _force(f"UPDATE audit_entries SET actor = 'someone else' WHERE id = {ids[1]}")
    db.session.expire_all()
    verdict = audit_chain.verify()
    assert verdict.broken_entry_id == ids[1] and verdict.reason == "entry or seal changed"


def test_r13_an_edited_payload_is_found_though_the_chain_hashes_its_digest(app):
    ids = _trail()
    audit_chain.seal(now=_later())
    db.session.commit()
    _force(f"UPDATE audit_entries SET after = '{{\"code\": \"R-X\"}}' WHERE id = {ids[4]}")
    db.session.expire_all()
    verdict = audit_chain.verify()
    assert verdict.broken_entry_id == ids[4] and verdict.reason == "entry or seal changed"


def test_r13_seals_written_before_payload_digests_still_verify(app):
    """Seals of migration 0003's form (no digest, payload hashed) followed by new ones."""
    ids = _trail(3)
    previous = audit_chain.GENESIS
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all():
        previous = audit_chain.link(previous, entry)
        db.session.add(AuditSeal(entry_id=entry.id, hash=previous, payload_digest=None, sealed_at=utcnow()))
    db.session.commit()
    more = _trail(2, first=3)
    assert audit_chain.seal(now=_later()) == len(more) - len(ids)
    db.session.commit()
    verdict = audit_chain.verify()
    assert verdict.intact and verdict.checked == len(more)
    db.session.rollback()
    _force(f"UPDATE audit_entries SET after = NULL WHERE id = {ids[0]}")
    db.session.expire_all()
    assert audit_chain.verify().broken_entry_id == ids[0]
