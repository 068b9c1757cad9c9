"""Issue 15, item 11: nobody can lock a staff user out.

Five wrong passwords in 0.7 s locked a director against the right password, and
staff e-mails follow a pattern. Now the lock is per account and address, with a
lock twice as long each time; many addresses together lock the account except
where the owner signs in; a mailed reset link is the owner's way in from
anywhere; and the edge limits the sign-in POSTs per address.

Each request names its address (`REMOTE_ADDR`).
"""
import re
from datetime import timedelta

from sqlalchemy import select

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import StaffSignInAddress
from tests.public_form import page
from tests.scenario import BEFORE_STAGE1, at
from tests.staff import PASSWORD, STAFF, staff

DIRECTOR = STAFF["director_a"]
OWNER, STRANGER = "198.51.100.20", "203.0.113.5"


def attempt(client, address, password, email=DIRECTOR):
    """True when the sign-in went through."""
    response = client.post("/admin/login", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address})
    return response.status_code == 302


def guess(client, address, times):
    for n in range(times):
        assert not attempt(client, address, f"guess number {n}")


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(portal):
    """Was: five wrong passwords from anywhere locked the account for everyone."""
    guess(portal.test_client(), STRANGER, 5)
    assert not attempt(portal.test_client(), STRANGER, PASSWORD)  # the guesser's address is locked
    assert attempt(portal.test_client(), OWNER, PASSWORD)  # the owner is not


def test_each_lock_of_an_address_lasts_twice_as_long_as_the_last(portal):
    client, now = portal.test_client(), BEFORE_STAGE1
    edge = portal.extensions["mektep_limiter"]  # its minute is the real one: forget it between the steps
    for minutes in (15, 30, 60, 120):
        edge.reset()
        guess(client, STRANGER, 5)
        place = db.session.scalars(select(StaffSignInAddress)).one()
        assert place.locked_until == now + timedelta(minutes=minutes)
        assert not attempt(client, STRANGER, PASSWORD)
        now = place.locked_until + timedelta(seconds=1)
        at(portal, now)
    # Locks stop growing at STAFF_LOCK_MAX_HOURS, and a quiet day starts them again from 15 minutes.
    place.lockouts = 20
    db.session.commit()
    edge.reset()
    guess(client, STRANGER, 5)
    db.session.refresh(place)
    assert place.locked_until == now + timedelta(hours=24)
    now = place.locked_until + timedelta(days=1, seconds=1)
    at(portal, now)
    edge.reset()
    guess(client, STRANGER, 5)
    db.session.refresh(place)
    assert place.locked_until == now + timedelta(minutes=15)


def test_many_addresses_lock_the_account_but_not_where_the_owner_signs_in(portal):
    """Guessing from many addresses is bounded too (ASVS 2.2.1: at most
    STAFF_ACCOUNT_LOCK_AFTER_FAILURES failures per STAFF_LOCK_MINUTES from
    addresses that are not the owner's); the owner's address is not held."""
    assert attempt(portal.test_client(), OWNER, PASSWORD)  # the owner signed in here before
    client = portal.test_client()
    for host in range(1, 5):
        guess(client, f"203.0.113.{host}", 5)
    assert staff(DIRECTOR).locked_until == BEFORE_STAGE1 + timedelta(minutes=15)
    assert not attempt(client, "192.0.2.77", PASSWORD)  # a new address waits
    assert attempt(portal.test_client(), OWNER, PASSWORD)  # the owner's does not
    at(portal, BEFORE_STAGE1 + timedelta(minutes=16))
    assert attempt(client, "192.0.2.77", PASSWORD)


def test_the_owner_gets_in_through_a_mailed_reset_link_from_anywhere(portal):
    """The account locked by strangers everywhere: the reset link lifts the lock,
    and the address it was used from is the owner's, even if the strangers lock
    the account again."""
    client = portal.test_client()
    for host in range(1, 5):
        guess(client, f"203.0.113.{host}", 5)
    owner = portal.test_client()
    assert not attempt(owner, OWNER, PASSWORD)
    owner.post("/admin/reset", data={"email": DIRECTOR}, environ_base={"REMOTE_ADDR": OWNER})
    path = re.search(r"http\S+(/admin/reset/\S+)", portal.extensions["sent_mail"][-1].get_content()).group(1)
    chosen = owner.post(path, data={"password": "a new secret 9", "confirm": "a new secret 9"},
                        environ_base={"REMOTE_ADDR": OWNER})
    assert chosen.status_code == 302
    for host in range(5, 9):
        guess(client, f"203.0.113.{host}", 5)
    assert staff(DIRECTOR).locked_until is not None  # locked again for everyone else
    assert attempt(owner, OWNER, "a new secret 9")


def test_unlocking_in_the_users_view_lifts_every_lock_of_the_account(portal):
    from portal.staff_accounts import unlock

    guess(portal.test_client(), STRANGER, 5)
    unlock(staff(DIRECTOR))
    db.session.commit()
    assert attempt(portal.test_client(), STRANGER, PASSWORD)


def test_the_address_is_kept_only_as_a_digest(portal):
    guess(portal.test_client(), STRANGER, 1)
    place = db.session.scalars(select(StaffSignInAddress)).one()
    assert STRANGER not in place.requester and re.fullmatch(r"[0-9a-f]{32}", place.requester)


def test_staff_sign_in_is_limited_per_address_at_the_edge(database_url, tmp_path):
    """Guessing many accounts' passwords from one place: RATELIMIT_STAFF_SIGN_IN
    POSTs per address; the page says so in the person's language."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path),
                     RATELIMIT_STAFF_SIGN_IN="3/minute")
    client = app.test_client()
    with app.app_context():
        client.get("/lang/en")
        for n in range(3):
            assert attempt(client, STRANGER, "wrong", email=f"staff{n}@example.kg") is False
        limited = client.post("/admin/login", data={"email": "staff9@example.kg", "password": "wrong"},
                              environ_base={"REMOTE_ADDR": STRANGER})
        other = client.post("/admin/login", data={"email": "staff9@example.kg", "password": "wrong"},
                            environ_base={"REMOTE_ADDR": OWNER})
        page_itself = client.get("/admin/login", environ_base={"REMOTE_ADDR": STRANGER})
        db.session.remove()
        db.engine.dispose()
    assert limited.status_code == 429
    assert '<html lang="en">' in page(limited) and "Too many attempts" in page(limited)
    assert other.status_code == 200  # another address is not affected
    assert page_itself.status_code == 200  # showing the form is not limited
