"""Which rows of each model lie within a staff user's scope: the rules that
`admin.scoping` applies everywhere (DESIGN.md: a director sees their school, a
district or commission user their district, the ministry everything).

A model without a rule in RULES is invisible to everyone: a forgotten model
fails closed.
"""
from dataclasses import dataclass

from flask import g, has_request_context
from flask_admin.tools import iterdecode
from flask_login import current_user
from sqlalchemy import BigInteger, SmallInteger, false, inspect, or_, select, true, tuple_

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

DISTRICT_ROLES = ("district", "commission")


@dataclass(frozen=True)
class Scope:
    """Who is asking: a role and the school or district it covers.

    For a director, `district_id` is the district of their school (they add
    addresses of that district to their microdistrict, R17); they see no other
    school's rows.
    """

    role: str | None
    user_id: int | None = None
    district_id: int | None = None
    school_id: int | None = None

    @property
    def national(self):
        return self.role == "ministry"


NOBODY = Scope(role=None)


def scope_of(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    if user.role == "director":
        return Scope("director", user.id, user.school.district_id, user.school_id)
    return Scope(user.role, user.id, user.district_id, None)


def current_scope():
    """The scope of the signed-in staff user of this request (NOBODY otherwise)."""
    if not has_request_context():
        return NOBODY
    if "staff_scope" not in g:
        g.staff_scope = scope_of(current_user)
    return g.staff_scope


def schools_of_district(district_id):
    return select(School.id).where(School.district_id == district_id)


def by_school(column):
    """Rows that belong to a school: the director's school, a district's schools."""
    def rule(scope):
        if scope.national:
            return true()
        if scope.role == "director":
            return column == scope.school_id
        if scope.role in DISTRICT_ROLES:
            return column.in_(schools_of_district(scope.district_id))
        return false()
    return rule


def by_district(column, *, directors=False):
    """Rows that belong to a district; a director sees its school's district only if `directors`."""
    def rule(scope):
        if scope.national:
            return true()
        if scope.role in DISTRICT_ROLES or (directors and scope.role == "director"):
            return column == scope.district_id
        return false()
    return rule


def everyone(scope):
    # Public reference data (names of regions, campaign dates), read-only in the portal.
    return true() if scope.role else false()


def _applications_in(scope):
    return select(Application.id).where(by_school(Application.school_id)(scope))


def _commission_decisions(scope):
    if scope.role == "director":
        return CommissionDecision.school_id == scope.school_id
    return by_district(CommissionDecision.district_id)(scope)


def _audit_entries(scope):
    # District staff see the trail of their district and of its schools; the
    # commission and directors have no audit view (false, to fail closed).
    if scope.national:
        return true()
    if scope.role == "district":
        return or_(AuditEntry.district_id == scope.district_id,
                   AuditEntry.school_id.in_(schools_of_district(scope.district_id)))
    return false()


def _staff_users(scope):
    if scope.national:
        return true()
    if scope.role == "district":
        return or_(StaffUser.district_id == scope.district_id,
                   StaffUser.school_id.in_(schools_of_district(scope.district_id)))
    return StaffUser.id == scope.user_id if scope.role else false()


def _applicants(scope):
    # An applicant is seen through their applications and appeals in the scope.
    return or_(
        Applicant.id.in_(select(Application.applicant_id).where(by_school(Application.school_id)(scope))),
        Applicant.id.in_(select(Appeal.applicant_id).where(by_district(Appeal.district_id)(scope))),
    )


RULES = {
    Region: everyone,
    Campaign: everyone,
    District: by_district(District.id, directors=True),
    School: by_school(School.id),
    Address: by_district(Address.district_id, directors=True),
    MicrodistrictAddress: by_school(MicrodistrictAddress.school_id),
    GradeStat: by_school(GradeStat.school_id),
    SchoolQuota: by_school(SchoolQuota.school_id),
    ClassSet: by_school(ClassSet.school_id),
    ClassList: by_school(ClassList.school_id),
    ClassAssignment: by_school(ClassAssignment.school_id),
    ClassListReopening: by_school(ClassListReopening.school_id),
    EnrolmentOrder: by_school(EnrolmentOrder.school_id),
    SeatPool: by_school(SeatPool.school_id),
    Application: by_school(Application.school_id),
    ApplicationEvent: lambda scope: ApplicationEvent.application_id.in_(_applications_in(scope)),
    Document: lambda scope: Document.application_id.in_(_applications_in(scope)),
    CommissionDecision: _commission_decisions,
    Appeal: by_district(Appeal.district_id),
    AuditEntry: _audit_entries,
    StaffUser: _staff_users,
    Applicant: _applicants,
}


def scope_rule(model, scope=None):
    """The SQL condition: rows of `model` within `scope` (the current one by default)."""
    scope = current_scope() if scope is None else scope
    if scope.role is None:
        return false()
    rule = RULES.get(model)
    return rule(scope) if rule else false()


def scoped_select(model, scope=None):
    return select(model).where(scope_rule(model, scope))


def scoped_rows_by_ids(query, model, ids):
    """`query` narrowed to the given primary keys, as typed in a URL or a form.

    Ids that do not parse as the key's type match nothing, on every database.
    """
    columns = inspect(model).primary_key
    keys = []
    for raw in ids:
        parts = _decode_id(raw, len(columns))
        try:
            keys.append(tuple(_key_part(column, part) for column, part in zip(columns, parts)))
        except (TypeError, ValueError, OverflowError):
            continue
    if not keys:
        return query.filter(false())
    if len(columns) == 1:
        return query.filter(columns[0].in_([key[0] for key in keys]))
    return query.filter(tuple_(*columns).in_(keys))


def fits_column(column, value):
    """False for a number the column's integer type cannot hold: PostgreSQL
    answers `integer out of range` to comparing a column with it, and SQLite
    cannot bind a number past 2^63 (issue 15, item 9)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    column_type = getattr(column, "type", None)
    bits = 64 if isinstance(column_type, BigInteger) else 16 if isinstance(column_type, SmallInteger) else 32
    return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def _key_part(column, part):
    """One part of a key as the column's type; a number it cannot hold is no key."""
    value = column.type.python_type(part)
    if not fits_column(column, value):
        raise OverflowError(part)
    return value


def _decode_id(raw, count):
    parts = iterdecode(str(raw)) if count > 1 else (str(raw),)
    return parts if len(parts) == count else (None,) * count
