"""Coarse rate limits at the edge: generous per address, tight per parent."""
from portal import create_app
from portal.config import TestConfig
from portal.extensions import db


def _app(database_url, **limits):
    return create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, **limits)


def test_sign_in_calls_are_limited_per_address(database_url):
    app = _app(database_url, RATELIMIT_SIGN_IN="3/minute")
    client = app.test_client()
    with app.app_context():
        answers = [client.post("/api/v1/auth/start", json={"pin": "1", "email": "x"}).status_code for _ in range(4)]
        db.engine.dispose()
    assert answers[:3] == [422, 422, 422]
    assert answers[3] == 429
    response = client.post("/api/v1/auth/start", json={})
    assert response.json["error"]["code"] == "rate_limited"


def test_registration_calls_are_limited_per_parent_not_per_address(database_url):
    app = _app(database_url, RATELIMIT_REGISTER="2/minute")
    client = app.test_client()
    with app.app_context():
        one = [client.post("/api/v1/applications", json={}, headers={"Authorization": "Bearer one"}).status_code for _ in range(3)]
        other = client.post("/api/v1/applications", json={}, headers={"Authorization": "Bearer two"}).status_code
        db.engine.dispose()
    assert one == [401, 401, 429]
    assert other == 401  # another parent behind the same address is not affected


def test_limits_switched_off_leave_the_limited_calls_working(database_url):
    import gc

    app = _app(database_url, RATELIMIT_ENABLED=False, RATELIMIT_SIGN_IN="1/minute")
    gc.collect()  # the decorated views hold the limiter weakly
    client = app.test_client()
    with app.app_context():
        answers = [client.post("/api/v1/auth/start", json={"pin": "1", "email": "x"}).status_code for _ in range(3)]
        db.engine.dispose()
    assert answers == [422, 422, 422]
