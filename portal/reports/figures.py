"""The figures of a campaign in a place, by SQL aggregates (docs/reports.md).

A report looks at one place (the nation, a region, a district or a school) and
has one row per part of it: the nation's regions, a region's districts, a
district's schools, a school's languages of instruction. Every figure is one
`SUM(CASE ...)` or `COUNT` over a `GROUP BY` of that part, so the cost grows
with the number of rows of the report, not with the number of applications
read into Python (300,000 applications make three grouped queries).

`within` narrows the schools further: the staff portal passes its scope rule,
so a report can never count a school outside the viewer's scope.
"""
import re
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Date, and_, case, cast, func, literal_column, select, true

from portal.admission.calendar import local_date, local_zone
from portal.admission.seats import free_seats_sql
from portal.extensions import db
from portal.models import AWAITING_DOCUMENTS, LANGUAGES, Application, ApplicationEvent, ClassSet, District, Region, School, SeatPool

# What each report level lists as its rows.
ROW_LEVEL = {"nation": "region", "region": "district", "district": "school", "school": "language"}
KNOWN_CATEGORIES = ("twin", "teacher", "commission")
RECEIVED = ("documents_received", "enrolled")
AWAITING = AWAITING_DOCUMENTS


def _application_counts():
    """{figure: SQL condition on an application}; None counts every application."""
    active = Application.is_active.is_(True)
    category = Application.category
    return {
        "applications": None,
        "registered": active,
        "within_quota": and_(active, Application.over_quota.is_(False)),
        "over_quota": and_(active, Application.over_quota.is_(True)),
        "stage1": and_(active, Application.stage == 1),
        "stage2": and_(active, Application.stage == 2),
        "normal": and_(active, category.is_(None)),
        "twin": and_(active, category == "twin"),
        "teacher": and_(active, category == "teacher"),
        "commission": and_(active, category == "commission"),
        "other_category": and_(active, category.is_not(None), category.not_in(KNOWN_CATEGORIES)),
        "representative": and_(active, Application.as_representative.is_(True)),
        "girls": and_(active, Application.child_sex == "F"),
        "boys": and_(active, Application.child_sex == "M"),
        "documents_received": Application.status.in_(RECEIVED),
        "documents_awaiting": Application.status.in_(AWAITING),
        "documents_missing": Application.status == "documents_missing",
        "cancelled": Application.status == "cancelled",
        "transferred": Application.status == "transferred_to_special_school",
    }


@dataclass
class Figures:
    """The figures of one row (or of the total). Counts of applications are of
    this campaign; `registered` and the breakdowns after it count active
    applications, i.e. children holding a place now (docs/reports.md)."""

    class_sets: int = 0
    seats: int = 0  # the quota: seats of the class-sets (the seat pools)
    free: int = 0  # seats not taken by an application within the quota
    seats_by_language: dict = field(default_factory=dict)
    free_by_language: dict = field(default_factory=dict)
    applications: int = 0  # every application made, whatever became of it
    registered: int = 0
    within_quota: int = 0
    over_quota: int = 0
    stage1: int = 0
    stage2: int = 0
    normal: int = 0
    twin: int = 0
    teacher: int = 0
    commission: int = 0
    other_category: int = 0
    representative: int = 0
    girls: int = 0
    boys: int = 0
    documents_received: int = 0
    documents_awaiting: int = 0
    documents_missing: int = 0
    cancelled: int = 0
    transferred: int = 0

    def add(self, other):
        for item in fields(self):
            mine = getattr(self, item.name)
            if isinstance(mine, dict):
                for language, number in getattr(other, item.name).items():
                    mine[language] = mine.get(language, 0) + number
            else:
                setattr(self, item.name, mine + getattr(other, item.name))
        return self


@dataclass
class Row:
    key: object  # the id of the region, district or school; a language code
    code: str
    name: str
    figures: Figures
    participates: bool = True
    class_sets: list = field(default_factory=list)  # language rows: [(number, seats)]


@dataclass
class Report:
    campaign: object
    level: str  # nation, region, district, school
    place: object  # None for the nation, else the Region, District or School
    rows: list
    total: Figures
    languages: list  # languages with seats or applications, in LANGUAGES order

    @property
    def row_level(self):
        return ROW_LEVEL[self.level]


def schools_of(level, place):
    """The SQL condition on School: the schools of the place."""
    if level == "nation":
        return true()
    if level == "region":
        return School.district_id.in_(select(District.id).where(District.region_id == place.id))
    if level == "district":
        return School.district_id == place.id
    if level == "school":
        return School.id == place.id
    raise ValueError(level)


def _key(row_level, model):
    return {"region": District.region_id, "district": School.district_id, "school": School.id}.get(
        row_level, getattr(model, "language", None))


def _joined(statement, row_level, school_column):
    statement = statement.join(School, school_column == School.id)
    if row_level == "region":
        statement = statement.join(District, School.district_id == District.id)
    return statement


def _name(record, locale):
    return record.name_ru if locale == "ru" else record.name_ky


