"""The registry port: the local adapter, the HTTP adapter against a fake "Түндүк",
the circuit breaker, the cache, and one contract both adapters must keep."""
import logging
import re
import threading
import time
from datetime import date

import pytest
from sqlalchemy import event

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import RegistryLink, RegistryPerson
from portal.registry import (
    HttpRegistry,
    Link,
    LocalRegistry,
    Person,
    Registry,
    RegistryUnavailable,
    get_registry,
)
from portal.registry import http as http_adapter
from portal.registry.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from portal.registry.cache import PersonCache
from tests.builders import create_address, create_district
from tests.fake_registry import load_sample

# People of the sample data (portal/sample_data/scenario.json names them).
MOTHER = "12103198501551"  # Усенова Салтанат, mother of two
FATHER = "22312199201557"
SON = "21005201901563"  # born 2019-05-10
DAUGHTER = "11309202001565"  # born 2020-09-13
GUARDIAN = "12807198602014"  # legal representative of three children (R9)
WARDS = ["12505201902017", "11106201902019", "22202202002025"]
NO_DOCUMENTS = "21509201902013"
NO_ADDRESS = "10107202002060"
UNKNOWN = "19999199999999"  # well-formed, in nobody's registry

TIMEOUT = 0.3
RETRIES = 2
FAILURES = 3  # breaker opens after this many failed calls in a row
RESET = 0.2  # seconds the breaker stays open in these tests


# Set-up ---------------------------------------------------------------------

@pytest.fixture
def local_sample(session):
    """The sample registry built with the ORM (not through the importer)."""
    persons, links = load_sample()
    district = create_district()
    for address_id in sorted({row["address_id"] for row in persons.values() if row["address_id"]}):
        create_address(address_id=address_id, district=district)
    session.flush()
    session.add_all(
        RegistryPerson(
            pin=row["pin"],
            last_name=row["last_name"],
            first_name=row["first_name"],
            patronymic=row["patronymic"],
            sex=row["sex"],
            birth_date=date.fromisoformat(row["birth_date"]),
            address_id=row["address_id"] or None,
            has_documents=row["has_documents"] == "1",
            id_document=row.get("id_document") or None,
        )
        for row in persons.values()
    )
    session.flush()
    session.add_all(RegistryLink(**row) for row in links)
    session.commit()
    return persons, links


def make_http(fake, **overrides):
    settings = dict(
        client_id="KG/TEST/mektep1/tests",
        timeout=TIMEOUT,
        retries=RETRIES,
        breaker_failures=FAILURES,
        breaker_reset=RESET,
        cache_ttl=0,  # off, so that the request counter tells every call
        backoff=0.01,
    )
    settings.update(overrides)
    return HttpRegistry(fake.url, **settings)


@pytest.fixture
def http_registry(fake_registry):  # noqa: F811
    registry = make_http(fake_registry)
    yield registry
    registry.close()


@pytest.fixture
def count_queries(app):
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):  # not BEGIN and the like
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield statements
    event.remove(db.engine, "before_cursor_execute", record)


# LocalRegistry --------------------------------------------------------------

def test_local_person_found_missing_and_malformed_pin(local_sample):
    registry = LocalRegistry()
    mother = registry.person(MOTHER)
    assert mother == Person(
        pin=MOTHER, last_name="Усенова", first_name="Салтанат", patronymic="Айбек кызы",
        sex="F", birth_date=date(1985, 3, 21), address_id="A0000002", has_documents=True, id_document="ID4647178",
    )
    assert mother.full_name == "Усенова Салтанат Айбек кызы"
    assert registry.person(UNKNOWN) is None
    assert registry.person("1210319850155") is None  # 13 digits
    assert registry.person("١٢١٠٣١٩٨٥٠١٥٥١") is None  # Arabic-Indic digits are not a PIN


def test_local_person_without_address_or_documents(local_sample):
    registry = LocalRegistry()
    assert registry.person(NO_ADDRESS).address_id is None
    assert registry.person(NO_DOCUMENTS).has_documents is False


def test_local_children_of_is_one_query(local_sample, count_queries):
    found = LocalRegistry().children_of(MOTHER)
    assert len(count_queries) == 1
    assert [(link.relation, person.pin) for link, person in found] == [
        ("mother", SON), ("mother", DAUGHTER),  # oldest first
    ]
    assert all(link.parent_pin == MOTHER and link.child_pin == person.pin for link, person in found)


