"""What the migrations share (migrations/versions/ imports it).

SQLite changes a CHECK or a foreign key, or drops a column, only by rebuilding
the table (Alembic's batch mode). A rebuild drops the old table, which the
enforced foreign keys of the rows that point at it refuse on a populated
database, and SQLite ignores `PRAGMA foreign_keys` inside a transaction. So on
SQLite such a step runs in a transaction of its own with foreign keys off,
checked with `PRAGMA foreign_key_check` before it commits.
"""
import contextlib

from alembic import op


@contextlib.contextmanager
def sqlite_foreign_keys_off(revision):
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    # The connection runs without a driver-managed transaction (portal/__init__.py
    # begins each one with BEGIN IMMEDIATE), so these end and begin SQLite's own;
    # what the earlier migrations of this run did is committed first.
    raw = bind.connection.dbapi_connection
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        bind.exec_driver_sql("BEGIN IMMEDIATE")
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"{revision}: the table rebuild broke foreign keys: {broken[:5]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        if raw.in_transaction:
            bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")  # alembic stamps the version in it and commits
