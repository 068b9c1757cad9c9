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


def _start_from(client, forwarded_for, proxy="10.0.0.1"):
    return client.post("/api/v1/auth/start", json={"pin": "1", "email": "x"},
                       environ_base={"REMOTE_ADDR": proxy}, headers={"X-Forwarded-For": forwarded_for}).status_code


def test_behind_the_reverse_proxy_each_client_address_has_its_own_bucket(database_url):
    """Issue 15, item 2: behind the proxy every request came from the proxy's
    address, so the whole country shared one bucket. With PROXY_COUNT=1 the
    address the proxy appended to X-Forwarded-For is the client's."""
    app = _app(database_url, RATELIMIT_SIGN_IN="2/minute", PROXY_COUNT=1)
    client = app.test_client()
    with app.app_context():
        first = [_start_from(client, "198.51.100.1") for _ in range(3)]
        other = _start_from(client, "198.51.100.2")
        # What the client wrote itself comes first; only the proxy's last entry counts.
        forged = _start_from(client, "203.0.113.77, 198.51.100.1")
        db.engine.dispose()
    assert first == [422, 422, 429]
    assert other == 422  # another parent behind the same proxy is not affected
    assert forged == 429


def test_without_a_proxy_count_x_forwarded_for_is_not_trusted(database_url):
    """PROXY_COUNT=0 (the default: clients connect directly): a client cannot
    choose a fresh bucket by writing X-Forwarded-For."""
    app = _app(database_url, RATELIMIT_SIGN_IN="2/minute")
    assert app.config["PROXY_COUNT"] == 0
    client = app.test_client()
    with app.app_context():
        answers = [_start_from(client, f"198.51.100.{n}", proxy="192.0.2.5") for n in range(3)]
        db.engine.dispose()
    assert answers == [422, 422, 429]