def test_local_parents_of_and_guardian_links(local_sample, count_queries):
    registry = LocalRegistry()
    parents = registry.parents_of(SON)
    assert [(link.relation, person.pin) for link, person in parents] == [("mother", MOTHER), ("father", FATHER)]
    wards = registry.children_of(GUARDIAN)
    assert {person.pin for _, person in wards} == set(WARDS)
    assert {link.relation for link, _ in wards} == {"guardian"}
    assert len(count_queries) == 2
    assert registry.children_of(UNKNOWN) == [] and registry.parents_of(UNKNOWN) == []


def test_local_family_is_the_person_and_the_parents_in_one_query(local_sample, count_queries):
    registry = LocalRegistry()
    kin = registry.family(SON, MOTHER)
    assert len(count_queries) == 1
    assert kin == (registry.person(SON), registry.parents_of(SON), registry.children_of(MOTHER))
    assert len(kin.applicant_children) == 2  # the son and his sister
    assert registry.family(SON) == (registry.person(SON), registry.parents_of(SON), [])
    assert registry.family(SON, GUARDIAN).applicant_children == []  # not the son's guardian
    assert registry.family(MOTHER) == (registry.person(MOTHER), [], [])  # in the registry, no parents linked
    assert registry.family(UNKNOWN) == (None, [], []) and registry.family("garbage") == (None, [], [])


def test_local_persons_batch_is_one_query(local_sample, count_queries):
    found = LocalRegistry().persons([SON, MOTHER, UNKNOWN, "garbage", SON])
    assert list(found) == [SON, MOTHER]
    assert len(count_queries) == 1
    assert LocalRegistry().persons([]) == {}


def test_both_adapters_keep_the_protocol():
    assert isinstance(LocalRegistry(), Registry)
    assert isinstance(HttpRegistry("http://127.0.0.1:9", client_id="x"), Registry)


# HttpRegistry: answers ------------------------------------------------------

def test_http_person_found(http_registry, fake_registry):  # noqa: F811
    person = http_registry.person(MOTHER)
    assert person.full_name == "Усенова Салтанат Айбек кызы"
    assert person.birth_date == date(1985, 3, 21)
    assert fake_registry.headers["X-Road-Client"] == "KG/TEST/mektep1/tests"
    assert re.fullmatch(r"[0-9a-f]{32}", fake_registry.headers["X-Request-Id"])


def test_http_unknown_person_is_none_and_not_retried(http_registry, fake_registry):  # noqa: F811
    assert http_registry.person(UNKNOWN) is None
    assert fake_registry.requests == 1
    assert http_registry.breaker.state == CLOSED  # "not found" is an answer, not a failure


def test_http_malformed_pin_never_reaches_the_registry(http_registry, fake_registry):  # noqa: F811
    assert http_registry.person("../../admin") is None
    assert http_registry.children_of("1") == []
    assert http_registry.parents_of("") == []
    assert http_registry.persons(["x", None]) == {}
    assert fake_registry.requests == 0


def test_http_children_with_relations(http_registry):
    wards = http_registry.children_of(GUARDIAN)
    assert {(link.parent_pin, link.child_pin, link.relation) for link, _ in wards} == {
        (GUARDIAN, pin, "guardian") for pin in WARDS
    }
    assert [person.pin for _, person in http_registry.children_of(MOTHER)] == [SON, DAUGHTER]
    assert http_registry.children_of(UNKNOWN) == []


def test_http_parents(http_registry):
    parents = http_registry.parents_of(SON)
    assert [(link, person.pin) for link, person in parents] == [
        (Link(MOTHER, SON, "mother"), MOTHER),
        (Link(FATHER, SON, "father"), FATHER),
    ]


def test_http_family_is_the_person_and_the_parents(http_registry):
    assert http_registry.family(SON, MOTHER) == (
        http_registry.person(SON), http_registry.parents_of(SON), http_registry.children_of(MOTHER))
    assert http_registry.family(SON).applicant_children == []
    assert http_registry.family(UNKNOWN) == (None, [], [])