def build_report(campaign, level, place=None, *, within=None, locale="ky"):
    """The report of `place` (None for the nation) in `campaign`, with a row per part."""
    row_level = ROW_LEVEL[level]
    schools = and_(schools_of(level, place), within if within is not None else true())
    figures = {}

    def row_figures(key):
        return figures.setdefault(key, Figures())

    counts = _application_counts()
    key = _key(row_level, Application)
    columns = [func.count().label("applications") if condition is None
               else func.sum(case((condition, 1), else_=0)).label(name) for name, condition in counts.items()]
    statement = _joined(select(key.label("key"), *columns).select_from(Application), row_level, Application.school_id)
    for result in db.session.execute(statement.where(Application.campaign_id == campaign.id, schools).group_by(key)):
        target = row_figures(result.key)
        for name in counts:
            setattr(target, name, int(getattr(result, name) or 0))

    key = _key(row_level, SeatPool)
    free = free_seats_sql()
    group = [key] if row_level == "language" else [key, SeatPool.language]
    statement = _joined(select(key.label("key"), SeatPool.language, func.sum(SeatPool.seats).label("seats"),
                               func.sum(free).label("free")).select_from(SeatPool), row_level, SeatPool.school_id)
    for result in db.session.execute(statement.where(SeatPool.campaign_id == campaign.id, schools).group_by(*group)):
        seats, free_seats = int(result.seats or 0), int(result.free or 0)
        if not seats and not free_seats:
            continue
        target = row_figures(result.key)
        target.seats += seats
        target.free += free_seats
        target.seats_by_language[result.language] = target.seats_by_language.get(result.language, 0) + seats
        target.free_by_language[result.language] = target.free_by_language.get(result.language, 0) + free_seats

    key = _key(row_level, ClassSet)
    statement = _joined(select(key.label("key"), func.count(ClassSet.id).label("n")).select_from(ClassSet),
                        row_level, ClassSet.school_id)
    for result in db.session.execute(statement.where(ClassSet.campaign_id == campaign.id, schools).group_by(key)):
        row_figures(result.key).class_sets = int(result.n)

    rows = _rows(campaign, row_level, place, schools, figures, locale)
    total = Figures()
    for row in rows:
        total.add(row.figures)
    languages = [language for language in LANGUAGES
                 if language in total.seats_by_language or any(r.key == language for r in rows)]
    return Report(campaign=campaign, level=level, place=place, rows=rows, total=total, languages=languages)


def _rows(campaign, row_level, place, schools, figures, locale):
    if row_level == "language":
        class_sets = {}
        for class_set in db.session.scalars(select(ClassSet).where(
                ClassSet.campaign_id == campaign.id, ClassSet.school_id == place.id).order_by(ClassSet.number)):
            class_sets.setdefault(class_set.language, []).append((class_set.number, class_set.seats))
        return [Row(key=language, code=language, name=language, figures=figures[language],
                    class_sets=class_sets.get(language, []))
                for language in LANGUAGES if language in figures]
    with_schools = select(School.id).where(schools)
    if row_level == "school":
        records = db.session.scalars(select(School).where(schools).order_by(School.code))
        return [Row(key=s.id, code=s.code, name=_name(s, locale), figures=figures.get(s.id, Figures()),
                    participates=s.participates) for s in records]
    if row_level == "district":
        records = db.session.scalars(select(District).where(
            District.id.in_(select(School.district_id).where(School.id.in_(with_schools)))).order_by(District.code))
    else:
        records = db.session.scalars(select(Region).where(Region.id.in_(
            select(District.region_id).join(School, School.district_id == District.id).where(schools))
        ).order_by(Region.code))
    return [Row(key=r.id, code=r.code, name=_name(r, locale), figures=figures.get(r.id, Figures())) for r in records]


# --- progress over the campaign's days ----------------------------------------------

@dataclass
class Day:
    day: date
    new: int  # applications made that day
    cancelled: int  # applications cancelled that day (a move to another school included)
    cumulative: int  # applications made up to and including that day


def _local_day(column, campaign):
    """The local calendar day of a stored UTC moment, in SQL."""
    # Literals, not bound parameters: the same expression stands in SELECT and
    # GROUP BY, and PostgreSQL sees two parameters as two expressions.
    if db.engine.dialect.name == "postgresql":
        zone = current_app.config["TIMEZONE"]
        if not re.fullmatch(r"[A-Za-z0-9_+/-]+", zone):
            raise ValueError(f"TIMEZONE {zone!r} is not a zone name")
        return cast(func.timezone(literal_column(f"'{zone}'"), column), Date)
    # SQLite keeps naive UTC text; Bishkek has kept one offset since 2005.
    offset = local_zone().utcoffset(campaign.stage1_opens.replace(tzinfo=None))
    return func.date(column, literal_column(f"'{int(offset.total_seconds() // 60):+d} minutes'"))


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value))


MAX_DAYS = 400  # a campaign runs for months; a wrong clock must not draw years


def progress(campaign, level, place=None, *, within=None, today):
    """[Day] from the opening of stage 1 to `today` (or the closing day), with
    every day that has data; days without any show zero."""
    schools = and_(schools_of(level, place), within if within is not None else true())
    in_scope = Application.school_id.in_(select(School.id).where(schools))
    made = _local_day(Application.created_at, campaign)
    new = {_as_date(day): n for day, n in db.session.execute(
        select(made, func.count()).where(Application.campaign_id == campaign.id, in_scope).group_by(made))}
    ended = _local_day(ApplicationEvent.at, campaign)
    cancelled = {_as_date(day): n for day, n in db.session.execute(
        select(ended, func.count()).join(Application, ApplicationEvent.application_id == Application.id)
        .where(Application.campaign_id == campaign.id, in_scope, ApplicationEvent.status == "cancelled")
        .group_by(ended))}
    first = local_date(campaign.stage1_opens)
    last = min(today, local_date(campaign.registration_closes))
    seen = set(new) | set(cancelled)
    if seen:
        first, last = min(first, min(seen)), max(last, max(seen))
    day = max(first, last - timedelta(days=MAX_DAYS))
    days, running = [], sum(n for earlier, n in new.items() if earlier < day)
    while day <= last:
        running += new.get(day, 0)
        days.append(Day(day=day, new=new.get(day, 0), cancelled=cancelled.get(day, 0), cumulative=running))
        day += timedelta(days=1)
    return days
