"""R10 and the other constraints of a registration (issue #19, item 5).

Only a violation of R10's index (`uq_applications_active_child`) means that the
child is already registered; any other IntegrityError is a fault of ours: a
server error, logged by the constraint's name and without the row's values,
never told to the parent as "already registered". Both are forced here: R10's
by a registration that got past the rules' check (as when two race), another
by an application number issued twice.
"""
import logging
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.admission import registration
from portal.admission.constraints import RegistrationFault
from portal.admission.errors import AdmissionError
from portal.extensions import db
from portal.models import Applicant, Application, Campaign, SeatPool
from tests import builders
from tests.public_form import first_language
from tests.scenario import SCENARIO, STAGE1, register, sign_in
from tests.seat_world import build_seat_world, child_pin, parent_pin
from tests.builders import SECRET


def _applicant(n):
    return db.session.scalars(select(Applicant).where(Applicant.pin == parent_pin(n))).one()


def _taken():
    return db.session.scalar(select(func.sum(SeatPool.taken)))


def _rules_see_no_active_application(monkeypatch):
    """What a racing twin of this request sees: the rules' check passed before the
    other registration of the same child committed."""
    facts = registration._facts

    def no_active(*args):
        found = facts(*args)
        return SimpleNamespace(active=0, cancelled=found.cancelled, in_catchment=found.in_catchment)

    monkeypatch.setattr(registration, "_facts", no_active)


def _number_issued_twice(monkeypatch):
    """Every new application gets the number an existing one already has."""
    campaign = db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    taken = builders.create_application(campaign=campaign).number
    db.session.commit()
    monkeypatch.setattr(registration, "application_number", lambda **kwargs: taken)
    return taken


def test_r10_a_registration_past_the_rules_meets_the_index_and_is_already_registered(app, monkeypatch):
    build_seat_world(now=STAGE1, seats={"S-1": 3}, twins=False, teacher=False)
    registration.register(_applicant(0), child_pin(0), "S-1", "ky", now=STAGE1, secret=SECRET)
    db.session.commit()
    _rules_see_no_active_application(monkeypatch)
    with pytest.raises(AdmissionError) as refused:
        registration.register(_applicant(0), child_pin(0), "S-1", "ky", now=STAGE1, secret=SECRET)
    assert refused.value.code == "already_registered"
    db.session.rollback()
    assert _taken() == 1


def test_another_constraint_is_a_fault_logged_without_personal_data_not_already_registered(app, monkeypatch, caplog):
    build_seat_world(now=STAGE1, seats={"S-1": 3}, twins=False, teacher=False)
    _number_issued_twice(monkeypatch)
    caplog.set_level(logging.ERROR, logger="portal.admission.registration")
    with pytest.raises(RegistrationFault) as fault:
        registration.register(_applicant(0), child_pin(0), "S-1", "ky", now=STAGE1, secret=SECRET)
    assert not isinstance(fault.value, AdmissionError)
    assert fault.value.constraint in ("uq_applications_number", "UNIQUE constraint failed: applications.number")
    assert fault.value.constraint in caplog.text and child_pin(0) not in caplog.text
    assert fault.value.__suppress_context__  # the driver's message (with the row's values) is not carried on
    db.session.rollback()
    assert _taken() == 0


def test_api_another_constraint_is_a_server_error_and_nothing_is_kept(sample, monkeypatch, caplog):
    person = SCENARIO["stage1_parent"]
    client = sample.test_client()
    bearer = sign_in(client, sample, person["parent_pin"])
    _number_issued_twice(monkeypatch)
    before = (_taken(), db.session.scalar(select(func.count(Application.id))))
    caplog.set_level(logging.ERROR)
    response = register(client, bearer, person["child_pin"], person["school_code"],
                        first_language(person["school_code"]))
    assert response.status_code == 500 and response.json["error"]["code"] == "server_error"
    assert "constraint" in caplog.text and person["child_pin"] not in caplog.text
    db.session.expire_all()
    assert (_taken(), db.session.scalar(select(func.count(Application.id)))) == before


def test_api_a_registration_past_the_rules_is_409_already_registered(sample, monkeypatch):
    person = SCENARIO["stage1_parent"]
    client = sample.test_client()
    bearer = sign_in(client, sample, person["parent_pin"])
    language = first_language(person["school_code"])
    assert register(client, bearer, person["child_pin"], person["school_code"], language).status_code == 201
    _rules_see_no_active_application(monkeypatch)
    response = register(client, bearer, person["child_pin"], person["school_code"], language)
    assert response.status_code == 409 and response.json["error"]["code"] == "already_registered"