def test_http_batch_in_chunks(http_registry, fake_registry, monkeypatch):  # noqa: F811
    monkeypatch.setattr(http_adapter, "BATCH_SIZE", 2)
    found = http_registry.persons([SON, MOTHER, UNKNOWN, "garbage", FATHER, SON])
    assert list(found) == [SON, MOTHER, FATHER]
    assert fake_registry.requests == 2  # four distinct PINs, two per request
    assert http_registry.persons([]) == {}
    assert fake_registry.requests == 2


def test_http_serves_many_threads_at_once(http_registry, fake_registry):  # noqa: F811
    # gunicorn threads share one HttpRegistry: its pool, breaker and cache.
    persons, _ = load_sample()
    pins = list(persons)[:40]
    results, errors = {}, []

    def look_up(pin):
        try:
            results[pin] = http_registry.person(pin)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=look_up, args=(pin,)) for pin in pins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(results[pin].pin == pin for pin in pins)
    assert fake_registry.requests == len(pins)


# HttpRegistry: failures -----------------------------------------------------

def test_http_slow_registry_is_retried_then_unavailable(http_registry, fake_registry):  # noqa: F811
    fake_registry.mode = "slow"
    fake_registry.delay = TIMEOUT * 4
    started = time.monotonic()
    with pytest.raises(RegistryUnavailable, match="timeout"):
        http_registry.person(MOTHER)
    assert fake_registry.requests == RETRIES + 1
    assert time.monotonic() - started < TIMEOUT * (RETRIES + 1) + 1


def test_http_500_is_retried_then_unavailable(http_registry, fake_registry):  # noqa: F811
    fake_registry.mode = "error"
    with pytest.raises(RegistryUnavailable, match="status 500"):
        http_registry.children_of(MOTHER)
    assert fake_registry.requests == RETRIES + 1


def test_http_a_retry_that_succeeds_hides_the_hiccup(http_registry, fake_registry):  # noqa: F811
    fake_registry.failures = RETRIES  # the last try gets through
    assert http_registry.person(MOTHER).pin == MOTHER
    assert fake_registry.requests == RETRIES + 1
    assert http_registry.breaker.state == CLOSED


def test_http_batch_is_retried_too(http_registry, fake_registry):  # noqa: F811
    fake_registry.failures = 1
    assert list(http_registry.persons([MOTHER])) == [MOTHER]
    assert fake_registry.requests == 2


def test_http_registry_down_is_unavailable(http_registry, fake_registry):  # noqa: F811
    assert http_registry.person(MOTHER)  # a kept-alive connection exists now
    fake_registry.go_down()
    with pytest.raises(RegistryUnavailable, match="connection error"):
        http_registry.person(FATHER)
    assert fake_registry.requests == 1


@pytest.mark.parametrize("mode", ["garbage", "bad_shape"])
@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.person(MOTHER),
        lambda r: r.children_of(MOTHER),
        lambda r: r.parents_of(SON),
        lambda r: r.persons([MOTHER]),
    ],
    ids=["person", "children", "parents", "batch"],
)
def test_http_malformed_answer_is_unavailable_and_not_retried(http_registry, fake_registry, mode, call):  # noqa: F811
    fake_registry.mode = mode
    with pytest.raises(RegistryUnavailable, match="malformed"):
        call(http_registry)
    assert fake_registry.requests == 1


def test_http_a_bare_404_is_not_a_missing_person(fake_registry):  # noqa: F811
    # A wrong REGISTRY_URL must not tell every parent they do not exist.
    registry = HttpRegistry(fake_registry.url.replace("/population/v1", "/wrong"), client_id="x", cache_ttl=0)
    with pytest.raises(RegistryUnavailable):
        registry.person(MOTHER)


@pytest.mark.parametrize("status", [400, 401, 403, 422, 429])
def test_http_4xx_is_not_retried(http_registry, fake_registry, status):  # noqa: F811
    fake_registry.mode = "status"
    fake_registry.status = status
    with pytest.raises(RegistryUnavailable, match=str(status)):
        http_registry.person(MOTHER)
    with pytest.raises(RegistryUnavailable):
        http_registry.persons([MOTHER])
    assert fake_registry.requests == 2


# Circuit breaker --------------------------------------------------------------

