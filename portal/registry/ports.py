"""The registry port: what the admission domain may ask the population registry.

Both adapters (`LocalRegistry`, `HttpRegistry`) return exactly these values, so
the domain never knows which one it talks to.
"""
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, Protocol, runtime_checkable

RELATIONS = ("mother", "father", "guardian")
SEXES = ("M", "F")

# ASCII digits only: `\d` would also accept Arabic-Indic and other Unicode digits.
_PIN = re.compile(r"[0-9]{14}")


def is_pin(value) -> bool:
    """A well-formed PIN (14 digits). The registry decides everything else."""
    return isinstance(value, str) and _PIN.fullmatch(value) is not None


@dataclass(frozen=True)
class Person:
    pin: str
    last_name: str
    first_name: str
    patronymic: str
    sex: str  # "M" | "F"
    birth_date: date
    address_id: str | None  # registered address (прописка), None if none
    has_documents: bool  # identity documents present (R1/R12)
    # The number of the identity document (ID card or passport), None when the
    # registry holds none; a parent proves who they are with it (sign_in.start).
    id_document: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.patronymic) if part)


@dataclass(frozen=True)
class Link:
    parent_pin: str
    child_pin: str
    relation: str  # "mother" | "father" | "guardian" (guardian = legal representative, R9)


def same_document(given, held) -> bool:
    """Whether a typed identity document number is the one the registry holds:
    letters in either case, spaces and dashes as printed ("ID 123-4567")."""
    def normal(value):
        return "".join(ch for ch in value.upper() if ch not in " -\u00a0") if isinstance(value, str) else ""

    given, held = normal(given), normal(held)
    return bool(given) and bool(held) and hmac.compare_digest(given.encode(), held.encode())


class Kin(NamedTuple):
    child: Person | None
    parents: list[tuple[Link, Person]]
    applicant_children: list[tuple[Link, Person]]  # [] when no applicant was named


class RegistryUnavailable(Exception):
    """The registry could not answer now; try again later. Nothing is lost.

    Messages are technical and never carry a PIN or a name; the domain shows
    the person its own translated "try again later" text.
    """


@runtime_checkable
class Registry(Protocol):
    def person(self, pin: str) -> Person | None: ...

    def children_of(self, parent_pin: str) -> list[tuple[Link, Person]]: ...

    def parents_of(self, child_pin: str) -> list[tuple[Link, Person]]: ...

    def family(self, child_pin: str, applicant_pin: str | None = None) -> "Kin":
        """`person(child_pin)`, `parents_of(child_pin)` and, when an applicant is
        named, `children_of(applicant_pin)` at once: one question where the adapter
        can ask it so (the registration asks all three every time)."""
        ...

    def persons(self, pins: Iterable[str]) -> dict[str, Person]: ...


# One order for both adapters, so that the same data gives the same lists.
def children_order(item: tuple[Link, Person]):
    link, person = item
    return (person.birth_date, person.pin)


def parents_order(item: tuple[Link, Person]):
    link, person = item
    return (RELATIONS.index(link.relation), person.pin)


def wanted_pins(pins: Iterable[str]) -> list[str]:
    """The distinct well-formed PINs of a batch, in first-seen order."""
    return list(dict.fromkeys(pin for pin in pins if is_pin(pin)))
