"""The data import (data-formats.md, "Import folder"): all or nothing, upsert by key, R4 drafts."""
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.importer import ImportFailed, import_folder
from portal.models import (
    Address,
    AuditEntry,
    Campaign,
    ClassSet,
    District,
    GradeStat,
    MicrodistrictAddress,
    Region,
    RegistryLink,
    RegistryPerson,
    School,
    SchoolQuota,
    SeatPool,
    StaffUser,
    Teacher,
)
from tests.conftest import SAMPLE_DIR

SAMPLE_COUNTS = {
    Region: 3,
    District: 7,
    School: 21,
    Address: 1080,
    MicrodistrictAddress: 1025,
    GradeStat: 87,
    RegistryPerson: 328,
    RegistryLink: 231,
    Teacher: 1,
    StaffUser: 36,
    Campaign: 1,
    SchoolQuota: 21,
}


def quiet(_line):
    pass


def load(folder=SAMPLE_DIR):
    return import_folder(str(folder), echo=quiet)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))




def edit_line(path, number, old, new):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def append_line(path, line):
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return len(path.read_text(encoding="utf-8").splitlines())


def failure(folder):
    with force_locale("en"), pytest.raises(ImportFailed) as raised:
        load(folder)
    return raised.value.errors


def dump():
    """Every row of every table but the audit trail, in a stable order."""
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name == "audit_entries":
            continue
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        rows = db.session.execute(text(f"SELECT {columns} FROM {table.name}")).all()
        tables[table.name] = sorted(map(tuple, rows), key=repr)
    return tables


def school(code):
    return db.session.scalars(select(School).where(School.code == code)).one()


def class_sets(code):
    return db.session.scalars(
        select(ClassSet).where(ClassSet.school_id == school(code).id).order_by(ClassSet.number)
    ).all()


def pools(code):
    rows = db.session.scalars(select(SeatPool).where(SeatPool.school_id == school(code).id))
    return {pool.language: pool.seats for pool in rows}


def test_sample_folder_imports_with_the_expected_counts(session):
    report = load()
    for model, expected in SAMPLE_COUNTS.items():
        assert count(model) == expected, model.__tablename__
    assert report.files["addresses.csv"] == {"rows": 1080, "new": 1080, "changed": 0}
    assert report.quotas["computed"] == 21

    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.stage1_opens == datetime(2026, 4, 1, 4, 0, tzinfo=timezone.utc)
    assert campaign.stage1_opens.tzinfo is not None
    # The official days off of 2026 (Labour Code art. 113; Orozo Ait and Kurman Ait as decreed).
    assert campaign.holidays == ["2026-01-01", "2026-01-02", "2026-01-07", "2026-02-23", "2026-03-08", "2026-03-20",
                                 "2026-03-21", "2026-04-07", "2026-05-01", "2026-05-05", "2026-05-09", "2026-05-27",
                                 "2026-08-31", "2026-09-01", "2026-11-07", "2026-11-08"]
    assert campaign.categories == ["teacher", "twin"]

    director = db.session.scalars(
        select(StaffUser).where(StaffUser.email == "director.gb-len-039@example.kg")
    ).one()
    assert director.school.code == "GB-LEN-039" and director.district_id is None
    assert director.password_hash is None and not director.is_active
    ministry = db.session.scalars(select(StaffUser).where(StaffUser.role == "ministry")).one()
    assert ministry.district_id is None and ministry.school_id is None

    person = db.session.get(RegistryPerson, "12103198501551")
    assert person.birth_date.isoformat() == "1985-03-21" and person.has_documents is True
    assert school("GB-LEN-045").participates is False


def test_the_import_is_audited_once_and_small_tables_row_by_row(session):
    load()
    imports = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert len(imports) == 1
    assert imports[0].after["files"]["registry_persons.csv"]["new"] == 328
    audited = set(db.session.scalars(select(AuditEntry.entity).distinct()))
    assert {"schools", "staff_users", "campaigns", "class_sets"} <= audited
    assert "registry_persons" not in audited  # bulk data: covered by the one import entry


def test_importing_the_same_folder_twice_changes_nothing(session):
    load()
    before = dump()
    last_entry = db.session.scalar(select(func.max(AuditEntry.id)))
    report = load()
    assert dump() == before
    assert all(c["new"] == 0 and c["changed"] == 0 for c in report.files.values())
    assert report.quotas["changed"] == 0
    since = db.session.scalars(select(AuditEntry).where(AuditEntry.id > last_entry)).all()
    assert [entry.action for entry in since] == ["import"]


