"""Open statistics: free seats for everyone, with no personal data, cheap under load.

Free seats are read from the seat pools (one row per school and language), the
same counters that registration takes seats from (R3), so the public figures
are those a parent would meet when registering.

Public figures are asked for far more often than they change in a way that
matters to a reader, so answers are kept for a few seconds (`OPEN_STATISTICS_TTL`,
docs/reports.md) in a small cache of each web process: at most one query per
key and process every few seconds, whatever the load. Only plain values are
kept (bytes, numbers, names), never ORM rows.
"""
import hashlib
import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from portal.admission.school_kinds import offered_in_registration_sql
from portal.admission.seats import free_seats_sql
from portal.extensions import db
from portal.models import LANGUAGES, District, Region, School, SeatPool

DEFAULT_TTL = 5  # seconds


class TtlCache:
    """{key: value} whose entries live `ttl` seconds; thread-safe, bounded.

    Two requests that miss at once both compute (a few milliseconds each); the
    last one's value stays. That is cheaper than a lock per key at this size.
    """

    def __init__(self, *, clock=time.monotonic, max_entries=4096):
        self.clock, self.max_entries = clock, max_entries
        self._entries, self._lock = {}, threading.Lock()

    def get(self, key, ttl, make):
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = make()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (now + ttl, value)
        return value

    def clear(self):
        with self._lock:
            self._entries.clear()


def cache():
    """The cache of this application (one per app: tests never share one)."""
    return current_app.extensions.setdefault("open_statistics_cache", TtlCache())


def ttl():
    return float(current_app.config.get("OPEN_STATISTICS_TTL", DEFAULT_TTL))


def cached(key, make):
    return cache().get(key, ttl(), make)


def etag_of(body):
    return hashlib.sha256(body).hexdigest()[:32]


# --- totals by district and language --------------------------------------------------

@dataclass
class Seats:
    seats: int = 0
    free: int = 0

    def add(self, seats, free):
        self.seats += seats
        self.free += free


@dataclass
class PlaceSeats:
    code: str
    name_ky: str
    name_ru: str
    total: Seats = field(default_factory=Seats)
    by_language: dict = field(default_factory=dict)  # language -> Seats

    def add(self, language, seats, free):
        self.total.add(seats, free)
        self.by_language.setdefault(language, Seats()).add(seats, free)

    def name(self, locale):
        return self.name_ru if locale == "ru" else self.name_ky


@dataclass
class Statistics:
    nation: PlaceSeats
    regions: list  # [(PlaceSeats of the region, [PlaceSeats of its districts])]
    languages: list


def free_seat_statistics(campaign):
    """Seats and free seats of the schools registration offers (participating, general), per language, for the
    nation, each region and each district: one grouped query."""
    rows = db.session.execute(
        select(District.id, SeatPool.language, func.sum(SeatPool.seats), func.sum(free_seats_sql()))
        .join(School, SeatPool.school_id == School.id).join(District, School.district_id == District.id)
        .where(SeatPool.campaign_id == campaign.id, SeatPool.seats > 0, offered_in_registration_sql())
        .group_by(District.id, SeatPool.language)
    ).all()
    districts = {d.id: d for d in db.session.scalars(select(District).order_by(District.code))}
    regions = {r.id: r for r in db.session.scalars(select(Region).order_by(Region.code))}
    nation = PlaceSeats("", "", "")
    by_district, by_region = {}, {}
    for district_id, language, seats, free_seats in rows:
        district = districts[district_id]
        region = regions[district.region_id]
        for target in (nation,
                       by_region.setdefault(region.id, PlaceSeats(region.code, region.name_ky, region.name_ru)),
                       by_district.setdefault(district_id, PlaceSeats(district.code, district.name_ky,
                                                                      district.name_ru))):
            target.add(language, int(seats or 0), int(free_seats or 0))
    grouped = []
    for region in regions.values():
        if region.id in by_region:
            members = [by_district[d.id] for d in districts.values()
                       if d.region_id == region.id and d.id in by_district]
            grouped.append((by_region[region.id], members))
    languages = [language for language in LANGUAGES if language in nation.by_language]
    return Statistics(nation=nation, regions=grouped, languages=languages)


def totals_of(entries):
    """[{"language", "seats", "taken", "free"}] summed over entries of that shape, in LANGUAGES order."""
    sums = {}
    for entry in entries:
        total = sums.setdefault(entry["language"], {"language": entry["language"], "seats": 0, "taken": 0, "free": 0})
        for name in ("seats", "taken", "free"):
            total[name] += entry[name]
    return [sums[language] for language in LANGUAGES if language in sums]


def plausible_code(code):
    """A district code that could exist (codes are at most 16 characters)."""
    return code is None or (len(code) <= 16 and code.isprintable())
