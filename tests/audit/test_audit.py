"""R13: every change through the session is recorded, and the trail cannot be changed."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal.audit import AuditTrailIsAppendOnly, acting_as
from portal.extensions import db
from portal.models import AuditEntry, School, StaffUser
from tests import builders


def entries(entity):
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    ).all()


def test_r13_insert_update_delete_are_recorded_with_actor_and_values(app):
    with acting_as("command:test", 7):
        school = builders.create_school(code="GB-LEN-039")
        db.session.commit()
        school.name_ru = "Школа-гимназия №39"
        db.session.commit()
        db.session.delete(school)
        db.session.commit()
    insert, update, delete = entries("schools")
    assert (insert.action, insert.actor, insert.actor_user_id) == ("insert", "command:test", 7)
    assert insert.after["code"] == "GB-LEN-039" and insert.before is None
    assert insert.entity_id == str(school.id) and insert.school_id == school.id
    assert update.action == "update"
    assert update.after == {"name_ru": "Школа-гимназия №39"}
    assert update.before["name_ru"] != "Школа-гимназия №39"
    assert delete.action == "delete" and delete.before["code"] == "GB-LEN-039"
    assert delete.at.tzinfo is not None


def test_r13_changes_without_an_actor_are_attributed_to_the_system(app):
    builders.create_region(code="GB")
    db.session.commit()
    assert entries("regions")[0].actor == "system"


def test_r13_secrets_are_redacted_in_the_trail(app):
    builders.create_staff_user(password_hash="$argon2id$secret")
    db.session.commit()
    (entry,) = entries("staff_users")
    assert entry.after["password_hash"] == "***"
    assert "secret" not in str(entry.after)


def test_r13_a_rolled_back_change_leaves_no_entry(app):
    builders.create_region(code="GB")
    db.session.flush()
    db.session.rollback()
    assert entries("regions") == []


def test_r13_the_trail_cannot_be_changed_through_the_session(app):
    builders.create_region(code="GB")
    db.session.commit()
    (entry,) = entries("regions")
    entry.actor = "someone else"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_r13_the_database_refuses_to_change_the_trail(app):
    builders.create_region(code="GB")
    db.session.commit()
    for statement in ("UPDATE audit_entries SET actor = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(DatabaseError):
            with db.engine.begin() as conn:
                conn.execute(text(statement))
    assert entries("regions")[0].actor == "system"


def test_r13_bulk_update_statements_are_recorded(app):
    builders.create_school(code="S-1")
    db.session.commit()
    from sqlalchemy import update

    with acting_as("command:test"):
        db.session.execute(update(School).values(participates=False))
        db.session.commit()
    bulk = [e for e in entries("schools") if e.action == "update"]
    assert len(bulk) == 1 and "UPDATE schools" in bulk[0].note


def test_r13_staff_scope_is_kept_for_filtering(app):
    school = builders.create_school()
    db.session.flush()
    user = builders.create_staff_user(role="director", school=school)
    db.session.commit()
    entry = [e for e in entries("staff_users") if e.entity_id == str(user.id)][0]
    assert entry.school_id == school.id
    assert db.session.get(StaffUser, user.id).school_id == school.id
