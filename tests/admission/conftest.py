"""Fixtures of the domain's tests."""
import pytest

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from tests.backend_promise import require_promised_backend
from tests.scenario import STAGE1, at


@pytest.fixture
def race_app(database_url, tmp_path):
    """An app whose connection pool lets every racer hold a connection at once."""
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 70, "max_overflow": 0, "pool_timeout": 120},
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    with app.app_context():
        require_promised_backend(db.engine, "the race test")
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def staff_portal(portal):
    """The sample data, staff passwords set, the clock at stage 1."""
    at(portal, STAGE1)
    return portal
