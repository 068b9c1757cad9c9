"""Sessions end on the server: a cookie or token kept from before sign-out, a
password change or a disabled account no longer signs anybody in.

Every test captures what a thief would have (the session cookie, a CSRF token
of that session, a bearer token), ends the session the ordinary way, and
replays it on a page and on a state-changing request."""
import re

import pytest
from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.models import Applicant, AuditEntry
from portal.staff_accounts import verify_password
from tests.public_form import mailed_code, page
from tests.scenario import SCENARIO, error_code, id_document, register
from tests.scenario import sign_in as api_sign_in
from tests.staff import PASSWORD, STAFF, staff

DIRECTOR = STAFF["director_a"]
PARENT = SCENARIO["stage1_parent"]
NEW_PASSWORD = "another secret 2026"


def csrf_token(response):
    """The page's CSRF token (None where the test runs with CSRF off)."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert found or not current_app.config["WTF_CSRF_ENABLED"], page(response)[:2000]
    return found.group(1) if found else None


def session_cookie(client):
    return client.get_cookie("session").value


def replaying(app, cookie):
    """A client of somebody else who holds a copy of the cookie (a new one for
    each request: the copy does not learn what the answers set)."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def signed_out(response, sign_in_path):
    return response.status_code == 302 and sign_in_path in response.location


# --- staff ----------------------------------------------------------------------------------
def staff_sign_in(client, email=DIRECTOR, password=PASSWORD):
    token = csrf_token(client.get("/admin/login"))
    response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, page(response)[:2000]


def change_password(client, token, current=PASSWORD, new=NEW_PASSWORD):
    return client.post("/admin/account", data={"current": current, "password": new, "confirm": new,
                                                "csrf_token": token})


def token_revocations():
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "command", AuditEntry.entity == "api_tokens").order_by(AuditEntry.id)).all()


def version_updates(entity, entity_id):
    """The trail's entries of a raised session version (R13: the listener writes them)."""
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id), AuditEntry.action == "update")).all()
    return [entry for entry in entries if "session_version" in (entry.after or {})]


def test_a_staff_cookie_replayed_after_sign_out_is_signed_out(portal):
    portal.config["WTF_CSRF_ENABLED"] = True
    client = portal.test_client()
    staff_sign_in(client)
    token = csrf_token(client.get("/admin/account"))
    cookie = session_cookie(client)
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302

    assert signed_out(replaying(portal, cookie).get("/admin/"), "/admin/login")
    assert signed_out(replaying(portal, cookie).get("/admin/application/"), "/admin/login")
    # A state-changing POST with the CSRF token of that session: refused, nothing changed.
    assert signed_out(change_password(replaying(portal, cookie), token), "/admin/login")
    db.session.expire_all()
    assert verify_password(staff(DIRECTOR), PASSWORD)
    # The sign-in page says why (in Kyrgyz, the portal's default).
    told = page(replaying(portal, cookie).get("/admin/", follow_redirects=True))
    assert "Сиз системадан чыгарылдыңыз. Кайрадан кириңиз." in told


def test_a_staff_sign_out_with_a_replayed_cookie_ends_nothing_new_and_a_new_sign_in_works(portal):
    client = portal.test_client()
    staff_sign_in(client)
    cookie = session_cookie(client)
    client.post("/admin/logout")
    assert signed_out(replaying(portal, cookie).get("/admin/"), "/admin/login")
    staff_sign_in(client)
    assert client.get("/admin/").status_code == 200


def test_a_changed_password_ends_the_users_other_sessions_and_keeps_this_one(portal):
    portal.config["WTF_CSRF_ENABLED"] = True
    mine, other = portal.test_client(), portal.test_client()
    staff_sign_in(mine)
    staff_sign_in(other)
    other_token = csrf_token(other.get("/admin/account"))
    token = csrf_token(mine.get("/admin/account"))
    assert change_password(mine, token).status_code == 302
    assert mine.get("/admin/").status_code == 200
    assert signed_out(other.get("/admin/"), "/admin/login")
    # The other session cannot change the password back with its own token.
    assert signed_out(change_password(other, other_token, current=NEW_PASSWORD, new=PASSWORD), "/admin/login")
    db.session.expire_all()
    assert verify_password(staff(DIRECTOR), NEW_PASSWORD)


