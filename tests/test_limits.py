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


def _limited_sample(database_url, tmp_path, **limits):
    """The sample data set with the clock at stage 1, in an app with these limits."""
    from tests.scenario import STAGE1, at, load_sample

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path / "uploads"),
                     **limits)
    app.extensions["sent_mail"] = []
    with app.app_context():
        load_sample()
    at(app, STAGE1)
    return app


def test_spaces_after_bearer_do_not_make_a_fresh_bucket(database_url, tmp_path):
    """Issue 15, item 10: the key was the whole header, while the token is read
    without the spaces around it, so "Bearer  T" was a new bucket for the same token."""
    from tests.scenario import SCENARIO, sign_in

    app = _limited_sample(database_url, tmp_path, RATELIMIT_REGISTER="2/minute")
    client = app.test_client()
    with app.app_context():
        token = sign_in(client, app, SCENARIO["stage1_parent"]["parent_pin"])["Authorization"].split()[1]
        answers = [client.post("/api/v1/applications", json={}, headers={"Authorization": header}).status_code
                   for header in (f"Bearer {token}", f"Bearer  {token}", f"Bearer   {token} ", f"bearer {token}")]
        db.session.remove()
        db.engine.dispose()
    assert answers[:2] == [422, 422]
    assert answers[2:] == [429, 429]


def test_one_parent_has_one_bucket_whichever_token(database_url, tmp_path):
    """A parent who signs in twice has two tokens, and still one limit."""
    from tests.scenario import SCENARIO, sign_in

    app = _limited_sample(database_url, tmp_path, RATELIMIT_REGISTER="2/minute")
    client = app.test_client()
    pin = SCENARIO["stage1_parent"]["parent_pin"]
    with app.app_context():
        first, second = sign_in(client, app, pin), sign_in(client, app, pin)
        other = sign_in(client, app, SCENARIO["outside_parent"]["parent_pin"])
        answers = [client.post("/api/v1/applications", json={}, headers=headers).status_code
                   for headers in (first, second, first, second)]
        elsewhere = client.post("/api/v1/applications", json={}, headers=other).status_code
        db.session.remove()
        db.engine.dispose()
    assert answers == [422, 422, 429, 429]
    assert elsewhere == 422  # another parent behind the same address is not affected


def test_the_forms_submit_cancel_and_move_are_limited_per_parent(database_url, tmp_path):
    """Issue 15, item 10: the form's submit, cancel and move had no limit at all."""
    from tests.public_form import sign_in
    from tests.scenario import SCENARIO

    app = _limited_sample(database_url, tmp_path, RATELIMIT_REGISTER="2/minute")
    parent = app.test_client()
    other = app.test_client()
    with app.app_context():
        sign_in(parent, app, SCENARIO["stage1_parent"]["parent_pin"])
        sign_in(other, app, SCENARIO["outside_parent"]["parent_pin"])
        answers = {}
        for path in ("/register/check", "/applications/2026-XX-0000-0000/cancel",
                     "/applications/2026-XX-0000-0000/move", "/applications/2026-XX-0000-0000/move/confirm"):
            answers[path] = [parent.post(path, data={}).status_code for _ in range(3)]
            assert other.post(path, data={}).status_code != 429, path  # another parent, another bucket
        db.session.remove()
        db.engine.dispose()
    for path, codes in answers.items():
        assert 429 not in codes[:2] and codes[2] == 429, (path, codes)
