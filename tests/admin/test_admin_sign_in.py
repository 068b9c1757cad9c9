"""Staff sign-in: the form (with CSRF on), lockout, no user enumeration,
activation and reset by one-time link, the second factor, sign-out and the
session's end."""
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, OutboxMessage, StaffSignInAddress
from portal.staff_accounts import create_staff_user, verify_password
from tests.scenario import BEFORE_STAGE1, at
from tests.staff import PASSWORD, ROLE_LOGINS, STAFF, sign_in, staff

DIRECTOR = STAFF["director_a"]


def refused(response):
    return response.status_code == 200 and "/admin/login" in response.request.path


def test_sign_in_with_csrf_on_takes_the_token_from_the_form(portal):
    portal.config["WTF_CSRF_ENABLED"] = True
    client = portal.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    without = client.post("/admin/login", data={"email": DIRECTOR, "password": PASSWORD})
    assert without.status_code == 400  # CSRFProtect refuses a POST without the token
    response = client.post("/admin/login", data={"email": DIRECTOR, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    start = client.get("/admin/")
    assert start.status_code == 200
    # Signing out is a POST with the token too; a bare GET or a POST without it does nothing.
    token = re.search(r'name="csrf_token" value="([^"]+)"', start.get_data(as_text=True)).group(1)
    assert client.get("/admin/logout").status_code == 405
    assert client.post("/admin/logout").status_code == 400
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_the_admin_needs_a_signed_in_staff_user(portal):
    client = portal.test_client()
    response = client.get("/admin/application/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("role", sorted(ROLE_LOGINS))
def test_each_role_signs_in_and_the_sign_in_is_audited(portal, role):
    client = portal.test_client()
    sign_in(client, ROLE_LOGINS[role])
    assert client.get("/admin/").status_code == 200
    user = staff(ROLE_LOGINS[role])
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in")).all()[-1]
    assert entry.actor == f"staff:{user.id}" and entry.entity_id == str(user.id)
    assert user.last_login_at is not None


def test_unknown_address_and_wrong_password_get_the_same_answer(portal):
    client = portal.test_client()
    unknown = client.post("/admin/login", data={"email": "nobody@example.kg", "password": PASSWORD})
    wrong = client.post("/admin/login", data={"email": DIRECTOR, "password": "wrong password"})
    assert unknown.status_code == wrong.status_code == 200

    def message(response):
        return re.search(r'class="flash error"[^>]*>(.*?)</', response.get_data(as_text=True)).group(1)
    assert message(unknown) == message(wrong)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes_at_that_address(portal):
    """At that address only: tests/admin/test_staff_lockout.py shows the owner elsewhere."""
    client = portal.test_client()
    for _ in range(5):
        client.post("/admin/login", data={"email": DIRECTOR, "password": "wrong password"})
    place = db.session.scalars(select(StaffSignInAddress)).one()
    assert place.user_id == staff(DIRECTOR).id
    assert place.locked_until == BEFORE_STAGE1 + timedelta(minutes=15)
    # Locked: even the right password is refused, with the same message as any failure.
    response = client.post("/admin/login", data={"email": DIRECTOR, "password": PASSWORD})
    assert response.status_code == 200 and "flash error" in response.get_data(as_text=True)
    at(portal, BEFORE_STAGE1 + timedelta(minutes=16))
    sign_in(client, DIRECTOR)
    db.session.expire_all()
    assert staff(DIRECTOR).failed_logins == 0


def test_a_disabled_account_cannot_sign_in_and_a_changed_password_ends_old_sessions(portal):
    client, other = portal.test_client(), portal.test_client()
    sign_in(client, DIRECTOR)
    sign_in(other, DIRECTOR)
    assert other.post("/admin/account", data={"current": PASSWORD, "password": "another secret 1",
                                               "confirm": "another secret 1"}).status_code == 302
    assert other.get("/admin/").status_code == 200  # the session that changed it goes on
    assert client.get("/admin/").status_code == 302  # every other session has ended
    user = staff(DIRECTOR)
    user.is_enabled = False
    db.session.commit()
    response = client.post("/admin/login", data={"email": DIRECTOR, "password": "another secret 1"})
    assert response.status_code == 200 and "flash error" in response.get_data(as_text=True)


def test_a_session_ends_after_idle_time_and_after_a_working_day(portal):
    client = portal.test_client()
    sign_in(client, DIRECTOR)
    at(portal, BEFORE_STAGE1 + timedelta(minutes=29))
    assert client.get("/admin/").status_code == 200
    at(portal, BEFORE_STAGE1 + timedelta(minutes=29 + 31))
    assert client.get("/admin/").status_code == 302
    sign_in(client, DIRECTOR)
    signed_in_at = moment = BEFORE_STAGE1 + timedelta(minutes=60)
    while client.get("/admin/").status_code == 200:  # busy all day, a request every quarter of an hour
        moment += timedelta(minutes=15)
        at(portal, moment)
        assert moment - signed_in_at <= timedelta(hours=13)
    assert timedelta(hours=12) <= moment - signed_in_at <= timedelta(hours=12, minutes=15)


def _new_account(portal, email="new.director@example.kg"):
    with portal.test_request_context():
        user, link = create_staff_user(email=email, role="director", scope="GB-LEN-045")
    db.session.commit()
    return user, link


def test_activation_link_sets_the_password_once_and_stores_no_token(portal):
    user, link = _new_account(portal)
    token = link.rsplit("/", 1)[1]
    client = portal.test_client()
    assert client.post("/admin/login", data={"email": user.email, "password": "anything at all"}).status_code == 200
    page = client.get(f"/admin/activate/{token}")
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    short = client.post(f"/admin/activate/{token}", data={"password": "short", "confirm": "short"})
    assert short.status_code == 200
    response = client.post(f"/admin/activate/{token}", data={"password": "my own secret", "confirm": "my own secret"})
    assert response.status_code == 302
    db.session.expire_all()
    assert verify_password(user, "my own secret") and user.activation_token_hash is None
    assert client.get(f"/admin/activate/{token}").status_code == 404  # spent
    sign_in(client, user.email, "my own secret")


def test_an_expired_or_unknown_link_does_nothing(portal):
    user, link = _new_account(portal)
    at(portal, user.activation_expires_at + timedelta(seconds=1))
    client = portal.test_client()
    assert client.get(link.replace("http://127.0.0.1:5000", "")).status_code == 404
    assert client.get("/admin/activate/not-a-token").status_code == 404


def test_reset_by_mailed_one_time_link_and_the_same_answer_for_unknown_addresses(portal):
    client = portal.test_client()
    known = client.post("/admin/reset", data={"email": DIRECTOR}, follow_redirects=True)
    unknown = client.post("/admin/reset", data={"email": "nobody@example.kg"}, follow_redirects=True)
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    sent = portal.extensions["sent_mail"]
    assert [message["To"] for message in sent] == [DIRECTOR]
    body = sent[0].get_content()
    assert PASSWORD not in body
    link = re.search(r"(http\S+/admin/reset/(\S+))", body)
    outbox = db.session.scalars(select(OutboxMessage)).one()
    assert outbox.template == "staff_password_reset" and outbox.state == "sent"
    path = link.group(1).replace(portal.config["PUBLIC_BASE_URL"], "")
    # A second request at once sends nothing more (no mail floods).
    client.post("/admin/reset", data={"email": DIRECTOR})
    assert len(sent) == 1
    assert client.post(path, data={"password": "a new secret 9", "confirm": "a new secret 9"}).status_code == 302
    assert client.get(path).status_code == 404
    sign_in(client, DIRECTOR, "a new secret 9")


def test_reset_lifts_a_lock(portal):
    client = portal.test_client()
    for _ in range(5):
        client.post("/admin/login", data={"email": DIRECTOR, "password": "wrong password"})
    client.post("/admin/reset", data={"email": DIRECTOR})
    body = portal.extensions["sent_mail"][-1].get_content()
    path = re.search(r"http\S+(/admin/reset/\S+)", body).group(1)
    client.post(path, data={"password": "a new secret 9", "confirm": "a new secret 9"})
    sign_in(client, DIRECTOR, "a new secret 9")


def test_totp_required_for_a_role_is_set_up_at_first_sign_in_then_asked_every_time(portal):
    portal.config["REQUIRE_TOTP_FOR_ROLES"] = ("ministry", "district")
    client = portal.test_client()
    email = STAFF["district_a"]
    response = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert response.headers["Location"].startswith("/admin/totp/setup")
    assert client.get("/admin/").status_code == 302  # not signed in yet
    page = client.get("/admin/totp/setup").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    assert secret not in client.get_cookie("session").value  # only a nonce travels in the cookie
    assert client.post("/admin/totp/setup", data={"code": "000000"}).status_code == 200
    code = pyotp.TOTP(secret).at(BEFORE_STAGE1)
    assert client.post("/admin/totp/setup", data={"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert staff(email).totp_secret == secret

    client.post("/admin/logout")
    response = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert response.headers["Location"].startswith("/admin/totp")
    # The code of the last sign-in cannot be used again.
    assert client.post("/admin/totp", data={"code": code}).status_code == 200
    assert client.get("/admin/").status_code == 302
    at(portal, BEFORE_STAGE1 + timedelta(seconds=60))
    later = pyotp.TOTP(secret).at(BEFORE_STAGE1 + timedelta(seconds=60))
    assert client.post("/admin/totp", data={"code": later}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_totp_is_optional_for_other_roles_and_wrong_codes_count_towards_the_lock(portal):
    portal.config["REQUIRE_TOTP_FOR_ROLES"] = ("ministry",)
    client = portal.test_client()
    sign_in(client, DIRECTOR)
    page = client.get("/admin/totp/setup").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    client.post("/admin/totp/setup", data={"code": pyotp.TOTP(secret).at(BEFORE_STAGE1)})
    client.post("/admin/logout")
    at(portal, BEFORE_STAGE1 + timedelta(minutes=1))
    for _ in range(5):
        client.post("/admin/login", data={"email": DIRECTOR, "password": PASSWORD})
        client.post("/admin/totp", data={"code": "123456"})
    assert db.session.scalars(select(StaffSignInAddress)).one().locked_until is not None
    response = client.post("/admin/login", data={"email": DIRECTOR, "password": PASSWORD})
    assert response.status_code == 200  # locked: refused before any code is asked


def test_no_password_or_token_appears_in_the_audit_trail(portal):
    user, link = _new_account(portal)
    token = link.rsplit("/", 1)[1]
    client = portal.test_client()
    client.post(f"/admin/activate/{token}", data={"password": "my own secret", "confirm": "my own secret"})
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "staff_users")):
        text = f"{entry.before} {entry.after}"
        assert token not in text and "my own secret" not in text and "$argon2" not in text


def test_turning_the_second_factor_off_needs_the_password_and_is_refused_where_required(portal):
    client = portal.test_client()
    sign_in(client, DIRECTOR)
    user = staff(DIRECTOR)
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    client.post("/admin/account/totp/off", data={"current": "wrong password"})
    db.session.expire_all()
    assert staff(DIRECTOR).totp_secret is not None
    client.post("/admin/account/totp/off", data={"current": PASSWORD})
    db.session.expire_all()
    assert staff(DIRECTOR).totp_secret is None
    portal.config["REQUIRE_TOTP_FOR_ROLES"] = ("director",)
    assert client.post("/admin/account/totp/off", data={"current": PASSWORD}).status_code in (302, 403)
