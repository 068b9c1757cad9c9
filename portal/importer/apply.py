"""Writing the checked, staged rows into the real tables: upsert by key.

Two ways, by size:

* Small files (regions, districts, schools, staff) go through the ORM, so
  the audit listener records every row inserted or changed.
* Big files (addresses, microdistricts, grade statistics, the local registry,
  teachers) are set operations from the staging tables: one UPDATE of the
  rows whose values differ, one INSERT of the keys not yet there. No ORM
  object is built per row, and a row whose values are already there is not
  written at all, so a repeated import writes nothing. The import as a whole
  is audited once (`portal.audit.record`).
"""
from dataclasses import dataclass

from sqlalchemy import select, text

from portal.extensions import db
from portal.models import District, Region, School, StaffUser


@dataclass(frozen=True)
class BulkTable:
    table: str
    key: tuple
    columns: tuple  # the other columns, updated when they differ
    source: str  # SELECT of key + columns from the staging table, codes resolved to ids


BULK = {
    "addresses.csv": BulkTable(
        "addresses",
        ("address_id",),
        ("district_id", "settlement", "street", "house"),
        "SELECT s.address_id, d.id AS district_id, s.settlement, s.street, s.house"
        " FROM import_addresses s JOIN districts d ON d.code = s.district_code",
    ),
    "microdistricts.csv": BulkTable(
        "microdistrict_addresses",
        ("school_id", "address_id"),
        (),
        "SELECT sc.id AS school_id, s.address_id"
        " FROM import_microdistricts s JOIN schools sc ON sc.code = s.school_code",
    ),
    "grade_stats.csv": BulkTable(
        "grade_stats",
        ("school_id", "grade", "class_no"),
        ("language", "pupils"),
        "SELECT sc.id AS school_id, s.grade, s.class_no, s.language, s.pupils"
        " FROM import_grade_stats s JOIN schools sc ON sc.code = s.school_code",
    ),
    "registry_persons.csv": BulkTable(
        "registry_persons",
        ("pin",),
        ("last_name", "first_name", "patronymic", "sex", "birth_date", "address_id", "has_documents", "id_document"),
        "SELECT pin, last_name, first_name, patronymic, sex, birth_date, address_id, has_documents, id_document"
        " FROM import_registry_persons",
    ),
    "registry_links.csv": BulkTable(
        "registry_links",
        ("parent_pin", "child_pin"),
        ("relation",),
        "SELECT parent_pin, child_pin, relation FROM import_registry_links",
    ),
    "teachers.csv": BulkTable(
        "teachers",
        ("pin", "school_id"),
        (),
        "SELECT s.pin, sc.id AS school_id FROM import_teachers s JOIN schools sc ON sc.code = s.school_code",
    ),
}


def apply_bulk(connection, bulk):
    """Upsert one big file from its staging table; returns (new, changed)."""
    differs = "IS DISTINCT FROM" if connection.dialect.name == "postgresql" else "IS NOT"
    table, key, columns = bulk.table, bulk.key, bulk.columns
    same_key = " AND ".join(f"{table}.{k} = s.{k}" for k in key)
    changed = 0
    if columns:
        assignments = ", ".join(f"{c} = s.{c}" for c in columns)
        different = " OR ".join(f"{table}.{c} {differs} s.{c}" for c in columns)
        changed = connection.execute(text(
            f"UPDATE {table} SET {assignments} FROM ({bulk.source}) AS s"
            f" WHERE {same_key} AND ({different})"
        )).rowcount
    names = ", ".join(key + columns)
    new = connection.execute(text(
        f"INSERT INTO {table} ({names}) SELECT {', '.join('s.' + n for n in key + columns)}"
        f" FROM ({bulk.source}) AS s"
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same_key})"
    )).rowcount
    return new, changed


def assign_changed(obj, values):
    """Set only the attributes that differ, so an unchanged row is not written or audited."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _upsert(model, key, records):
    existing = {getattr(obj, key): obj for obj in db.session.scalars(select(model))}
    new = changed = 0
    for values in records:
        obj = existing.get(values[key])
        if obj is None:
            db.session.add(model(**values))
            new += 1
        elif assign_changed(obj, values):
            changed += 1
    db.session.flush()
    return new, changed


def _ids(model):
    return dict(db.session.execute(select(model.code, model.id)).all())


def apply_regions(rows):
    return _upsert(Region, "code", [
        {"code": r["code"], "name_ky": r["name_ky"], "name_ru": r["name_ru"]} for r in rows
    ])


def apply_districts(rows):
    regions = _ids(Region)
    return _upsert(District, "code", [
        {"code": r["code"], "region_id": regions[r["region_code"]],
         "name_ky": r["name_ky"], "name_ru": r["name_ru"]}
        for r in rows
    ])


def apply_schools(rows):
    districts = _ids(District)
    return _upsert(School, "code", [
        {"code": r["code"], "district_id": districts[r["district_code"]],
         "name_ky": r["name_ky"], "name_ru": r["name_ru"], "address": r["address"],
         "ownership": r["ownership"], "participates": bool(r["participates"]), "kind": r["kind"] or "general"}
        for r in rows
    ])


def apply_staff(rows):
    """Staff users without a password: activation is a separate step.

    On a repeat only the name, role and scope follow the file; the password,
    activation and sign-in fields are never touched here.
    """
    districts, schools = _ids(District), _ids(School)
    records = []
    for r in rows:
        role, scope = r["role"], r["scope"]
        records.append({
            "email": r["email"],
            "full_name": r["full_name"],
            "role": role,
            "district_id": districts[scope] if role in ("district", "commission") else None,
            "school_id": schools[scope] if role == "director" else None,
        })
    return _upsert(StaffUser, "email", records)


ORM_APPLIERS = {
    "regions.csv": apply_regions,
    "districts.csv": apply_districts,
    "schools.csv": apply_schools,
    "staff.csv": apply_staff,
}


@dataclass(frozen=True)
class MissingRows:
    """The rows of a table that a re-imported file no longer has (reported; deleted only on `--prune`)."""

    select: str  # the missing rows' keys, as the file writes them, in report order
    delete: str


MISSING = {
    "grade_stats.csv": MissingRows(
        "SELECT sc.code, g.grade, g.class_no FROM grade_stats g JOIN schools sc ON sc.id = g.school_id"
        " WHERE NOT EXISTS (SELECT 1 FROM import_grade_stats s"
        " WHERE s.school_code = sc.code AND s.grade = g.grade AND s.class_no = g.class_no)"
        " ORDER BY sc.code, g.grade, g.class_no",
        "DELETE FROM grade_stats WHERE NOT EXISTS (SELECT 1 FROM import_grade_stats s"
        " JOIN schools sc ON sc.code = s.school_code WHERE sc.id = grade_stats.school_id"
        " AND s.grade = grade_stats.grade AND s.class_no = grade_stats.class_no)",
    ),
}


def missing_rows(connection, name, *, prune):
    """The keys of the rows the database holds that the file `name` no longer has;
    deleted when `prune` is true (in the import's one transaction)."""
    missing = MISSING[name]
    rows = [tuple(row) for row in connection.execute(text(missing.select))]
    if prune and rows:
        connection.execute(text(missing.delete))
    return rows
