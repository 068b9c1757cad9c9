"""The local registry: the imported tables registry_persons and registry_links.

The embedded stand-in for the state registry (development, demo, tests). It
only reads, through the request's `db.session`, and never commits.
"""
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import RegistryLink, RegistryPerson
from portal.registry.ports import (
    Link,
    Person,
    children_order,
    is_pin,
    parents_order,
    wanted_pins,
)

# Keeps each IN list well under every database's bound-parameter limit.
_BATCH = 500

_Parent = aliased(RegistryPerson, name="parent")
# The child, each link to a parent and that parent (none: one row of the child alone).
_FAMILY = (
    select(RegistryPerson, RegistryLink, _Parent)
    .outerjoin(RegistryLink, RegistryLink.child_pin == RegistryPerson.pin)
    .outerjoin(_Parent, _Parent.pin == RegistryLink.parent_pin)
    .where(RegistryPerson.pin == bindparam("pin"))
)


def _person(row: RegistryPerson) -> Person:
    return Person(
        pin=row.pin,
        last_name=row.last_name,
        first_name=row.first_name,
        patronymic=row.patronymic or "",
        sex=row.sex,
        birth_date=row.birth_date,
        address_id=row.address_id or None,
        has_documents=bool(row.has_documents),
    )


class LocalRegistry:
    def person(self, pin: str) -> Person | None:
        if not is_pin(pin):
            return None
        row = db.session.get(RegistryPerson, pin)
        return _person(row) if row is not None else None

    def children_of(self, parent_pin: str) -> list[tuple[Link, Person]]:
        return sorted(self._linked(RegistryLink.parent_pin, RegistryLink.child_pin, parent_pin), key=children_order)

    def parents_of(self, child_pin: str) -> list[tuple[Link, Person]]:
        return sorted(self._linked(RegistryLink.child_pin, RegistryLink.parent_pin, child_pin), key=parents_order)

    def family(self, child_pin: str) -> tuple[Person | None, list[tuple[Link, Person]]]:
        """The child and its parents with their links, in one query."""
        if not is_pin(child_pin):
            return None, []
        rows = db.session.execute(_FAMILY, {"pin": child_pin}).all()
        if not rows:
            return None, []
        child = _person(rows[0][0])
        parents = [(Link(link.parent_pin, link.child_pin, link.relation), _person(parent))
                   for _, link, parent in rows if link is not None]
        return child, sorted(parents, key=parents_order)

    @staticmethod
    def _linked(asked, other, pin):
        """The links of `pin` (on the `asked` side) with the person on the `other` side, in one query."""
        if not is_pin(pin):
            return []
        rows = db.session.execute(
            select(RegistryLink, RegistryPerson)
            .join(RegistryPerson, RegistryPerson.pin == other)
            .where(asked == pin)
        ).all()
        return [(Link(link.parent_pin, link.child_pin, link.relation), _person(person)) for link, person in rows]

    def persons(self, pins: Iterable[str]) -> dict[str, Person]:
        wanted = wanted_pins(pins)
        found = {}
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start:start + _BATCH]
            rows = db.session.scalars(select(RegistryPerson).where(RegistryPerson.pin.in_(chunk)))
            found.update((row.pin, _person(row)) for row in rows)
        return {pin: found[pin] for pin in wanted if pin in found}
