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


def test_0006_and_0008_rebuild_the_tables_of_a_populated_sqlite_database(tmp_path):
    """Migration 0006 drops the applicants' e-mail and phone (into applicant_contacts)
    and adds foreign keys; 0008 changes CHECK constraints, which SQLite does only by
    rebuilding the table; rows pointing at `applications` must not stop it,
    and the rows, the partial unique index of R10 and the foreign keys survive."""
    from flask_migrate import downgrade, upgrade

    from portal import create_app
    from portal.config import TestConfig

    url = f"sqlite:///{tmp_path / 'populated.sqlite3'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    rows = [
        "INSERT INTO regions (id, code, name_ky, name_ru) VALUES (1, 'R', 'R', 'R')",
        "INSERT INTO districts (id, code, region_id, name_ky, name_ru) VALUES (1, 'D', 1, 'D', 'D')",
        "INSERT INTO schools (id, code, district_id, name_ky, name_ru, address, ownership, participates)"
        " VALUES (1, 'S', 1, 'S', 'S', '', 'state', true)",
        "INSERT INTO campaigns (id, year, birth_from, birth_to, stage1_opens, stage2_opens, registration_closes,"
        " documents_from, documents_until, holidays, categories, policy, created_at) VALUES (1, '2026-2027',"
        " '2019-01-01', '2020-12-31', '2026-04-01', '2026-06-01', '2026-08-31', '2026-08-04', '2026-09-05',"
        " '[]', '[]', '{}', '2026-01-01')",
        "INSERT INTO applicants (id, pin, email, locale, created_at) VALUES (1, '19999999999901', 'a@e.kg', 'ky',"
        " '2026-01-01')",
        "INSERT INTO applications (id, number, campaign_id, applicant_id, school_id, language, stage, category,"
        " over_quota, status, is_active, queue_no, as_representative, child_pin, child_last_name,"
        " child_first_name, child_patronymic, child_sex, child_birth_date, created_at, updated_at) VALUES"
        " (1, 'N1', 1, 1, 1, 'ky', 1, 'teacher', true, 'registered', true, 1, false, '29999999999901', 'A', 'B',"
        " '', 'M', '2019-05-10', '2026-01-01', '2026-01-01')",
        "INSERT INTO application_events (application_id, status, at, by) VALUES (1, 'registered', '2026-01-01',"
        " 'applicant')",
        "INSERT INTO documents (id, application_id, owner_pin, kind, original_name, content_type, size_bytes,"
        " sha256, storage_key, uploaded_at, verification) VALUES (1, 1, '19999999999901', 'teacher_proof',"
        " 'p.pdf', 'application/pdf', 10, 'x', 'k1', '2026-01-01', 'pending')",
    ]
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
        upgrade()
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM application_events")).scalar() == 1
            # 0006: the applicant's e-mail is now a contact bound to them.
            assert conn.execute(text("SELECT applicant_id, channel, address FROM applicant_contacts")).all() == [
                (1, "email", "a@e.kg")]
            # The teacher's child admitted on the certificate (no teacher registry entry) rests on it.
            assert conn.execute(text("SELECT proof_document_id FROM applications")).scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            conn.execute(text("UPDATE applications SET status = 'proof_rejected', is_active = false,"
                              " proof_document_id = 1"))
            conn.execute(text("UPDATE documents SET verification = 'rejected', rejection_reason = 'unreadable'"))
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("UPDATE applications SET proof_document_id = 99"))  # foreign keys still enforced
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("UPDATE documents SET rejection_reason = 'no reason'"))
        with db.engine.begin() as conn:  # R10's partial index: an inactive application frees the child
            conn.execute(text(rows[5].replace("(1, 'N1'", "(2, 'N2'")))
        with pytest.raises(SystemExit):  # flask-migrate's answer to the migration's refusal
            downgrade(revision="0005")  # no status of the older schema can hold proof_rejected
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0008"
        db.engine.dispose()