def test_a_bad_row_imports_nothing_and_names_file_and_line(session, folder):
    edit_line(folder / "schools.csv", 5, ",municipal,", ",public,")
    errors = failure(folder)
    assert errors == ["schools.csv:5: ownership must be one of state, municipal, private"]
    for model in SAMPLE_COUNTS:
        assert count(model) == 0, model.__tablename__
    assert count(AuditEntry) == 0


@pytest.mark.parametrize(
    "file, line, old, new, expected",
    [
        ("registry_persons.csv", 2, "12103198501551", "1210319850155", "pin must be 14 digits"),
        ("registry_persons.csv", 3, ",M,", ",X,", "sex must be one of M, F"),
        ("registry_persons.csv", 4, "2019-05-10", "10.05.2019", "birth_date must be a date YYYY-MM-DD"),
        ("registry_persons.csv", 4, "2019-05-10", "2019-02-30", "birth_date must be a date YYYY-MM-DD"),
        ("registry_persons.csv", 2, ",Салтанат,", ",,", "first_name is required"),
        ("schools.csv", 4, ",0", ",yes", "participates must be 1 or 0"),
        ("grade_stats.csv", 2, "GB-LEN-039,4,", "GB-LEN-039,3,", "grade must be one of 1, 4"),
        ("grade_stats.csv", 2, ",ky,41", ",kz,41", "language must be one of ky, ru, uz, tj, en"),
        ("grade_stats.csv", 2, ",ky,41", ",ky,-4", "pupils must be a whole number"),
        ("registry_links.csv", 2, ",mother", ",aunt", "relation must be one of mother, father, guardian"),
        ("staff.csv", 2, "ministry@example.kg", "ministry.example.kg", "email is not a valid e-mail address"),
        ("staff.csv", 2, "ministry,,", "ministry,GB-LEN,", "scope must be empty for the role ministry"),
        ("staff.csv", 3, "district,GB-LEN,", "district,,", "scope must be a district code for the role district"),
        ("staff.csv", 3, "district,GB-LEN,", "dean,GB-LEN,", "role must be one of ministry, district, commission, director"),
        ("addresses.csv", 3, "A0000002,", "A0000001,", "the key A0000001 is already on line 2"),
        ("regions.csv", 2, "GB,", "GB,extra,", "the row has 4 fields, the header has 3"),
    ],
)
def test_each_bad_value_is_reported_with_its_file_and_line(session, folder, file, line, old, new, expected):
    edit_line(folder / file, line, old, new)
    assert f"{file}:{line}: {expected}" in failure(folder)
    assert count(Region) == 0


def test_a_director_scoped_to_a_district_is_refused(session, folder):
    edit_line(folder / "staff.csv", 17, "director,GB-LEN-039,", "director,GB-LEN,")
    assert failure(folder) == [
        "staff.csv:17: scope GB-LEN is neither in schools.csv nor in the database"
    ]


def test_a_missing_column_is_reported_on_the_header_line(session, folder):
    path = folder / "teachers.csv"
    path.write_text("pin,school\n11110199502031,GB-LEN-041\n", encoding="utf-8")
    assert failure(folder) == ["teachers.csv:1: the header has no column school_code"]


