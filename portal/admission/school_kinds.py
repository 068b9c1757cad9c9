"""Which schools the electronic registration offers (§18, §23, §31).

A school takes children through the registration when it takes part (§31:
private schools only if they opt in) and is a general school. A special school
(auxiliary, correctional) takes children only on the conclusion of the
psychological-medical-pedagogical commission (ПМПК), outside the system (§23):
it is never offered, never takes a registration, and its seats are never shown
as free. One rule, as SQL for the queries and as Python for one school.
"""
from sqlalchemy import and_

from portal.models import School

GENERAL, SPECIAL = "general", "special"


def offered_in_registration_sql():
    """The schools registration offers, as an SQL condition on School."""
    return and_(School.participates.is_(True), School.kind == GENERAL)


def offered_in_registration(school):
    return bool(school.participates) and (school.kind or GENERAL) == GENERAL
