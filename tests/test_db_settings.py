"""DB_PREPARED_STATEMENTS (data-formats.md): 0 turns psycopg's server-side prepared
statements off, for PgBouncer before 1.21 in transaction mode, which answers
`DuplicatePreparedStatement` on every few requests when they are on."""
import pytest
from sqlalchemy import text

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db

POSTGRES = "postgresql+psycopg://u@h/d"


@pytest.mark.parametrize("setting, threshold", [(True, "unset"), (False, None)])
def test_the_setting_reaches_the_driver_only_on_postgresql(tmp_path, setting, threshold):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=POSTGRES, DB_PREPARED_STATEMENTS=setting,
                     UPLOAD_FOLDER=str(tmp_path))
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options.get("connect_args", {}).get("prepare_threshold", "unset") == threshold
    assert options["pool_pre_ping"] is True, "the other options stay"
    sqlite = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.sqlite3",
                        DB_PREPARED_STATEMENTS=setting, UPLOAD_FOLDER=str(tmp_path))
    assert "connect_args" not in sqlite.config["SQLALCHEMY_ENGINE_OPTIONS"]


def _prepared_after_repeating(database_url, tmp_path, setting):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, DB_PREPARED_STATEMENTS=setting,
                     UPLOAD_FOLDER=str(tmp_path))
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                for _ in range(8):  # psycopg prepares after 5 uses by default
                    connection.execute(text("SELECT count(*) FROM schools WHERE code = :code"), {"code": "x"})
                return connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        finally:
            db.engine.dispose()


def test_with_the_setting_off_postgresql_holds_no_prepared_statement(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server-side prepared statements (CI's second pass runs it)")
    assert _prepared_after_repeating(database_url, tmp_path, True) > 0, "the anchor: prepared by default"
    assert _prepared_after_repeating(database_url, tmp_path, False) == 0
