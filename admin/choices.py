"""Choices offered in forms and filters, always taken from the user's scope."""
from flask import has_request_context
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import lazy_gettext as _l

from admin.labels import name_of
from admin.scoping import scoped_select
from portal.extensions import db
from portal.models import District, School


def school_options():
    """(id, "code name") of the schools of the user's scope."""
    if not has_request_context():  # Flask-Admin asks once at start-up, for nobody
        return []
    return [(school.id, f"{school.code} {name_of(school)}")
            for school in db.session.scalars(scoped_select(School).order_by(School.code))]


def school_code_options():
    return [(school.code, f"{school.code} {name_of(school)}")
            for school in db.session.scalars(scoped_select(School).order_by(School.code))]


def district_code_options():
    return [(district.code, f"{district.code} {name_of(district)}")
            for district in db.session.scalars(scoped_select(District).order_by(District.code))]


def school_filter(column):
    """A list filter by school whose options are the user's schools."""
    return IntEqualFilter(column, _l("School"), options=school_options)
