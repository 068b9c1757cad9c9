"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """A moment in time, stored as UTC, always read back timezone-aware.

    SQLite keeps no offset; PostgreSQL keeps `timestamptz`. Either way the
    application only ever sees aware datetimes, so that stage openings and
    deadlines (Asia/Bishkek) compare correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow():
    return datetime.now(timezone.utc)


def sql_in(column, values):
    """SQL text `column IN ('a', 'b')` for a CHECK constraint."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