def test_a_password_reset_by_link_ends_every_session_of_the_user(portal):
    from admin import security

    client = portal.test_client()
    staff_sign_in(client)
    cookie = session_cookie(client)
    with portal.test_request_context():
        link = security.issue_password_link(staff(DIRECTOR), minutes=60, now=security.now())
    db.session.commit()
    response = portal.test_client().post(f"/admin/reset/{link}", data={"password": NEW_PASSWORD,
                                                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_out(client.get("/admin/"), "/admin/login")
    assert signed_out(replaying(portal, cookie).get("/admin/"), "/admin/login")


def test_disabling_a_user_ends_their_sessions_for_good_even_when_enabled_again(portal):
    portal.config["WTF_CSRF_ENABLED"] = True
    director, district = portal.test_client(), portal.test_client()
    staff_sign_in(director, STAFF["director_b"])
    director_token = csrf_token(director.get("/admin/account"))
    staff_sign_in(district, STAFF["district_a"])
    token = csrf_token(district.get("/admin/staff_user/"))
    target = staff(STAFF["director_b"])
    for action in ("disable", "enable"):
        response = district.post("/admin/staff_user/action/",
                                 data={"action": action, "rowid": [target.id], "csrf_token": token, "confirmed": "1"})
        assert response.status_code == 302
    db.session.expire_all()
    assert staff(STAFF["director_b"]).is_enabled
    assert signed_out(director.get("/admin/"), "/admin/login")
    assert signed_out(change_password(director, director_token), "/admin/login")
    db.session.expire_all()
    assert verify_password(staff(STAFF["director_b"]), PASSWORD)
    # The manager's own session goes on; the director signs in anew.
    assert district.get("/admin/staff_user/").status_code == 200
    staff_sign_in(director, STAFF["director_b"])
    assert director.get("/admin/").status_code == 200


def test_a_staff_sign_out_is_in_the_audit_trail(portal):
    client = portal.test_client()
    staff_sign_in(client)
    user = staff(DIRECTOR)
    before = len(version_updates("staff_users", user.id))
    client.post("/admin/logout")
    entries = version_updates("staff_users", user.id)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.actor == f"staff:{user.id}" and set(entry.after) == {"session_version"}
    assert entry.after["session_version"] == entry.before["session_version"] + 1


def test_a_session_of_the_old_format_is_signed_out(portal):
    """A cookie written before session versions (user id alone) signs nobody in."""
    client = portal.test_client()
    staff_sign_in(client)
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(staff(DIRECTOR).id)
    assert signed_out(client.get("/admin/"), "/admin/login")


# --- parents on the public site ---------------------------------------------------------------
@pytest.fixture
def english(client):
    client.get("/lang/en")
    return client


def parent_sign_in(client, app, pin=PARENT["parent_pin"]):
    # The contact the API sign-in of `registered_application` uses: the application was made from it.
    token = csrf_token(client.get("/sign-in"))
    response = client.post("/sign-in", data={"pin": pin, "id_document": id_document(pin), "contact": f"{pin}@example.kg", "csrf_token": token})
    assert response.status_code == 302, page(response)[:2000]
    response = client.post("/sign-in/code", data={"code": mailed_code(app), "csrf_token": token})
    assert response.status_code == 302, page(response)[:2000]


def registered_application(client, app):
    headers = api_sign_in(client, app, PARENT["parent_pin"])
    response = register(client, headers, PARENT["child_pin"], PARENT["school_code"], _language())
    assert response.status_code == 201, response.json
    return response.json["number"], headers


def _language():
    from tests.public_form import first_language

    return first_language(PARENT["school_code"])


def _status(number):
    from portal.models import Application

    db.session.expire_all()
    return db.session.scalars(select(Application.status).where(Application.number == number)).one()


def test_a_parents_cookie_replayed_after_sign_out_is_signed_out(sample, english):
    number, _headers = registered_application(english, sample)
    sample.config["WTF_CSRF_ENABLED"] = True
    parent_sign_in(english, sample)
    token = csrf_token(english.get(f"/applications/{number}/cancel"))
    cookie = session_cookie(english)
    assert english.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert "You have signed out." in page(english.get("/"))

    assert signed_out(replaying(sample, cookie).get("/children"), "/sign-in")
    assert signed_out(replaying(sample, cookie).get(f"/applications/{number}"), "/sign-in")
    # Cancelling with the CSRF token of that session: refused, the application is still there.
    thief = replaying(sample, cookie)
    assert signed_out(thief.post(f"/applications/{number}/cancel", data={"csrf_token": token}), "/sign-in")
    assert _status(number) == "registered"
    assert "You have been signed out. Please sign in again." in page(thief.get("/sign-in"))
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == PARENT["parent_pin"])).one()
    entry = version_updates("applicants", applicant.id)[-1]
    assert entry.actor == f"applicant:{applicant.id}" and set(entry.after) == {"session_version"}
    # Signing in again works, and the new session may cancel.
    parent_sign_in(english, sample)
    token = csrf_token(english.get(f"/applications/{number}/cancel"))
    assert english.post(f"/applications/{number}/cancel", data={"csrf_token": token}).status_code == 302
    assert _status(number) == "cancelled"


