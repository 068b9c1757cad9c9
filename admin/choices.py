"""Choices offered in forms and filters, always taken from the user's scope."""
from flask import has_request_context
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_babel import lazy_gettext as _l

from admin.labels import LANGUAGE, name_of
from admin.scoping import scope_rule, scoped_select
from portal.admission.quota_changes import languages_taught
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import ClassSet, District, School


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


def language_options():
    """(code, language) of the languages taught at the schools of the user's scope."""
    campaign = current_campaign() if has_request_context() else None
    if campaign is None:
        return []
    return [(code, LANGUAGE[code]) for code in languages_taught(campaign, within=scope_rule(ClassSet))]


def language_filter(column):
    """A list filter by language of instruction offering only the languages taught in the scope."""
    return FilterEqual(column, _l("Language of instruction"), options=language_options)
