"""The schema: built only by the migrations, and in agreement with the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from tests import builders


def test_migrations_and_models_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_r10_database_refuses_a_second_active_application(app):
    first = builders.create_application(child_pin="21005201901563")
    db.session.commit()
    with pytest.raises(IntegrityError):
        builders.create_application(
            child_pin="21005201901563", campaign=first.campaign, school=first.school
        )
        db.session.flush()
    db.session.rollback()


def test_r10_a_cancelled_application_frees_the_child(app):
    first = builders.create_application(child_pin="21005201901563")
    first.status, first.is_active = "cancelled", False
    db.session.flush()
    builders.create_application(
        child_pin="21005201901563", campaign=first.campaign, school=first.school
    )
    db.session.flush()


def test_r3_database_refuses_more_taken_than_seats(app):
    pool = builders.create_seat_pool(seats=1, taken=1)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE seat_pools SET taken = taken + 1 WHERE id = :id"), {"id": pool.id})
        db.session.flush()
    db.session.rollback()


def test_staff_user_has_exactly_one_scope(app):
    school = builders.create_school()
    with pytest.raises(IntegrityError):
        builders.create_staff_user(role="director", school=None, district=school.district)
        db.session.flush()
    db.session.rollback()