def test_breaker_opens_after_n_failures_and_refuses_without_calling(fake_registry):  # noqa: F811
    registry = make_http(fake_registry, retries=0)
    fake_registry.mode = "error"
    for _ in range(FAILURES):
        with pytest.raises(RegistryUnavailable):
            registry.person(MOTHER)
    assert registry.breaker.state == OPEN
    assert fake_registry.requests == FAILURES

    fake_registry.mode = "ok"
    started = time.monotonic()
    for call in (lambda: registry.person(MOTHER), lambda: registry.children_of(MOTHER),
                 lambda: registry.persons([MOTHER])):
        with pytest.raises(RegistryUnavailable, match="circuit open"):
            call()
    assert time.monotonic() - started < 0.1  # at once: no socket, no timeout
    assert fake_registry.requests == FAILURES  # the registry was spared


def test_breaker_half_open_probe_success_closes_it(fake_registry):  # noqa: F811
    registry = make_http(fake_registry, retries=0)
    fake_registry.mode = "error"
    for _ in range(FAILURES):
        with pytest.raises(RegistryUnavailable):
            registry.person(MOTHER)
    fake_registry.mode = "ok"
    time.sleep(RESET + 0.05)
    assert registry.person(MOTHER).pin == MOTHER  # the probe
    assert registry.breaker.state == CLOSED
    assert registry.parents_of(SON)
    assert fake_registry.requests == FAILURES + 2


def test_breaker_half_open_probe_failure_opens_it_again(fake_registry):  # noqa: F811
    registry = make_http(fake_registry, retries=0)
    fake_registry.mode = "error"
    for _ in range(FAILURES):
        with pytest.raises(RegistryUnavailable):
            registry.person(MOTHER)
    time.sleep(RESET + 0.05)
    with pytest.raises(RegistryUnavailable, match="status 500"):
        registry.person(MOTHER)  # the probe fails
    assert registry.breaker.state == OPEN
    with pytest.raises(RegistryUnavailable, match="circuit open"):
        registry.person(MOTHER)
    assert fake_registry.requests == FAILURES + 1


def test_breaker_ignores_our_own_4xx_and_not_found(fake_registry):  # noqa: F811
    # The registry answered; opening would refuse everyone for our one bad request.
    registry = make_http(fake_registry, retries=0)
    for _ in range(FAILURES + 1):
        assert registry.person(UNKNOWN) is None
    fake_registry.mode, fake_registry.status = "status", 400
    for _ in range(FAILURES + 1):
        with pytest.raises(RegistryUnavailable):
            registry.person(MOTHER)
    assert registry.breaker.state == CLOSED


def test_breaker_opens_on_garbage_but_not_on_one_odd_record(fake_registry):  # noqa: F811
    registry = make_http(fake_registry)
    fake_registry.mode = "bad_shape"
    for _ in range(FAILURES + 1):
        with pytest.raises(RegistryUnavailable, match="malformed"):
            registry.person(MOTHER)
    assert registry.breaker.state == CLOSED
    fake_registry.mode = "garbage"  # an HTML error page: the exchange is broken
    for _ in range(FAILURES):
        with pytest.raises(RegistryUnavailable, match="malformed"):
            registry.person(MOTHER)
    assert registry.breaker.state == OPEN


def test_breaker_counts_failures_in_a_row_only():
    breaker = CircuitBreaker(failures=3, reset=10)
    for _ in range(5):
        assert breaker.allow()
        breaker.record_failure()
        assert breaker.allow()
        breaker.record_failure()
        assert breaker.allow()
        breaker.record_success()
    assert breaker.state == CLOSED


def test_breaker_lets_exactly_one_probe_through_among_threads():
    now = [0.0]
    breaker = CircuitBreaker(failures=1, reset=30, clock=lambda: now[0])
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN and not breaker.allow()
    now[0] = 30.0
    allowed = []
    start = threading.Barrier(20)

    def ask():
        start.wait()
        allowed.append(breaker.allow())

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1
    assert breaker.state == HALF_OPEN
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.allow()


# Cache ------------------------------------------------------------------------

def test_http_cache_spares_repeated_look_ups(fake_registry):  # noqa: F811
    registry = make_http(fake_registry, cache_ttl=60)
    assert registry.person(MOTHER) == registry.person(MOTHER)
    assert fake_registry.requests == 1
    registry.children_of(MOTHER)  # fills the cache with the children
    assert list(registry.persons([SON, DAUGHTER, MOTHER])) == [SON, DAUGHTER, MOTHER]
    assert fake_registry.requests == 2
    assert registry.person(UNKNOWN) is None and registry.person(UNKNOWN) is None
    assert fake_registry.requests == 4  # "not found" is never cached


