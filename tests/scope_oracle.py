"""The scope rules written down a second time, for the scope probe (issue #19,
item 6): which rows each role must see, decided in Python from the rows
themselves, never by asking `admin.scope_rules` (whose SQL the probe checks).

Two tables say it. `SEES`: for each role and model, which of a row's places
make it visible (the user's own school, their own district, anywhere, only
themselves, nothing). `PLACES`: for each model, the places a row belongs to,
read from its columns and relations. A model the portal scopes but this
oracle does not know fails the probe: add it here, from DESIGN.md ("a director
their school, a district or commission user their district, the ministry
everything"), not from the rule.
"""
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Address,
    Appeal,
    Applicant,
    Application,
    ApplicationEvent,
    AuditEntry,
    Campaign,
    ClassAssignment,
    ClassList,
    ClassListReopening,
    ClassSet,
    CommissionDecision,
    District,
    Document,
    EnrolmentOrder,
    GradeStat,
    MicrodistrictAddress,
    Region,
    School,
    SchoolQuota,
    SeatPool,
    StaffUser,
)

ALL = "every row"
SOMEWHERE = "every row that belongs to some school or district"
OWN_SCHOOL = "rows of the user's school"
OWN_DISTRICT = "rows of the user's district (its schools included)"
SELF = "the user's own row"
NOTHING = "nothing"

BY_SCHOOL = (MicrodistrictAddress, GradeStat, SchoolQuota, ClassSet, ClassList, ClassAssignment, ClassListReopening,
             EnrolmentOrder, SeatPool,
             Application, ApplicationEvent, Document, School)


def _sees(**overrides):
    return {model: overrides.get(model.__name__, default) for model, default in (
        (Region, ALL), (Campaign, ALL), (District, OWN_DISTRICT), (Address, OWN_DISTRICT),
        *((model, OWN_DISTRICT) for model in BY_SCHOOL),
        (CommissionDecision, OWN_DISTRICT), (Appeal, OWN_DISTRICT), (AuditEntry, OWN_DISTRICT),
        (StaffUser, OWN_DISTRICT), (Applicant, OWN_DISTRICT))}


SEES = {
    # A director: their school's rows; the district of their school and its
    # addresses (R17: they add addresses of their district); no appeals, no trail.
    "director": _sees(**{model.__name__: OWN_SCHOOL for model in BY_SCHOOL}, CommissionDecision=OWN_SCHOOL,
                      Applicant=OWN_SCHOOL, Appeal=NOTHING, AuditEntry=NOTHING, StaffUser=SELF),
    "district": _sees(),
    # The commission: the district's records, but not its trail or its staff.
    "commission": _sees(AuditEntry=NOTHING, StaffUser=SELF),
    # The ministry: everything; applicants and documents through what they belong to.
    "ministry": {model: SOMEWHERE if model in (Applicant, Document) else ALL for model in _sees()},
}


class Places:
    """The places every row belongs to, read once per probe (the world is small)."""

    def __init__(self):
        self.district_of_school = dict(db.session.execute(select(School.id, School.district_id)).all())
        self.school_of_application = dict(db.session.execute(select(Application.id, Application.school_id)).all())

    def school(self, school_id):
        if school_id is None:
            return set()
        return {("school", school_id), ("district", self.district_of_school.get(school_id))}

    def application(self, application_id):
        return self.school(self.school_of_application.get(application_id))

    def of(self, model, row):
        if model in (Region, Campaign):
            return {("country",)}
        if model is District:
            return {("district", row.id)}
        if model is Address:
            return {("district", row.district_id)}
        if model is School:
            return self.school(row.id)
        if model in (ApplicationEvent, Document):
            return self.application(row.application_id)
        if model in BY_SCHOOL:
            return self.school(row.school_id)
        if model is CommissionDecision:
            return {("school", row.school_id), ("district", row.district_id)}
        if model is Appeal:
            return {("district", row.district_id)}
        if model in (AuditEntry, StaffUser):
            return self.school(row.school_id) | {("district", row.district_id)}
        if model is Applicant:
            places = set()
            for school_id in db.session.scalars(select(Application.school_id).where(Application.applicant_id == row.id)):
                places |= self.school(school_id)
            for district_id in db.session.scalars(select(Appeal.district_id).where(Appeal.applicant_id == row.id)):
                places.add(("district", district_id))
            return places
        raise KeyError(f"the scope oracle does not know {model.__name__}: add it to tests/scope_oracle.py")


def visible(scope, model, row, places):
    if model not in SEES[scope.role]:
        raise KeyError(f"the scope oracle does not know {model.__name__}: add it to tests/scope_oracle.py")
    sees = SEES[scope.role][model]
    belongs = {place for place in places.of(model, row) if None not in place}
    if sees == ALL:
        return True
    if sees == SOMEWHERE:
        return bool(belongs)
    if sees == OWN_SCHOOL:
        return ("school", scope.school_id) in belongs
    if sees == OWN_DISTRICT:
        return ("district", scope.district_id) in belongs
    if sees == SELF:
        return model is StaffUser and row.id == scope.user_id
    return False


def rows(scope, model):
    """(visible rows, rows outside the scope) of `model`, as the oracle decides."""
    places = Places()
    inside, outside = [], []
    for row in db.session.scalars(select(model)):
        (inside if visible(scope, model, row, places) else outside).append(row)
    return inside, outside
