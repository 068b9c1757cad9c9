"""An audit trail to seal and verify: entries written by real changes, and a moment after them."""
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, utcnow
from tests import builders


def trail(n=5, first=0):
    """Write `n` audited changes (regions R-first...); the ids of every audit entry so far."""
    for i in range(first, first + n):
        builders.create_region(code=f"R-{i}")
    db.session.commit()
    return db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()


def later():
    return utcnow() + timedelta(minutes=10)
