"""A child's place in a school's first-come-first-served order (R3): one figure,
computed here and nowhere else, so that the director's list, the application's
page, the export, the parent's page and the API say the same number (issue 16,
item 4: the list showed the pool's raw counter, 6, where the parent saw 3,
because cancelled applications still held their numbers).

The place is the number of active applications of the same campaign, school
and language whose `queue_no` is not after this one's. An application that is
no longer active has no place."""
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Application

CHUNK = 500  # ids per query: far below any database's limit of bound parameters


def _place_of(outer):
    """SQL: the place of the application row `outer` (correlated)."""
    other = aliased(Application)
    return (
        select(func.count(other.id))
        .where(
            other.campaign_id == outer.campaign_id,
            other.school_id == outer.school_id,
            other.language == outer.language,
            other.is_active.is_(True),
            other.queue_no <= outer.queue_no,
        )
        .correlate(outer)
        .scalar_subquery()
    )


def position(application):
    """The place of one application in its school's order, or None when it is not active."""
    if not application.is_active:
        return None
    if application.known_position is not None:  # the registration that created it counted it already
        return application.known_position
    return positions([application]).get(application.id)


def positions(applications):
    """{application id: place} of many applications in few queries (a list page,
    an export); inactive applications are left out."""
    ids = [application.id for application in applications if application.is_active]
    found = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        found.update(db.session.execute(
            select(Application.id, _place_of(Application)).where(Application.id.in_(chunk))).all())
    return found
