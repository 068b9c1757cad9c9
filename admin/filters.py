"""List filters for our column types.

Stored moments are `UTCDateTime` (timezone-aware, portal.models.types), which
Flask-Admin does not know; their filters take the time a person types as local
time (Asia/Bishkek) and compare it as the aware moment it is.
"""
from flask_admin.contrib.sqla import filters
from flask_admin.model.filters import convert

from portal.admission.calendar import local_zone


def _aware(value):
    if isinstance(value, list):
        return [_aware(item) for item in value]
    return value.replace(tzinfo=local_zone())


def _local_time_filter(base):
    class LocalTimeFilter(base):
        def clean(self, value):
            return _aware(super().clean(value))

    LocalTimeFilter.__name__ = f"Local{base.__name__}"
    return LocalTimeFilter


LOCAL_DATETIME_FILTERS = tuple(_local_time_filter(base) for base in (
    filters.DateTimeEqualFilter, filters.DateTimeNotEqualFilter, filters.DateTimeGreaterFilter,
    filters.DateTimeSmallerFilter, filters.DateTimeBetweenFilter, filters.DateTimeNotBetweenFilter,
)) + (filters.FilterEmpty,)


class PortalFilterConverter(filters.FilterConverter):
    @convert("utcdatetime")
    def conv_utc_datetime(self, column, name, **kwargs):
        return [f(column, name, **kwargs) for f in LOCAL_DATETIME_FILTERS]
