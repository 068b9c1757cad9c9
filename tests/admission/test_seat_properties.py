"""R3/R8 arithmetic as properties: whatever the sequence of registrations and
cancellations, the seat pool agrees with the applications and never oversells."""
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.admission import applications, cancelling, registration
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Applicant, Application, MicrodistrictAddress, RegistryLink, RegistryPerson, SeatPool
from tests import builders
from tests.scenario import STAGE1
from tests.builders import SECRET, create_applicant

FAMILIES = 8


def _world(seats):
    campaign = builders.create_campaign(now=STAGE1)
    school = builders.create_school(code="S-1")
    address = builders.create_address(district=school.district)
    db.session.flush()
    db.session.add(MicrodistrictAddress(school_id=school.id, address_id=address.address_id))
    builders.create_seat_pool(campaign=campaign, school=school, seats=seats)
    db.session.flush()
    region_code = school.district.region.code
    for n in range(FAMILIES):
        parent, child = f"5{n:013d}", f"6{n:013d}"
        db.session.add(RegistryPerson(pin=parent, last_name="A", first_name="B", patronymic="", sex="F",
                                      birth_date=date(1990, 1, 1), address_id=address.address_id, has_documents=True))
        db.session.add(RegistryPerson(pin=child, last_name="A", first_name=f"C{n}", patronymic="", sex="M",
                                      birth_date=date(2019, 1, 1 + n), address_id=address.address_id, has_documents=True))
        db.session.flush()
        db.session.add(RegistryLink(parent_pin=parent, child_pin=child, relation="mother"))
        db.session.add(create_applicant(pin=parent, email=f"{n}@example.kg"))
    db.session.commit()
    return region_code


actions = st.lists(st.tuples(st.sampled_from(["register", "cancel"]), st.integers(0, FAMILIES - 1)), max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seats=st.integers(1, 5), steps=actions)
def test_r3_r8_pool_counts_match_the_applications_whatever_the_sequence(app, seats, steps):
    db.session.rollback()
    _reset()
    _world(seats)
    cancels = {}
    for action, n in steps:
        applicant = db.session.scalars(select(Applicant).where(Applicant.pin == f"5{n:013d}")).one()
        try:
            if action == "register":
                new = registration.register(applicant, f"6{n:013d}", "S-1", "ky", now=STAGE1, secret=SECRET)
                known = (applications.position(new), cancelling.cancellations_left(new))
                new.known_position = new.known_cancellations_used = None
                # What the registration knew without asking equals what the database says.
                assert known == (applications.position(new), cancelling.cancellations_left(new))
            else:
                active = db.session.scalars(select(Application).where(Application.applicant_id == applicant.id, Application.is_active)).first()
                if active is None:
                    continue
                cancelling.cancel(applicant, active.number, now=STAGE1)
                cancels[n] = cancels.get(n, 0) + 1
            db.session.commit()
        except AdmissionError as error:
            db.session.rollback()
            assert error.code in ("no_free_seats", "already_registered", "cancel_limit_reached")
            if error.code == "cancel_limit_reached":
                assert cancels.get(n, 0) == 3
    pool = db.session.scalars(select(SeatPool)).one()
    active = db.session.scalar(select(func.count(Application.id)).where(Application.is_active))
    assert pool.taken == active <= pool.seats == seats
    assert all(count <= 3 for count in cancels.values())


def _reset():
    """Empty the tables between examples (the app fixture is shared by them)."""
    from sqlalchemy import text

    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name != "audit_entries"]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables + ['audit_entries'])} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()
