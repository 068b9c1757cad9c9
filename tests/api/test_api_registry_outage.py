"""A registry outage: parents get a clear "try again later" and nothing is lost."""
import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import Application, School, SeatPool
from tests.scenario import SCENARIO, STAGE1, at, error_code, load_sample, register, sign_in


@pytest.fixture
def remote_app(database_url, tmp_path, fake_registry):  # noqa: F811
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        REGISTRY_URL=fake_registry.url,
        REGISTRY_TIMEOUT=0.3,
        REGISTRY_RETRIES=1,
        REGISTRY_BREAKER_FAILURES=50,
    )
    with app.app_context():
        app.extensions["sent_mail"] = []
        load_sample()
        at(app, STAGE1)
        yield app
        db.session.remove()
        db.engine.dispose()


def test_registry_down_gives_try_again_later_and_loses_nothing(remote_app, fake_registry):  # noqa: F811
    client = remote_app.test_client()
    person = SCENARIO["stage1_parent"]
    headers = sign_in(client, remote_app, person["parent_pin"])
    language = db.session.scalars(select(SeatPool.language).join(School).where(School.code == person["school_code"])).first()

    fake_registry.mode = "error"
    for response in (
        register(client, headers, person["child_pin"], person["school_code"], language),
        client.get("/api/v1/me", headers=headers),
        # A PIN not looked up before (a known one may be answered from the cache).
        client.post("/api/v1/auth/start", json={"pin": SCENARIO["canceller"]["parent_pin"], "email": "p@example.kg"}),
    ):
        assert response.status_code == 503 and error_code(response) == "registry_unavailable"
        assert response.headers["Retry-After"]
    ru = register(client, {**headers, "Accept-Language": "ru"}, person["child_pin"], person["school_code"], language)
    assert "реестр" in ru.json["error"]["message"].lower()
    assert db.session.scalar(select(func.count(Application.id))) == 0
    assert db.session.scalars(select(SeatPool.taken).join(School).where(School.code == person["school_code"], SeatPool.language == language)).one() == 0

    fake_registry.reset()  # the registry is back: the same request now succeeds
    response = register(client, headers, person["child_pin"], person["school_code"], language)
    assert response.status_code == 201, response.json
