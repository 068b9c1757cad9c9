"""Fixtures of the staff portal's tests (the portal and its world: tests/staff.py, via tests/conftest.py)."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import StaffUser
from portal.staff_accounts import hash_password
from tests.reports.test_reports import campaign_in_progress
from tests.staff import PASSWORD


@pytest.fixture
def reports(app):
    campaign_in_progress(app)
    password_hash = hash_password(PASSWORD)
    for user in db.session.scalars(select(StaffUser)):
        user.password_hash = password_hash
    db.session.commit()
    return app