def test_cache_expires_and_stays_bounded():
    now = [0.0]
    cache = PersonCache(ttl=60, size=2, clock=lambda: now[0])
    people = [_person(pin) for pin in (MOTHER, FATHER, SON)]
    for person in people:
        cache.put(person)
    assert len(cache) == 2 and cache.get(MOTHER) is None  # the least recently used went
    assert cache.get(SON) == people[2]
    now[0] = 60.0
    assert cache.get(SON) is None and cache.get(FATHER) is None
    assert PersonCache(ttl=0, size=10).enabled is False


def _person(pin):
    return Person(pin, "Last", "First", "", "F", date(2019, 1, 1), None, True)


# No personal data in logs or errors ---------------------------------------------

def test_no_pins_or_names_in_logs_or_errors(fake_registry, caplog, monkeypatch):  # noqa: F811
    # Alembic's fileConfig (run by the migrations) disables loggers that exist
    # before it; switch ours back on, or this test would pass on silence.
    for name in ("portal.registry.http", "portal.registry.breaker", "httpx", "httpcore"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    caplog.set_level(logging.DEBUG)
    registry = make_http(fake_registry, retries=1, breaker_failures=100)
    messages = []
    registry.person(MOTHER)
    registry.children_of(MOTHER)
    for mode in ("error", "garbage", "bad_shape", "slow"):
        fake_registry.mode = mode
        for call in (lambda: registry.person(MOTHER), lambda: registry.parents_of(SON)):
            with pytest.raises(RegistryUnavailable) as caught:
                call()
            messages.append(str(caught.value))
            # Nothing chained either: httpx errors and JSON errors carry URLs and bodies.
            assert caught.value.__cause__ is None
            assert caught.value.__context__ is None or caught.value.__suppress_context__
    text = caplog.text + "\n".join(messages)
    assert "registry person" in caplog.text  # there is something to look at,
    assert "HTTP Request" in caplog.text  # httpx's own lines included
    persons, _ = load_sample()
    assert not [pin for pin in persons if pin in text]
    assert "Усенов" not in text and "Салтанат" not in text


# get_registry ---------------------------------------------------------------

def test_get_registry_is_local_without_url(app):
    app.config["REGISTRY_URL"] = None
    registry = get_registry()
    assert isinstance(registry, LocalRegistry)
    assert get_registry() is registry is app.extensions["registry"]


def test_get_registry_is_http_with_url(database_url):
    app = create_app(
        TestConfig, SQLALCHEMY_DATABASE_URI=database_url,
        REGISTRY_URL="http://127.0.0.1:9/population/v1/", REGISTRY_TIMEOUT=1.5,
        REGISTRY_RETRIES=4, REGISTRY_BREAKER_FAILURES=7, REGISTRY_BREAKER_RESET=11,
    )
    with app.app_context():
        registry = get_registry()
        assert isinstance(registry, HttpRegistry)
        assert registry.base_url == "http://127.0.0.1:9/population/v1"
        assert (registry.timeout, registry.retries) == (1.5, 4)
        assert (registry.breaker.failures, registry.breaker.reset) == (7, 11)
        assert get_registry() is registry
        registry.close()


# The contract: the same data gives the same answers through either adapter --------

def test_both_adapters_answer_alike(local_sample, fake_registry):  # noqa: F811
    persons, links = local_sample
    local = LocalRegistry()
    remote = make_http(fake_registry)
    try:
        pins = [MOTHER, FATHER, SON, DAUGHTER, GUARDIAN, *WARDS, NO_DOCUMENTS, NO_ADDRESS, UNKNOWN]
        pins += [link["parent_pin"] for link in links[::10]] + [link["child_pin"] for link in links[::10]]
        for pin in pins:
            assert local.person(pin) == remote.person(pin)
            assert local.children_of(pin) == remote.children_of(pin)
            assert local.parents_of(pin) == remote.parents_of(pin)
        everyone = list(persons) + [UNKNOWN]
        assert local.persons(everyone) == remote.persons(everyone)
        assert len(local.persons(everyone)) == len(persons)
    finally:
        remote.close()
