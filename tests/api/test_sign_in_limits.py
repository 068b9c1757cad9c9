"""Issue 15, item 1: nobody can lock a parent out of sign-in.

A stranger knows the parent's PIN, perhaps their e-mail address, not the number
of their identity document and not the code. The limits slow the stranger
(their own requests are limited, and a code has few tries) without blocking the
parent: limits per requester and per (PIN, contact), a contact bound to the PIN
can always ask, a code's tries by whoever asked for it are counted apart from
everyone else's, and a later request sent nowhere hides nothing.

Each request names its address (`REMOTE_ADDR`); the parent and the stranger
come from different ones unless a test says otherwise.
"""
import re

from portal.admission import sign_in as rules
from portal.extensions import db
from portal.models import SignInCode
from tests.public_form import page
from tests.scenario import ID_DOCUMENTS, SCENARIO, error_code, register

PARENT = SCENARIO["stage1_parent"]["parent_pin"]
DOCUMENT = ID_DOCUMENTS[PARENT]
HOME, STRANGER = "198.51.100.7", "203.0.113.66"


def start(client, address, **body):
    return client.post("/api/v1/auth/start", json={"pin": PARENT, **body}, environ_base={"REMOTE_ADDR": address})


def verify(client, address, code, **body):
    return client.post("/api/v1/auth/verify", json={"pin": PARENT, "code": code, **body},
                       environ_base={"REMOTE_ADDR": address})


def mails_to(app, address):
    return [m for m in app.extensions["sent_mail"] if m["To"] == address]


def code_in(mail):
    return re.search(r"\b(\d{6})\b", mail.get_content()).group(1)


def wrong(code):
    return f"{(int(code) + 1) % 10**6:06d}"


def parent_asks(client, app, address=HOME, email="parent@example.kg"):
    """The parent asks for a code (the right document number): (answer, code)."""
    answer = start(client, address, id_document=DOCUMENT, email=email)
    assert answer.status_code == 202, answer.json
    return answer, code_in(mails_to(app, email)[-1])


def test_a_stranger_asking_with_the_pin_does_not_stop_the_parent(sample, client):
    """Was: five auth/start with the PIN and any e-mails gave the parent 429 for an hour."""
    for n in range(rules.CODES_PER_HOUR_PER_REQUESTER):
        assert start(client, STRANGER, email=f"s{n}@example.org", id_document=f"ID{n:07d}").status_code == 202
    stopped = start(client, STRANGER, email="s9@example.org", id_document=DOCUMENT)
    assert stopped.status_code == 429 and error_code(stopped) == "rate_limited"  # the stranger is slowed
    assert mails_to(sample, "s9@example.org") == []
    parent_asks(client, sample)  # the parent is not


def test_made_up_pins_with_the_parents_e_mail_do_not_stop_it(sample, client):
    """Was: ten calls with made-up PINs and the victim's e-mail blocked the address
    for an hour, silently. Only codes really sent count against a contact."""
    for n in range(rules.CODES_PER_HOUR_PER_CONTACT + 2):
        client.post("/api/v1/auth/start", json={"pin": f"{10000000000000 + n}", "email": "parent@example.kg"},
                    environ_base={"REMOTE_ADDR": STRANGER})
    parent_asks(client, sample)


def test_strangers_at_many_addresses_cannot_stop_the_parents_bound_contact(sample, client):
    """Guessing the document number from many addresses fills the PIN's limit; a
    contact new to the PIN then waits, the parent's bound contact never does."""
    _, code = parent_asks(client, sample)
    assert verify(client, HOME, code).status_code == 200  # parent@example.kg is bound now
    guesses = 0
    for host in range(1, 10):
        for n in range(rules.CODES_PER_HOUR_PER_REQUESTER):
            start(client, f"203.0.113.{host}", email=f"s{host}-{n}@example.org", id_document=f"ID{guesses:07d}")
            guesses += 1
    assert guesses > rules.CODES_PER_HOUR_PER_PIN
    new_contact = start(client, "192.0.2.200", email="new@example.org", id_document=DOCUMENT)
    assert new_contact.status_code == 429  # the PIN's limit holds for a contact not bound to it
    # The stranger asks for the parent's own contact, with wrong numbers: nothing is
    # sent, and only the stranger's requester is held.
    for n in range(rules.CODES_PER_HOUR_PER_REQUESTER + 1):
        start(client, STRANGER, email="parent@example.kg", id_document=f"ID9{n:06d}")
    assert start(client, STRANGER, email="parent@example.kg", id_document=DOCUMENT).status_code == 429
    before = len(mails_to(sample, "parent@example.kg"))
    _, code = parent_asks(client, sample, address="192.0.2.201")  # from anywhere: a new address
    assert len(mails_to(sample, "parent@example.kg")) == before + 1
    assert verify(client, "192.0.2.201", code).status_code == 200