def test_registry_persons_may_leave_out_the_optional_id_document_column(session, folder):
    """data-formats.md: `id_document` is an optional column (the shared sample has none)."""
    path = folder / "registry_persons.csv"
    rows = [line.rsplit(",", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows[0].endswith("has_documents")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    load(folder)
    assert count(RegistryPerson) == len(rows) - 1
    assert db.session.scalar(select(func.count()).where(RegistryPerson.id_document.is_not(None))) == 0
    # With the column, the numbers come in; empty means none.
    load()
    assert db.session.get(RegistryPerson, "12103198501551").id_document == "ID4647178"
    assert db.session.get(RegistryPerson, "20703202001961").id_document is None


def test_a_byte_order_mark_is_accepted_and_bad_utf8_is_reported_with_its_line(session, folder):
    regions = folder / "regions.csv"
    regions.write_bytes(b"\xef\xbb\xbf" + regions.read_bytes())
    districts = folder / "districts.csv"
    districts.write_bytes(districts.read_bytes() + b"CH-XXX,CH,\xff\xfe,bad\n")
    assert failure(folder) == ["districts.csv:9: the line is not valid UTF-8"]
    districts.write_bytes(districts.read_bytes().replace(b"CH-XXX,CH,\xff\xfe,bad\n", b""))
    load(folder)
    assert count(Region) == 3


def test_a_quoted_field_over_two_lines_keeps_the_physical_line_numbers(session, folder):
    path = folder / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"Бишкек, Ахунбаев', '"Бишкек,\nАхунбаев')
    lines[2] = lines[2].replace(",municipal,", ",public,")  # the third record, on physical line 4
    path.write_text("".join(lines), encoding="utf-8")
    assert failure(folder) == ["schools.csv:4: ownership must be one of state, municipal, private"]


def test_a_bad_reference_is_reported_with_its_line(session, folder):
    line = append_line(folder / "microdistricts.csv", "GB-LEN-039,A9999999")
    assert failure(folder) == [
        f"microdistricts.csv:{line}: address_id A9999999 is neither in addresses.csv nor in the database"
    ]
    assert count(MicrodistrictAddress) == 0


def test_all_problems_are_reported_at_once_in_file_order(session, folder):
    edit_line(folder / "teachers.csv", 2, "GB-LEN-041", "GB-XXX-000")
    edit_line(folder / "schools.csv", 5, ",municipal,", ",public,")
    edit_line(folder / "registry_links.csv", 2, "12103198501551", "99999999999999")
    assert failure(folder) == [
        "schools.csv:5: ownership must be one of state, municipal, private",
        "registry_links.csv:2: parent_pin 99999999999999 is neither in registry_persons.csv"
        " nor in the database",
        "teachers.csv:2: school_code GB-XXX-000 is neither in schools.csv nor in the database",
    ]


def test_references_may_point_into_the_database(session, folder, tmp_path):
    load()
    only = tmp_path / "microdistricts-only"
    only.mkdir()
    (only / "microdistricts.csv").write_text(
        "school_code,address_id\nGB-LEN-041,A0000001\n", encoding="utf-8"
    )
    report = load(only)
    assert report.files["microdistricts.csv"] == {"rows": 1, "new": 1, "changed": 0}
    assert report.quotas is None  # neither grade statistics nor a campaign: drafts stay


def test_changed_rows_are_updated_in_place(session, folder):
    load()
    edit_line(folder / "addresses.csv", 2, "Чүй проспекти,1", "Чүй проспекти,1А")
    edit_line(folder / "schools.csv", 2, "№39 мектеп-гимназия", "№39 гимназия")
    report = load(folder)
    assert report.files["addresses.csv"] == {"rows": 1080, "new": 0, "changed": 1}
    assert report.files["schools.csv"] == {"rows": 21, "new": 0, "changed": 1}
    assert db.session.get(Address, "A0000001").house == "1А"
    assert school("GB-LEN-039").name_ky == "№39 гимназия"


def test_staff_reimport_updates_name_and_scope_but_never_the_password(session, folder):
    load()
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == "district.gb-len@example.kg")).one()
    user.password_hash = "$argon2id$kept"
    db.session.commit()
    edit_line(folder / "staff.csv", 3, "district,GB-LEN,Райондук адис GB-LEN", "commission,GB-SVE,Жаңы аты")
    load(folder)
    db.session.expire_all()
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == "district.gb-len@example.kg")).one()
    assert (user.role, user.district.code, user.full_name) == ("commission", "GB-SVE", "Жаңы аты")
    assert user.password_hash == "$argon2id$kept"


def test_a_campaign_of_the_same_year_gets_its_dates_updated(session, folder):
    load()
    path = folder / "campaign.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2026-06-01T10:00:00+06:00", "2026-06-03T09:00:00+06:00"),
        encoding="utf-8",
    )
    report = load(folder)
    assert report.files["campaign.json"] == {"rows": 1, "new": 0, "changed": 1}
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.stage2_opens == datetime(2026, 6, 3, 3, 0, tzinfo=timezone.utc)


def test_campaign_times_without_an_offset_are_refused(session, folder):
    path = folder / "campaign.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2026-04-01T10:00:00+06:00", "2026-04-01T10:00:00"),
        encoding="utf-8",
    )
    (error,) = failure(folder)
    assert error.startswith("campaign.json:5: stage1_opens must be a date and time with its UTC offset")


