"""The audit trail is tamper-evident: the chain verifies, and an edited or
deleted row is found and named."""
from datetime import timedelta

from sqlalchemy import select, text

from portal import audit_chain
from portal.extensions import db
from portal.models import AuditEntry, utcnow
from tests import builders


def _trail(n=5):
    for i in range(n):
        builders.create_region(code=f"R-{i}")
    db.session.commit()
    return db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()


def _later():
    return utcnow() + timedelta(minutes=10)


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