def test_a_strangers_wrong_codes_do_not_burn_the_parents_code(sample, client):
    """Was: five wrong auth/verify made the parent's newest correct code fail."""
    asked, code = parent_asks(client, sample)
    for _ in range(rules.CODE_ATTEMPTS + 2):
        assert verify(client, STRANGER, wrong(code)).status_code == 401
    # The parent's app sends its request token back; an older app does not, from the same address.
    assert verify(client, HOME, code, request=asked.json["request"]).status_code == 200
    _, code = parent_asks(client, sample)
    for _ in range(rules.CODE_ATTEMPTS + 2):
        verify(client, STRANGER, wrong(code))
    assert verify(client, HOME, code).status_code == 200


def test_a_code_has_few_tries_all_the_same(sample, client):
    """The stranger's tries are limited too: CODE_ATTEMPTS for everyone but the
    asker together, so even the right code fails after them; the asker's own
    CODE_ATTEMPTS are theirs, and a fresh code always verifies once."""
    asked, code = parent_asks(client, sample)
    for _ in range(rules.CODE_ATTEMPTS):
        verify(client, STRANGER, wrong(code))
    assert verify(client, "192.0.2.99", code).status_code == 401  # a third address: no tries left for others
    for _ in range(rules.CODE_ATTEMPTS):
        assert verify(client, HOME, wrong(code), request=asked.json["request"]).status_code == 401
    assert verify(client, HOME, code, request=asked.json["request"]).status_code == 401  # its own are used up
    row = db.session.scalars(db.select(SignInCode).where(SignInCode.code_hash.is_not(None))).one()
    assert (row.attempts, row.other_attempts) == (rules.CODE_ATTEMPTS, rules.CODE_ATTEMPTS)
    # A new code is not burnt by the tries at the older one.
    asked, code = parent_asks(client, sample)
    assert verify(client, HOME, code, request=asked.json["request"]).status_code == 200


def test_a_later_request_sent_nowhere_does_not_hide_the_parents_code(sample, client):
    """Was: the newest open code of the PIN was the only one tried, so a stranger's
    request (a wrong number: nothing sent) made the parent's code fail."""
    _, code = parent_asks(client, sample)
    assert start(client, STRANGER, email="s@example.org", id_document="ID0000000").status_code == 202
    assert verify(client, HOME, code).status_code == 200


def test_a_request_token_names_only_its_own_code(sample, client):
    asked, first = parent_asks(client, sample)
    _, second = parent_asks(client, sample)
    assert verify(client, HOME, second, request=asked.json["request"]).status_code == 401
    assert verify(client, HOME, first, request="made-up").status_code == 401
    assert verify(client, HOME, first, request=asked.json["request"]).status_code == 200


def test_on_the_form_the_parents_tries_are_the_browsers_own(sample, client):
    """The form's session holds the id of the code it asked for: a stranger's
    wrong guesses through the API, even from the parent's own address (a mobile
    operator's shared one), cannot burn it, nor can a later request hide it."""
    asked = client.post("/sign-in", data={"pin": PARENT, "id_document": DOCUMENT, "contact": "parent@example.kg"},
                        environ_base={"REMOTE_ADDR": HOME})
    assert asked.status_code == 302
    code = code_in(mails_to(sample, "parent@example.kg")[-1])
    stranger = sample.test_client()
    for _ in range(rules.CODE_ATTEMPTS + 1):
        verify(stranger, HOME, wrong(code))
    start(stranger, HOME, email="s@example.org", id_document="ID0000000")
    done = client.post("/sign-in/code", data={"code": code}, environ_base={"REMOTE_ADDR": HOME})
    assert done.status_code == 302, page(done)
    assert client.get("/children").status_code == 200


def signed_in(client, app, address, email):
    _, code = parent_asks(client, app, address=address, email=email)
    answer = verify(client, address, code)
    assert answer.status_code == 200, answer.json
    return {"Authorization": f"Bearer {answer.json['token']}"}


def test_a_strangers_sign_in_requests_do_not_stop_a_confirmation(sample, client):
    """Was: every code row of the PIN counted against confirmations, so five
    sign-in requests by a stranger stopped the code that confirms a cancel."""
    family = SCENARIO["stage1_parent"]
    parent = signed_in(client, sample, HOME, "parent@example.kg")
    number = register(client, parent, family["child_pin"], family["school_code"]).json["number"]
    other = signed_in(client, sample, "192.0.2.10", "second@example.kg")  # the parent's second contact
    for n in range(rules.CODES_PER_HOUR_PER_REQUESTER):
        start(client, STRANGER, email=f"s{n}@example.org")
    refused = client.post(f"/api/v1/applications/{number}/cancel", headers=other)
    assert refused.status_code == 428 and error_code(refused) == "confirmation_required"


def test_the_requester_is_stored_only_as_a_digest(sample, client):
    parent_asks(client, sample)
    row = db.session.scalars(db.select(SignInCode)).one()
    assert HOME not in (row.requester or "") and re.fullmatch(r"[0-9a-f]{32}", row.requester)
    assert row.request_hash is not None and len(row.request_hash) == 64