def test_a_parents_web_sign_out_leaves_the_apps_token_alone(sample, english):
    number, headers = registered_application(english, sample)
    parent_sign_in(english, sample)
    english.post("/sign-out")
    assert english.get(f"/api/v1/applications/{number}", headers=headers).status_code == 200


# --- parents' API tokens --------------------------------------------------------------------------
def test_sign_out_revokes_the_token_used_and_only_that_one(sample, client):
    first = api_sign_in(client, sample, PARENT["parent_pin"])
    second = api_sign_in(client, sample, PARENT["parent_pin"])
    response = client.post("/api/v1/auth/sign-out", headers=first)
    assert response.status_code == 200 and response.json == {"status": "signed_out", "tokens_revoked": 1}
    for path in ("/api/v1/me", "/api/v1/applications"):
        refused = client.get(path, headers=first)
        assert refused.status_code == 401 and error_code(refused) == "unauthorized"
    refused = client.post("/api/v1/applications", headers=first, json={
        "child_pin": PARENT["child_pin"], "school_code": PARENT["school_code"], "language": _language()})
    assert refused.status_code == 401 and error_code(refused) == "unauthorized"
    assert client.post("/api/v1/auth/sign-out", headers=first).status_code == 401  # spent already
    assert client.get("/api/v1/me", headers=second).status_code == 200
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == PARENT["parent_pin"])).one()
    [entry] = token_revocations()
    assert entry.actor == f"applicant:{applicant.id}" and entry.note == "sign_out"
    assert len(entry.after["ids"]) == 1
    assert not version_updates("applicants", applicant.id)  # the web sessions go on


def test_sign_out_everywhere_revokes_every_token_and_ends_the_web_sessions(sample, client):
    first = api_sign_in(client, sample, PARENT["parent_pin"])
    second = api_sign_in(client, sample, PARENT["parent_pin"])
    other_family = api_sign_in(client, sample, SCENARIO["canceller"]["parent_pin"])
    browser = sample.test_client()
    parent_sign_in(browser, sample)
    assert browser.get("/children").status_code == 200
    cookie = session_cookie(browser)

    response = client.post("/api/v1/auth/sign-out-everywhere", headers=second)
    assert response.status_code == 200 and response.json == {"status": "signed_out", "tokens_revoked": 2}
    for headers in (first, second):
        refused = client.get("/api/v1/me", headers=headers)
        assert refused.status_code == 401 and error_code(refused) == "unauthorized"
    assert signed_out(browser.get("/children"), "/sign-in")
    assert signed_out(replaying(sample, cookie).get("/children"), "/sign-in")
    assert client.get("/api/v1/me", headers=other_family).status_code == 200
    applicant = db.session.scalars(select(Applicant).where(Applicant.pin == PARENT["parent_pin"])).one()
    [entry] = token_revocations()
    assert entry.actor == f"applicant:{applicant.id}" and entry.note == "sign_out_everywhere"
    assert len(entry.after["ids"]) == 2
    assert version_updates("applicants", applicant.id)[-1].actor == f"applicant:{applicant.id}"
    # A new sign-in gets a working token.
    assert client.get("/api/v1/me", headers=api_sign_in(client, sample, PARENT["parent_pin"])).status_code == 200


def test_sign_out_needs_a_valid_token(sample, client):
    for path in ("/api/v1/auth/sign-out", "/api/v1/auth/sign-out-everywhere"):
        for headers in ({}, {"Authorization": "Bearer nonsense"}):
            response = client.post(path, headers=headers)
            assert response.status_code == 401 and error_code(response) == "unauthorized"
