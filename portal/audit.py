"""The audit trail as a mechanism (R13).

Every insert, update and delete that goes through a SQLAlchemy session is
recorded after the flush, in the same transaction, with the acting user, the
time, the entity and the values before and after. Views, commands and jobs do
not call anything: they only say who is acting (`acting_as`, or the request's
signed-in user), and the listener does the rest.

Models opt out with `__audit__ = False` (derived counters, the trail itself,
the outbox) and name secret columns in `__audit_redact__`.
"""
import contextlib
import contextvars
import decimal
import enum
import uuid
from datetime import date, datetime

from flask import g, has_request_context
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from portal.models.audit import AuditEntry
from portal.models.types import utcnow

_actor = contextvars.ContextVar("audit_actor", default=None)
REDACTED = "***"


class AuditTrailIsAppendOnly(Exception):
    """Raised when anything tries to change or delete an audit entry."""


@contextlib.contextmanager
def acting_as(label, user_id=None):
    """Attribute every change made inside the block to `label` ("command:demo", ...)."""
    token = _actor.set((label, user_id))
    try:
        yield
    finally:
        _actor.reset(token)


def set_request_actor(label, user_id=None):
    """Attribute the changes of the current request (called by sign-in code)."""
    g.audit_actor = (label, user_id)


def current_actor():
    if has_request_context() and getattr(g, "audit_actor", None):
        return g.audit_actor
    return _actor.get() or ("system", None)


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _audited(obj):
    return getattr(type(obj), "__audit__", True)


def _column_attrs(obj):
    return inspect(obj).mapper.column_attrs


def _snapshot(obj):
    redact = getattr(type(obj), "__audit_redact__", ())
    state = inspect(obj)
    values = {}
    for attr in _column_attrs(obj):
        if attr.key in state.unloaded:
            continue
        value = getattr(obj, attr.key)
        values[attr.key] = REDACTED if attr.key in redact and value is not None else _plain(value)
    return values


def _changes(obj):
    redact = getattr(type(obj), "__audit_redact__", ())
    state = inspect(obj)
    before, after = {}, {}
    for attr in _column_attrs(obj):
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if attr.key in redact:
            old, new = (REDACTED if old is not None else None), (REDACTED if new is not None else None)
        before[attr.key], after[attr.key] = _plain(old), _plain(new)
    return before, after


def _identity(obj):
    # The identity key of a new object is set only after the flush completes,
    # so read the primary key values themselves.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


def _scope(obj):
    school_id = getattr(obj, "school_id", None)
    district_id = getattr(obj, "district_id", None)
    if school_id is None:
        # A row of an application (a status event, a checked proof) belongs to its
        # school's trail, when the application is loaded already (no query in a flush).
        application = obj.__dict__.get("application")
        school_id = getattr(application, "school_id", None)
    if obj.__tablename__ == "schools":
        school_id = obj.id
    if obj.__tablename__ == "districts":
        district_id = obj.id
    return district_id, school_id


def _entry(action, obj, before, after, actor, at):
    district_id, school_id = _scope(obj)
    return {
        "at": at,
        "actor": actor[0],
        "actor_user_id": actor[1],
        "district_id": district_id,
        "school_id": school_id,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": _identity(obj),
        "before": before,
        "after": after,
        "note": None,
    }


def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("the audit trail cannot be changed")


def _record_flush(session, flush_context):
    actor, at, rows = current_actor(), utcnow(), []
    for obj in session.new:
        if _audited(obj):
            rows.append(_entry("insert", obj, None, _snapshot(obj), actor, at))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                rows.append(_entry("update", obj, before, after, actor, at))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(_entry("delete", obj, _snapshot(obj), None, actor, at))
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def _record_bulk_statement(orm_execute_state):
    """Bulk UPDATE/DELETE statements bypass the flush; record them too."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    mapper = orm_execute_state.bind_mapper
    if mapper is None:
        return
    model = mapper.class_
    if model is AuditEntry:
        raise AuditTrailIsAppendOnly("the audit trail cannot be changed")
    if not getattr(model, "__audit__", True):
        return
    statement = orm_execute_state.statement
    orm_execute_state.session.connection().execute(
        insert(AuditEntry.__table__),
        [_action_row(
            "update" if orm_execute_state.is_update else "delete",
            model.__tablename__,
            note=str(statement.compile(compile_kwargs={"literal_binds": False}))[:2000],
        )],
    )


def _action_row(action, entity, *, note=None, after=None, entity_id=None, district_id=None, school_id=None):
    """An entry that is not a row snapshot: a bulk statement, an import, a command."""
    actor = current_actor()
    return {
        "at": utcnow(), "actor": actor[0], "actor_user_id": actor[1],
        "district_id": district_id, "school_id": school_id,
        "action": action, "entity": entity, "entity_id": entity_id,
        "before": None, "after": after, "note": note,
    }


def record(action, entity, *, note=None, after=None, entity_id=None, district_id=None, school_id=None):
    """Record an action that is not a row change (an import, a command, a document
    issued); `district_id`/`school_id` put it in that scope's trail."""
    from portal.extensions import db

    db.session.execute(
        insert(AuditEntry.__table__),
        [_action_row(action, entity, note=note, after=after, entity_id=entity_id,
                     district_id=district_id, school_id=school_id)],
    )


_installed = False


def install():
    """Attach the listeners to every SQLAlchemy session (once per process)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "before_flush", _refuse_audit_changes)
    event.listen(Session, "after_flush", _record_flush)
    event.listen(Session, "do_orm_execute", _record_bulk_statement)
    _installed = True
