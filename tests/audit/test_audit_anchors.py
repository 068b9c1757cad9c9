"""R13: the end of the audit trail is tamper-evident too (issue #19, item 1).

A shorter hash chain verifies as well as a whole one, so each seal run anchors
the chain's head in the append-only `audit_anchors` and in the log (and
AUDIT_ANCHOR_FILE). Here a database owner cuts the end off as they could: the
triggers and foreign keys switched off, the newest entry deleted with and
without its seal, the anchors deleted too, the chain recomputed after an edit.
"""
import json
import logging

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal import audit_chain
from portal.extensions import db
from portal.models import AuditAnchor, AuditSeal, utcnow
from tests.audit.trail import later, trail

TRIGGERS = [f"{table}_no_{event}" for table in ("audit_entries", "audit_seals", "audit_anchors")
            for event in ("update", "delete")]


_trail, _later = trail, later  # tests/audit/trail.py


def _sealed(now=None):
    count = audit_chain.seal(now=now or _later())
    db.session.commit()
    return count


def _as_owner(*statements):
    """What the database's owner can do: the append-only triggers and the foreign
    keys switched off for these statements (PostgreSQL: session_replication_role;
    SQLite: the triggers dropped)."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SET session_replication_role = replica"))
            for statement in statements:
                conn.execute(text(statement))
            conn.execute(text("SET session_replication_role = DEFAULT"))
        return
    raw = db.engine.raw_connection()  # autocommit: PRAGMA foreign_keys works only outside a transaction
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        for trigger in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def test_r13_each_seal_run_anchors_the_head_and_the_entries_after_it(app):
    ids = _trail()
    assert _sealed(now=utcnow()) == 0  # nothing settled: the anchor still notes what exists
    first = db.session.scalars(select(AuditAnchor)).one()
    assert (first.entry_id, first.hash, first.newest_entry_id, first.unsealed) == (0, audit_chain.GENESIS, ids[-1], 5)
    assert _sealed() == 5
    head = db.session.scalars(select(AuditAnchor).order_by(AuditAnchor.id.desc())).first()
    assert (head.entry_id, head.newest_entry_id, head.unsealed) == (ids[-1], ids[-1], 0)
    assert head.hash == db.session.get(AuditSeal, ids[-1]).hash
    verdict = audit_chain.verify()
    assert verdict.intact and verdict.checked == 5 and verdict.anchors == 2 and verdict.unsealed == 0


def test_r13_the_database_refuses_to_change_or_delete_an_anchor(app):
    _trail(2)
    _sealed()
    for statement in ("UPDATE audit_anchors SET entry_id = 0", "DELETE FROM audit_anchors"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(func.count(AuditAnchor.id))) == 1


def test_r13_the_anchor_is_logged_and_filed_only_once_committed(app, tmp_path, caplog):
    app.config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "anchors.jsonl")
    _trail(3)
    caplog.set_level(logging.INFO, logger="portal.audit_chain")
    audit_chain.seal(now=_later())
    db.session.rollback()  # a run that did not commit anchors nothing anywhere
    assert audit_chain.ANCHOR_LOG_PREFIX not in caplog.text and not (tmp_path / "anchors.jsonl").exists()
    _sealed()
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith(audit_chain.ANCHOR_LOG_PREFIX)]
    filed = (tmp_path / "anchors.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(logged) == len(filed) == 1 and logged == filed
    anchor, = audit_chain.read_anchors(filed)
    row = db.session.scalars(select(AuditAnchor)).one()
    assert (anchor.entry_id, anchor.hash, anchor.newest_entry_id, anchor.unsealed) == \
        (row.entry_id, row.hash, row.newest_entry_id, row.unsealed)


def test_r13_the_newest_entry_deleted_with_its_seal_is_found(app):
    ids = _trail()
    _sealed()
    assert audit_chain.verify().intact
    _as_owner(f"DELETE FROM audit_seals WHERE entry_id = {ids[-1]}", f"DELETE FROM audit_entries WHERE id = {ids[-1]}")
    verdict = audit_chain.verify()
    # The chain that is left is whole; the anchor says where its end was.
    assert not verdict.intact and verdict.checked == 4
    assert (verdict.broken_entry_id, verdict.reason) == (ids[-1], audit_chain.END_CUT_OFF)


def test_r13_the_newest_entry_deleted_without_its_seal_is_found(app):
    ids = _trail()
    _sealed()
    _as_owner(f"DELETE FROM audit_entries WHERE id = {ids[-1]}")
    verdict = audit_chain.verify()
    assert (verdict.broken_entry_id, verdict.reason) == (ids[-1], audit_chain.ENTRY_DELETED)


@pytest.mark.parametrize("which", ["newest", "older"])
def test_r13_an_entry_deleted_before_it_was_sealed_is_found(app, which):
    ids = _trail(3)
    _sealed()
    more = _trail(3, first=3)[3:]
    _sealed(now=utcnow())  # a run that saw them, too new to seal
    assert audit_chain.verify().unsealed == 3
    _as_owner(f"DELETE FROM audit_entries WHERE id = {more[-1] if which == 'newest' else more[0]}")
    verdict = audit_chain.verify()
    # The chain is whole; the anchor saw three entries after its head up to more[-1].
    assert verdict.checked == len(ids)
    assert (verdict.broken_entry_id, verdict.reason) == (more[-1], audit_chain.UNSEALED_DELETED)


def test_r13_an_owner_who_cuts_the_anchors_too_is_found_by_the_anchors_kept_outside(app, tmp_path):
    app.config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "anchors.jsonl")
    ids = _trail()
    _sealed()
    _as_owner(f"DELETE FROM audit_seals WHERE entry_id = {ids[-1]}", f"DELETE FROM audit_entries WHERE id = {ids[-1]}",
              "DELETE FROM audit_anchors")
    # Inside the database nothing is left to tell (the limit of the anchor table)...
    assert audit_chain.verify().intact
    # ...outside it, the anchor line the operator kept does.
    kept = audit_chain.read_anchors((tmp_path / "anchors.jsonl").read_text(encoding="utf-8").splitlines())
    verdict = audit_chain.verify(anchors=kept)
    assert (verdict.broken_entry_id, verdict.reason) == (ids[-1], audit_chain.END_CUT_OFF)


def test_r13_a_chain_recomputed_after_an_edit_differs_from_the_anchor_kept_outside(app, tmp_path):
    """The chain has no key: an owner can edit an entry and seal everything again.
    Only an anchor beyond their reach shows it."""
    app.config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "anchors.jsonl")
    ids = _trail(3)
    _sealed()
    _as_owner(f"UPDATE audit_entries SET actor = 'someone else' WHERE id = {ids[0]}",
              "DELETE FROM audit_seals", "DELETE FROM audit_anchors")
    app.config["AUDIT_ANCHOR_FILE"] = None  # the owner's own run writes no line to the operator's file
    _sealed()
    assert audit_chain.verify().intact
    kept = audit_chain.read_anchors((tmp_path / "anchors.jsonl").read_text(encoding="utf-8").splitlines())
    verdict = audit_chain.verify(anchors=kept)
    assert (verdict.broken_entry_id, verdict.reason) == (ids[-1], audit_chain.CHAIN_REWRITTEN)


def test_r13_audit_verify_reports_a_cut_off_end_and_the_entries_not_sealed_yet(app, tmp_path):
    app.config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "anchors.jsonl")
    runner = app.test_cli_runner()
    ids = _trail()
    app.config["FROZEN_NOW"] = _later()
    assert runner.invoke(args=["audit", "seal"]).exit_code == 0
    newer = _trail(2, first=5)[5:]
    db.session.remove()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    checked, anchors, unsealed = result.output.splitlines()
    assert "5" in checked and "1" in anchors and "2" in unsealed  # two entries wait for their seal
    _as_owner(f"DELETE FROM audit_seals WHERE entry_id = {ids[-1]}", f"DELETE FROM audit_entries WHERE id = {ids[-1]}")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and str(ids[-1]) in result.output
    # The anchors cut as well: the file kept outside still tells.
    _as_owner("DELETE FROM audit_anchors")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify", "--anchors", str(tmp_path / "anchors.jsonl")])
    assert result.exit_code == 1 and str(ids[-1]) in result.output
    assert newer  # (the newer entries were not touched)


def test_r13_log_lines_serve_as_anchors_and_a_broken_anchor_line_is_an_error(app, tmp_path):
    log_file = tmp_path / "worker.log"
    log_file.write_text("2026-04-01 10:00:00 INFO portal.audit_chain: audit anchor {\"entry_id\": 0}\n",
                        encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--anchors", str(log_file)])
    assert result.exit_code != 0 and "line 1" in result.output
    record = audit_chain.anchor_record(AuditAnchor(entry_id=0, hash=audit_chain.GENESIS, newest_entry_id=0,
                                                   unsealed=0, anchored_at=utcnow()))
    log_file.write_text("something else\n2026-04-01 INFO audit anchor " + json.dumps(record) + "\n", encoding="utf-8")
    assert len(audit_chain.read_anchors(log_file.read_text(encoding="utf-8").splitlines())) == 1
