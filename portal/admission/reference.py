"""The reference data every registration reads: the running campaign and the
chosen school (with its district and region), kept per process for a few seconds.

On opening day every request would otherwise ask the database the same two
questions. A kept copy is a detached ORM object that no session owns; each
request gets its own copy in its session by `merge(load=False)`, which costs no
query. Changes reach the copies:
- at once in this process: a flush that writes a campaign, school, district or
  region (or a bulk UPDATE/DELETE of one) drops every kept copy;
- within `REFERENCE_CACHE_SECONDS` in the other processes (default 10; 0 keeps
  nothing). A school switched off or a campaign's dates changed by staff on
  another web node count for at most that long; the seat itself is always
  taken in the database.
"""
import time

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached

from portal.extensions import db
from portal.models import Campaign, District, Region, School

_WATCHED = (Campaign, School, District, Region)


def _store():
    return current_app.extensions.setdefault("mektep_reference", {})


def _seconds():
    return current_app.config.get("REFERENCE_CACHE_SECONDS", 10)


def _detached_copy(obj, **relations):
    """A copy of a loaded object with the same identity, owned by no session."""
    mapper = obj.__mapper__
    copy = mapper.class_(**{attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs})
    for name, value in relations.items():
        setattr(copy, name, value)
    make_transient_to_detached(copy)
    return copy


def _kept(key, load):
    seconds = _seconds()
    if not seconds:
        return load()
    store = _store()
    entry = store.get(key)
    if entry is None or entry[0] < time.monotonic():
        obj = load()
        if obj is None:
            return None
        store[key] = entry = (time.monotonic() + seconds, _copy_of(obj))
    return db.session.merge(entry[1], load=False)


def _copy_of(obj):
    if isinstance(obj, School):
        region = _detached_copy(obj.district.region)
        district = _detached_copy(obj.district, region=region)
        return _detached_copy(obj, district=district)
    return _detached_copy(obj)


def campaign():
    """The campaign now running: the newest one, or None."""
    return _kept("campaign", lambda: db.session.scalars(
        select(Campaign).order_by(Campaign.year.desc()).limit(1)).first())


def school(code):
    """The school with this code, its district and region loaded, or None."""
    return _kept(("school", code), lambda: db.session.scalars(
        select(School).options(joinedload(School.district).joinedload(District.region))
        .where(School.code == code)).first())


def forget():
    """Drop every kept copy (this process)."""
    if current_app:
        _store().clear()


@event.listens_for(Session, "after_flush")
def _after_flush(session, context):
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        forget()


@event.listens_for(Session, "do_orm_execute")
def _bulk_write(state):
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in _WATCHED:
        forget()
