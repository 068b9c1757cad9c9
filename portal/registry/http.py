"""The state population registry over "Түндүк" (an X-Road style REST service).

The contract, the numbers and the reasons for them are in docs/registry.md.
In short: every call is a read, so a call that timed out, could not connect or
got a 5xx is tried again (`retries` more times, short growing pauses); a 4xx
never is. A circuit breaker stops calling a registry that keeps failing, so
parents get "try again later" at once instead of after seconds of waiting.
Whatever goes wrong surfaces as `RegistryUnavailable`; a 404 person is None.

No PIN or name is ever logged or put in an exception: logs carry the operation,
the reason and a random request id that is also sent to the registry
(X-Request-Id), so an incident can be traced on both sides without personal data.
"""
import logging
import random
import re
import time
import uuid
from collections.abc import Iterable
from datetime import date

import httpx

from portal.registry.breaker import CircuitBreaker
from portal.registry.cache import PersonCache
from portal.registry.ports import (
    RELATIONS,
    SEXES,
    Kin,
    Link,
    Person,
    RegistryUnavailable,
    children_order,
    is_pin,
    parents_order,
    wanted_pins,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # PINs per batch request: keeps one answer small and quick
DEFAULT_CACHE_TTL = 60.0  # seconds; REGISTRY_CACHE_TTL overrides, 0 turns it off
DEFAULT_CACHE_SIZE = 4096  # persons; REGISTRY_CACHE_SIZE overrides
MAX_PAUSE = 1.0  # seconds: a pause between tries never grows past this

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PIN_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{14}(?![0-9])")
_UNEXPECTED = object()  # `not_found` value meaning "a 404 here is not an answer"


class _RedactPins(logging.Filter):
    """httpx logs each request's URL at INFO, and our URLs hold PINs."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's to report, not ours to raise
            return True
        redacted = _PIN_IN_TEXT.sub("<pin>", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _redact_httpx_logs():
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactPins) for f in httpx_log.filters):
        httpx_log.addFilter(_RedactPins())


class _Malformed(Exception):
    """The answer breaks the contract. The message names a field, never a value.

    `outage` says whether it counts against the breaker: a body that is not
    JSON at all (a proxy's error page) is an outage; valid JSON with a bad
    field is one odd record or a contract change, which fail fast anyway, and
    a parent retrying one odd record must not shut the registry for everyone.
    """

    def __init__(self, message, *, outage=False):
        super().__init__(message)
        self.outage = outage


class _Failed(Exception):
    """No usable answer after all tries."""


class HttpRegistry:
    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        timeout: float = 3.0,
        retries: int = 2,
        breaker_failures: int = 5,
        breaker_reset: float = 30.0,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        cache_size: int = DEFAULT_CACHE_SIZE,
        backoff: float = 0.1,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.breaker = CircuitBreaker(failures=breaker_failures, reset=breaker_reset)
        self.cache = PersonCache(ttl=cache_ttl, size=cache_size)
        _redact_httpx_logs()
        # One pooled client per process, shared by all threads (httpx.Client is
        # thread-safe): keep-alive connections save a TLS handshake per look-up.
        # The timeout bounds connecting, each read, each write and waiting for a
        # free pooled connection, each separately.
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            headers={
                "X-Road-Client": client_id,
                "Accept": "application/json",
                "User-Agent": "mektep1-registry",
            },
            follow_redirects=False,
            transport=transport,
        )

    @classmethod
    def from_config(cls, config) -> "HttpRegistry":
        return cls(
            config["REGISTRY_URL"],
            client_id=config.get("REGISTRY_CLIENT_ID") or "mektep1",
            timeout=float(config.get("REGISTRY_TIMEOUT", 3)),
            retries=int(config.get("REGISTRY_RETRIES", 2)),
            breaker_failures=int(config.get("REGISTRY_BREAKER_FAILURES", 5)),
            breaker_reset=float(config.get("REGISTRY_BREAKER_RESET", 30)),
            cache_ttl=float(config.get("REGISTRY_CACHE_TTL", DEFAULT_CACHE_TTL)),
            cache_size=int(config.get("REGISTRY_CACHE_SIZE", DEFAULT_CACHE_SIZE)),
        )

    def close(self) -> None:
        self._client.close()

    # The port -------------------------------------------------------------

    def person(self, pin: str) -> Person | None:
        if not is_pin(pin):
            return None  # cannot exist; and never let it into a URL
        cached = self.cache.get(pin)
        if cached is not None:
            return cached

        def parse(data):
            person = _person(data)
            if person.pin != pin:
                raise _Malformed("person.pin is not the PIN asked for")
            return person

        person = self._call("person", "GET", f"/persons/{pin}", parse=parse, not_found=None)
        if person is not None:
            self.cache.put(person)
        return person

    def children_of(self, parent_pin: str) -> list[tuple[Link, Person]]:
        return sorted(self._linked("children", parent_pin), key=children_order)

    def parents_of(self, child_pin: str) -> list[tuple[Link, Person]]:
        return sorted(self._linked("parents", child_pin), key=parents_order)

    def family(self, child_pin: str, applicant_pin: str | None = None) -> Kin:
        child = self.person(child_pin)
        if child is None:
            return Kin(None, [], [])
        return Kin(child, self.parents_of(child_pin), self.children_of(applicant_pin) if applicant_pin else [])

    def _linked(self, side, pin):
        """GET /persons/{pin}/children|parents; the persons found warm the cache."""
        if not is_pin(pin):
            return []
        found = self._call(
            side, "GET", f"/persons/{pin}/{side}",
            parse=lambda data: _links(data, side, pin),
            not_found=[],
        )
        for _, person in found:
            self.cache.put(person)
        return found

    def persons(self, pins: Iterable[str]) -> dict[str, Person]:
        wanted = wanted_pins(pins)
        found = {}
        missing = []
        for pin in wanted:
            cached = self.cache.get(pin)
            if cached is not None:
                found[pin] = cached
            else:
                missing.append(pin)
        for start in range(0, len(missing), BATCH_SIZE):
            chunk = missing[start:start + BATCH_SIZE]
            answer = self._call(
                "batch", "POST", "/persons:batch", body={"pins": chunk},
                parse=lambda data, chunk=chunk: _batch(data, chunk),
                not_found=_UNEXPECTED,
            )
            for person in answer:
                found[person.pin] = person
                self.cache.put(person)
        return {pin: found[pin] for pin in wanted if pin in found}

    # The wire -------------------------------------------------------------

    def _call(self, op, method, path, *, parse, not_found, body=None):
        if not self.breaker.allow():
            log.warning("registry %s refused: circuit open", op)
            raise RegistryUnavailable(f"registry circuit open ({op})")
        request_id = uuid.uuid4().hex
        answered = False  # did the registry itself answer sensibly? (for the breaker)
        try:
            response = self._send(op, method, path, body, request_id)
            status = response.status_code
            if status == 200:
                result = parse(_json(response))
                answered = True
                return result
            if status == 404 and not_found is not _UNEXPECTED:
                # Only the registry's own "not found" means "no such person": a
                # bare 404 from a proxy or a wrong REGISTRY_URL must not tell a
                # parent they do not exist.
                data = _json(response, required=False)
                if not (isinstance(data, dict) and data.get("error") == "not_found"):
                    raise _Malformed(
                        "404 without the registry's not_found body (check REGISTRY_URL)", outage=True
                    )
                answered = True
                return not_found
            if 400 <= status < 500 and status not in (404, 429):
                # The registry is up and refuses *our* request (client id, URL,
                # access rights): an operator must act; retrying cannot help.
                answered = True
                log.error("registry %s rejected: status %d (request %s)", op, status, request_id)
                raise RegistryUnavailable(f"registry rejected the request ({op}): status {status}")
            raise _Failed(f"status {status}")
        except _Malformed as exc:
            answered = not exc.outage
            log.error("registry %s answer malformed: %s (request %s)", op, exc, request_id)
            raise RegistryUnavailable(f"registry answer malformed ({op})") from None
        except _Failed as exc:
            log.warning("registry %s unavailable: %s (request %s)", op, exc, request_id)
            raise RegistryUnavailable(f"registry unavailable ({op}): {exc}") from None
        finally:
            if answered:
                self.breaker.record_success()
            else:
                self.breaker.record_failure()

    def _send(self, op, method, path, body, request_id):
        """Send, trying again on timeouts, broken connections and 5xx.

        Every operation of the port is a read (the batch POST included), so a
        repeat is harmless. A future write must not come through here.
        """
        tries = self.retries + 1
        for attempt in range(1, tries + 1):
            if attempt > 1:
                time.sleep(self._pause(attempt))
            try:
                response = self._client.request(
                    method, self.base_url + path, json=body, headers={"X-Request-Id": request_id}
                )
            except httpx.TimeoutException as exc:
                reason = f"timeout ({type(exc).__name__})"
            except httpx.TransportError as exc:
                # The exception's text holds the URL, hence a PIN: only its type is kept.
                reason = f"connection error ({type(exc).__name__})"
            else:
                if response.status_code < 500:
                    return response
                reason = f"status {response.status_code}"
            log.info("registry %s try %d/%d failed: %s (request %s)", op, attempt, tries, reason, request_id)
        raise _Failed(f"{reason} after {tries} tries")

    def _pause(self, attempt):
        # Short and growing, with jitter so that many threads do not retry in step.
        base = self.backoff * 2 ** (attempt - 2)
        return min(MAX_PAUSE, base * (1 + random.random() / 2))


# Reading answers ------------------------------------------------------------

def _json(response, *, required=True):
    try:
        return response.json()
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        pass
    # Raised outside the handler: the decode error holds the whole body.
    if required:
        raise _Malformed("body is not JSON", outage=True)
    return None


def _person(data) -> Person:
    if not isinstance(data, dict):
        raise _Malformed("person is not an object")
    if not is_pin(data.get("pin")):
        raise _Malformed("person.pin")
    for field in ("last_name", "first_name"):
        if not isinstance(data.get(field), str):
            raise _Malformed(f"person.{field}")
    patronymic = data.get("patronymic")
    if patronymic is None:
        patronymic = ""
    if not isinstance(patronymic, str):
        raise _Malformed("person.patronymic")
    if data.get("sex") not in SEXES:
        raise _Malformed("person.sex")
    birth_date = data.get("birth_date")
    if not isinstance(birth_date, str) or not _DATE.fullmatch(birth_date):
        raise _Malformed("person.birth_date")
    try:
        birth_date = date.fromisoformat(birth_date)
    except ValueError:
        raise _Malformed("person.birth_date") from None
    address_id = data.get("address_id")
    if address_id is not None and not isinstance(address_id, str):
        raise _Malformed("person.address_id")
    if not isinstance(data.get("has_documents"), bool):
        raise _Malformed("person.has_documents")
    id_document = data.get("id_document")  # optional: an older registry leaves it out
    if id_document is not None and not isinstance(id_document, str):
        raise _Malformed("person.id_document")
    return Person(
        pin=data["pin"],
        last_name=data["last_name"],
        first_name=data["first_name"],
        patronymic=patronymic,
        sex=data["sex"],
        birth_date=birth_date,
        address_id=address_id or None,
        has_documents=data["has_documents"],
        id_document=id_document or None,
    )


def _links(data, key, pin) -> list[tuple[Link, Person]]:
    """`{"children": [{"relation", "person"}]}` or the same under "parents"."""
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise _Malformed(f"{key} is not a list")
    found = []
    for item in data[key]:
        if not isinstance(item, dict) or item.get("relation") not in RELATIONS:
            raise _Malformed(f"{key}[].relation")
        person = _person(item.get("person"))
        if person.pin == pin:
            raise _Malformed(f"{key}[] links a person to themself")
        if key == "children":
            link = Link(parent_pin=pin, child_pin=person.pin, relation=item["relation"])
        else:
            link = Link(parent_pin=person.pin, child_pin=pin, relation=item["relation"])
        found.append((link, person))
    return found


def _batch(data, asked) -> list[Person]:
    if not isinstance(data, dict) or not isinstance(data.get("persons"), list):
        raise _Malformed("persons is not a list")
    asked = set(asked)
    found = [_person(item) for item in data["persons"]]
    if any(person.pin not in asked for person in found):
        raise _Malformed("persons[] holds a PIN not asked for")
    return found