def test_r4_draft_quotas_follow_the_rule_for_sample_schools(session):
    load()
    # 4th grades 41, 38, 22, 18; this year's 1st grades all Kyrgyz.
    assert [(c.number, c.language, c.seats, c.base_pupils) for c in class_sets("GB-LEN-039")] == [
        (1, "ky", 41, 41), (2, "ky", 38, 38), (3, "ky", 25, 22), (4, "ky", 25, 18),
    ]
    assert all(c.computed_seats == c.seats and c.computed_language == c.language
               for c in class_sets("GB-LEN-039"))
    assert pools("GB-LEN-039") == {"ky": 129}
    quota = db.session.scalars(select(SchoolQuota).where(SchoolQuota.school_id == school("GB-LEN-039").id)).one()
    # §11: the Kyrgyz floor counts this year's 1st grades (four in Kyrgyz), as the languages do.
    assert (quota.state, quota.base_grade, quota.min_state_language_class_sets) == ("draft", 4, 4)

    # 47 pupils in the 4th grade: capped at 42.
    assert [(c.language, c.seats) for c in class_sets("GB-LEN-041")] == [("ky", 42)]
    # Three 4th grades, two 1st grades (ky): the extra class-set takes the commonest language.
    assert [(c.language, c.seats) for c in class_sets("GB-SVE-051")] == [("ky", 42), ("ky", 42), ("ky", 25)]
    assert [(c.language, c.seats) for c in class_sets("GO-OSH-091")] == [("uz", 25)]
    # A new school without 4th grades: its 1st grades are the base.
    assert [(c.language, c.seats) for c in class_sets("CH-SOK-117")] == [("ky", 29), ("ru", 42), ("ky", 33)]
    assert pools("CH-SOK-117") == {"ky": 62, "ru": 42}


def test_r4_changed_statistics_recompute_a_draft_and_keep_taken_seats(session, folder):
    load()
    pool = db.session.scalars(select(SeatPool).where(SeatPool.school_id == school("GB-LEN-041").id)).one()
    pool.taken = pool.issued = 3
    db.session.commit()
    edit_line(folder / "grade_stats.csv", 10, "GB-LEN-041,4,1,ky,47", "GB-LEN-041,4,1,ky,30")
    report = load(folder)
    assert report.quotas["changed"] == 1
    db.session.expire_all()
    assert [(c.language, c.seats) for c in class_sets("GB-LEN-041")] == [("ky", 30)]
    pool = db.session.scalars(select(SeatPool).where(SeatPool.school_id == school("GB-LEN-041").id)).one()
    assert (pool.seats, pool.taken) == (30, 3)


def test_r4_a_confirmed_quota_is_not_recomputed(session, folder):
    load()
    quota = db.session.scalars(select(SchoolQuota).where(SchoolQuota.school_id == school("GB-LEN-039").id)).one()
    quota.state = "confirmed_by_director"
    first = class_sets("GB-LEN-039")[0]
    first.seats = 42
    db.session.commit()
    edit_line(folder / "grade_stats.csv", 2, "GB-LEN-039,4,1,ky,41", "GB-LEN-039,4,1,ky,30")
    report = load(folder)
    assert report.quotas["confirmed_kept"] == 1
    db.session.expire_all()
    assert [c.seats for c in class_sets("GB-LEN-039")] == [42, 38, 25, 25]
    assert db.session.scalars(
        select(GradeStat.pupils).where(GradeStat.school_id == school("GB-LEN-039").id, GradeStat.grade == 4,
                                       GradeStat.class_no == 1)
    ).one() == 30


def test_cli_data_import_prints_the_summary_and_exits_zero(app, session):
    result = app.test_cli_runner().invoke(args=["data", "import", SAMPLE_DIR])
    assert result.exit_code == 0, result.output
    assert "addresses.csv" in result.output and "1080" in result.output
    assert count(School) == 21
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).one()
    assert entry.actor == "command:data import"


def test_cli_data_import_prints_each_problem_and_exits_one(app, session, folder):
    edit_line(folder / "schools.csv", 5, ",municipal,", ",public,")
    line = append_line(folder / "microdistricts.csv", "GB-LEN-039,A9999999")
    result = app.test_cli_runner().invoke(args=["data", "import", str(folder)])
    assert result.exit_code == 1
    assert "schools.csv:5: " in result.stderr
    assert f"microdistricts.csv:{line}: " in result.stderr
    assert count(School) == 0
