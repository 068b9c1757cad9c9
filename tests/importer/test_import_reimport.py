"""Re-imports keep people's work (issue 14, item 6): a re-imported grade_stats.csv
recomputes the draft quotas (R4) but keeps the director's changes (R5), reporting
each conflict by school; rows the file no longer has are reported and deleted only
with `--prune`, all or nothing."""
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.admission import quota_changes as qc
from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.importer import ImportFailed, import_folder
from portal.models import ClassSet, GradeStat, School, SeatPool
from tests.conftest import SAMPLE_DIR

BISHKEK = timezone(timedelta(hours=6))
BEFORE_DEADLINE = datetime(2026, 3, 20, 12, 0, tzinfo=BISHKEK)
SCHOOL = "GB-LEN-039"  # 4th grades ky 41, ru 38, ky 22, ky 18; four 1st grades in Kyrgyz


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "folder"
    shutil.copytree(SAMPLE_DIR, target)
    return target


def load(folder, **options):
    with force_locale("en"):
        report = import_folder(str(folder), echo=lambda *a, **k: None, **options)
        return report, report.summary()


def replace_line(folder, old, new):
    path = folder / "grade_stats.csv"
    text = path.read_text(encoding="utf-8")
    assert old + "\n" in text
    path.write_text(text.replace(old + "\n", new + "\n" if new else "", 1), encoding="utf-8")


def school_id():
    return db.session.scalars(select(School.id).where(School.code == SCHOOL)).one()


def sets():
    db.session.expire_all()
    return [(c.number, c.language, c.seats, c.computed_seats, c.added_by_director) for c in db.session.scalars(
        select(ClassSet).where(ClassSet.school_id == school_id()).order_by(ClassSet.number))]


def ky_seats():
    return db.session.scalars(select(SeatPool.seats).where(SeatPool.school_id == school_id(),
                                                           SeatPool.language == "ky")).one()


def class_set(number):
    return db.session.scalars(select(ClassSet).where(ClassSet.school_id == school_id(),
                                                     ClassSet.number == number)).one()


def directors_work():
    """The director raises class-set 1 to 42 and 3 to 30 seats and adds a Kyrgyz class-set."""
    campaign = current_campaign()
    qc.change_seats(campaign, class_set(1), 42, now=BEFORE_DEADLINE)
    qc.change_seats(campaign, class_set(3), 30, now=BEFORE_DEADLINE)
    qc.add_state_language_class_set(campaign, school_id(), seats=26, now=BEFORE_DEADLINE)
    db.session.commit()


def test_reimporting_the_same_statistics_keeps_the_directors_changes_and_reports_nothing(session, folder):
    load(folder)
    directors_work()
    before = sets()
    report, summary = load(folder)
    assert sets() == before == [(1, "ky", 42, 41, False), (2, "ky", 38, 38, False), (3, "ky", 30, 25, False),
                                (4, "ky", 25, 25, False), (5, "ky", 26, None, True)]
    assert report.quotas["changed"] == 0 and report.quotas["conflicts"] == []
    assert ky_seats() == 42 + 38 + 30 + 25 + 26
    assert "conflicts" not in summary


def test_changed_statistics_keep_the_directors_changes_and_report_the_conflict_by_school(session, folder):
    load(folder)
    directors_work()
    replace_line(folder, "GB-LEN-039,4,1,ky,41", "GB-LEN-039,4,1,ky,35")  # under the director's raise
    replace_line(folder, "GB-LEN-039,4,4,ky,18", "GB-LEN-039,4,4,ky,40")  # not touched by the director
    report, summary = load(folder)
    assert sets() == [(1, "ky", 42, 35, False), (2, "ky", 38, 38, False), (3, "ky", 30, 25, False),
                      (4, "ky", 40, 40, False), (5, "ky", 26, None, True)]
    assert ky_seats() == 42 + 38 + 30 + 40 + 26
    assert report.quotas["conflicts"] == [{"school": SCHOOL, "kind": "recomputed", "number": 1, "before": "41 ky",
                                           "computed": "35 ky", "director": "42 ky", "now": "42 ky"}]
    assert ("GB-LEN-039, class-set 1: R4 now computes 35 ky instead of 41 ky; the director's change (42 ky)"
            " is kept: 42 ky") in summary


