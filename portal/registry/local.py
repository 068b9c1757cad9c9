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
    Kin,
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
_SiblingLink = aliased(RegistryLink, name="sibling_link")
_Sibling = aliased(RegistryPerson, name="sibling")
# The child; each link to a parent and that parent; through the applicant's link,
# the applicant's other children. No parent: one row of the child alone.
_FAMILY = (
    select(RegistryPerson, RegistryLink, _Parent, _SiblingLink, _Sibling)
    .outerjoin(RegistryLink, RegistryLink.child_pin == RegistryPerson.pin)
    .outerjoin(_Parent, _Parent.pin == RegistryLink.parent_pin)
    .outerjoin(_SiblingLink, (_SiblingLink.parent_pin == RegistryLink.parent_pin)
               & (RegistryLink.parent_pin == bindparam("applicant"))
               & (_SiblingLink.child_pin != RegistryPerson.pin))
    .outerjoin(_Sibling, _Sibling.pin == _SiblingLink.child_pin)
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
        id_document=row.id_document or None,
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

    def family(self, child_pin: str, applicant_pin: str | None = None) -> Kin:
        """The child, its parents and the applicant's children, in one query."""
        if not is_pin(child_pin):
            return Kin(None, [], [])
        rows = db.session.execute(_FAMILY, {"pin": child_pin, "applicant": applicant_pin or ""}).all()
        if not rows:
            return Kin(None, [], [])
        child = _person(rows[0][0])
        parents, children = {}, {child.pin: None}
        for _, link, parent, sibling_link, sibling in rows:
            if link is not None:
                parents[link.parent_pin] = (Link(link.parent_pin, link.child_pin, link.relation), _person(parent))
                if link.parent_pin == applicant_pin:
                    children[child.pin] = (Link(link.parent_pin, link.child_pin, link.relation), child)
            if sibling_link is not None:
                children[sibling.pin] = (
                    Link(sibling_link.parent_pin, sibling_link.child_pin, sibling_link.relation), _person(sibling))
        return Kin(child, sorted(parents.values(), key=parents_order),
                   sorted((item for item in children.values() if item is not None), key=children_order))

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
