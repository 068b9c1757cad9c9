"""A small world for the seat tests (R3, R6-R8, R10): a campaign, schools with one
seat pool each, families in the local registry. Keyword-only, like `builders`.

Every family lives at one address that is in every school's microdistrict, so
stage 1 and stage 2 offer every school. Children are `child_pin(n)`, their
parents `parent_pin(n)`; twins share a parent and a birth date; the teacher
teaches at the first school.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import text

from portal.extensions import db
from portal.models import MicrodistrictAddress, RegistryLink, RegistryPerson, Teacher
from tests import builders


def parent_pin(n):
    return f"5{n:013d}"


def child_pin(n):
    return f"6{n:013d}"


@dataclass
class SeatWorld:
    schools: dict  # code -> seats
    singles: list = field(default_factory=list)  # family numbers with one child each
    twins: tuple = ()  # (parent number, child numbers)
    teacher: tuple = ()  # (parent number, child number, school code where the parent teaches)

    def parent_of(self, child):
        if child in self.twins[1]:
            return self.twins[0]
        if self.teacher and child == self.teacher[1]:
            return self.teacher[0]
        return child

    @property
    def children(self):
        return [*self.singles, *self.twins[1], *([self.teacher[1]] if self.teacher else [])]


def _person(pin, *, born, address_id, first_name="B"):
    db.session.add(RegistryPerson(pin=pin, last_name="A", first_name=first_name, patronymic="",
                                  sex="F" if pin.startswith("5") else "M", birth_date=born,
                                  address_id=address_id, has_documents=True))


def build_seat_world(*, now, seats, singles=4, twins=True, teacher=True, stage=1):
    """`seats`: {school code: seats in Kyrgyz}. Stage 2 open at `now` when `stage` is 2."""
    dates = {"stage2_opens": now - timedelta(hours=1)} if stage == 2 else {}
    campaign = builders.create_campaign(now=now, **dates)
    district = builders.create_district()
    address = builders.create_address(district=district)
    school_ids = {}
    for code, count in seats.items():
        school = builders.create_school(code=code, district=district)
        db.session.flush()
        db.session.add(MicrodistrictAddress(school_id=school.id, address_id=address.address_id))
        builders.create_seat_pool(campaign=campaign, school=school, seats=count)
        school_ids[code] = school.id
    db.session.flush()
    world = SeatWorld(schools=dict(seats), singles=list(range(singles)))

    def family(parent, children, *, born=None):
        _person(parent_pin(parent), born=date(1990, 1, 1), address_id=address.address_id)
        for child in children:
            _person(child_pin(child), born=born or date(2019, 1, 1 + child % 28), address_id=address.address_id,
                    first_name=f"C{child}")
        db.session.flush()
        for child in children:
            db.session.add(RegistryLink(parent_pin=parent_pin(parent), child_pin=child_pin(child), relation="mother"))
        db.session.add(builders.create_applicant(pin=parent_pin(parent), email=f"{parent}@example.kg"))

    for n in world.singles:
        family(n, [n])
    if twins:
        world.twins = (50, (50, 51))
        family(50, [50, 51], born=date(2019, 6, 15))
    else:
        world.twins = (None, ())
    if teacher:
        code = next(iter(seats))
        world.teacher = (60, 60, code)
        family(60, [60])
        db.session.add(Teacher(pin=parent_pin(60), school_id=school_ids[code]))
    db.session.commit()
    return world


def empty_every_table():
    """Between the examples of one test (the app fixture is shared by them)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name != "audit_entries"]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables + ['audit_entries'])} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()