def test_a_raise_below_what_r4_now_computes_gives_way_to_the_computation(session, folder):
    load(folder)
    directors_work()
    replace_line(folder, "GB-LEN-039,4,3,ky,22", "GB-LEN-039,4,3,ky,33")  # R4 now gives 33 > the director's 30
    report, _summary = load(folder)
    assert sets()[2] == (3, "ky", 33, 33, False)
    assert [c["now"] for c in report.quotas["conflicts"]] == ["33 ky"]


def test_a_new_computed_class_set_takes_its_number_and_the_directors_moves_after_it(session, folder):
    load(folder)
    directors_work()
    with open(folder / "grade_stats.csv", "a", encoding="utf-8") as handle:
        handle.write("GB-LEN-039,4,5,ky,31\n")
    report, _summary = load(folder)
    assert sets() == [(1, "ky", 42, 41, False), (2, "ky", 38, 38, False), (3, "ky", 30, 25, False),
                      (4, "ky", 25, 25, False), (5, "ky", 31, 31, False), (6, "ky", 26, None, True)]
    assert report.quotas["conflicts"] == []


def test_missing_rows_are_reported_and_kept_without_prune(session, folder):
    load(folder)
    directors_work()
    replace_line(folder, "GB-LEN-039,4,4,ky,18", "")
    report, summary = load(folder)
    assert report.missing == {"grade_stats.csv": [(SCHOOL, 4, 4)]} and not report.pruned
    assert "grade_stats.csv: 1 rows of the database are not in the file; kept (--prune deletes them):" in summary
    assert "    GB-LEN-039,4,4" in summary
    assert db.session.scalars(select(GradeStat).where(GradeStat.school_id == school_id(), GradeStat.grade == 4,
                                                      GradeStat.class_no == 4)).first() is not None
    assert [number for number, *_rest in sets()] == [1, 2, 3, 4, 5]


def test_prune_deletes_missing_rows_and_a_removed_class_set_the_director_made_kyrgyz_stays(session, folder):
    # Class-set 4 is computed in Russian here; the director turns it to Kyrgyz and
    # raises class-set 3, then the statistics lose the 4th grades 3 and 4.
    replace_line(folder, "GB-LEN-039,1,3,ky,30", "GB-LEN-039,1,3,ru,30")
    replace_line(folder, "GB-LEN-039,1,4,ky,40", "GB-LEN-039,1,4,ru,40")
    load(folder)
    campaign = current_campaign()
    qc.change_language(campaign, class_set(4), "ky", now=BEFORE_DEADLINE)
    qc.change_seats(campaign, class_set(3), 31, now=BEFORE_DEADLINE)  # in Russian
    db.session.commit()
    replace_line(folder, "GB-LEN-039,4,3,ky,22", "")
    replace_line(folder, "GB-LEN-039,4,4,ky,18", "")
    report, summary = load(folder, prune=True)
    assert report.pruned and report.missing["grade_stats.csv"] == [(SCHOOL, 4, 3), (SCHOOL, 4, 4)]
    assert "deleted (--prune)" in summary
    assert sets() == [(1, "ky", 41, 41, False), (2, "ky", 38, 38, False), (3, "ky", 25, None, True)]
    kinds = [(c["kind"], c.get("number")) for c in report.quotas["conflicts"]]
    assert kinds == [("removed", 3), ("kept_as_added", 4)]
    assert "GB-LEN-039, class-set 3: the statistics no longer give it; it is removed with the director's change" \
        " (31 ru)" in summary


def test_prune_is_all_or_nothing(session, folder):
    load(folder)
    replace_line(folder, "GB-LEN-039,4,4,ky,18", "")
    replace_line(folder, "GB-LEN-041,4,1,ky,47", "GB-LEN-041,4,1,kz,47")
    with pytest.raises(ImportFailed):
        load(folder, prune=True)
    assert db.session.scalars(select(GradeStat).where(GradeStat.school_id == school_id(), GradeStat.grade == 4,
                                                      GradeStat.class_no == 4)).first() is not None


def test_cli_data_import_takes_prune(app, session, folder):
    load(folder)
    replace_line(folder, "GB-LEN-039,4,4,ky,18", "")
    result = app.test_cli_runner().invoke(args=["data", "import", str(folder)])
    assert result.exit_code == 0 and "GB-LEN-039,4,4" in result.output
    assert len(sets()) == 4
    result = app.test_cli_runner().invoke(args=["data", "import", "--prune", str(folder)])
    assert result.exit_code == 0, result.output
    assert len(sets()) == 3
