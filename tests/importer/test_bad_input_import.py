"""Bad input against the data import (issue #8): hypothesis writes random
bytes, random rows and random JSON into the files of an import folder. The
import either succeeds or fails with `ImportFailed`, each problem a
`file:line: reason` line; never another exception (a traceback for the
operator) and never a half import.
"""
import json
import re
import shutil

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.importer import ImportFailed, import_folder
from portal.models import District, Region, School
from tests.conftest import SAMPLE_DIR
from tests.fuzzing import fuzz_settings

SETTINGS = fuzz_settings(40)  # scaled and randomised per profile (tests/fuzzing.py)
# A small folder (the three geography files) keeps each example fast.
FILES = ("regions.csv", "districts.csv", "schools.csv")
PROBLEM = re.compile(r"^(regions|districts|schools)\.csv:\d+: \S.*$|^campaign\.json:\d+: \S.*$")

cell = st.one_of(st.text(max_size=30), st.sampled_from(["", "GB", "GB-LEN", "1", "0", "state", "municipal",
                                                       '"', '""', "\\", "\r", "\n", ",", "\ufeff", "\x00", "a\x00b"]))
row = st.lists(cell, min_size=0, max_size=9)


def _csv_line(cells):
    # Sometimes quoted, sometimes not, so that broken quoting comes up as well.
    return ",".join(c if i % 2 else f'"{c}"' for i, c in enumerate(cells))


@pytest.fixture
def folder(tmp_path, app):
    target = tmp_path / "folder"
    target.mkdir()
    for name in FILES:
        shutil.copy(f"{SAMPLE_DIR}/{name}", target / name)
    return target


def _import_and_check(folder):
    """Import without committing; on success roll back (each example starts from nothing)."""
    try:
        with force_locale("en"):
            import_folder(str(folder), echo=lambda *a, **k: None, commit=False)
    except ImportFailed as failed:
        assert failed.errors, "a failure names its problems"
        for line in failed.errors:
            assert PROBLEM.match(line), line
        assert db.session.scalar(select(func.count(Region.id))) == 0  # nothing half imported
        db.session.rollback()
        return False
    db.session.rollback()
    return True


@pytest.mark.parametrize("name", FILES)
def test_random_rows_in_a_file_give_file_line_reason_or_import(folder, name):
    original = (folder / name).read_bytes()

    @given(rows=st.lists(row, min_size=1, max_size=5), where=st.sampled_from(["end", "after_header"]))
    @SETTINGS
    def run(rows, where):
        lines = original.decode("utf-8").splitlines()
        extra = [_csv_line(cells) for cells in rows]
        lines = lines + extra if where == "end" else lines[:1] + extra + lines[1:]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        _import_and_check(folder)

    run()


@pytest.mark.parametrize("name", FILES)
def test_random_bytes_as_a_file_give_file_line_reason(folder, name):
    original = (folder / name).read_bytes()

    @given(junk=st.binary(max_size=600), keep_header=st.booleans())
    @SETTINGS
    def run(junk, keep_header):
        header = original.split(b"\n", 1)[0] + b"\n"
        (folder / name).write_bytes((header if keep_header else b"") + junk)
        _import_and_check(folder)

    run()


def test_random_json_as_the_campaign_gives_a_clean_problem(folder):
    shutil.copy(f"{SAMPLE_DIR}/campaign.json", folder / "campaign.json")
    sample = json.loads((folder / "campaign.json").read_text(encoding="utf-8"))
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                        st.sampled_from(["2026-04-01T10:00:00+06:00", "2026-02-30", "", "ky", "2026", "a\x00"]))
    json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=3)), max_leaves=8)

    @given(data=st.one_of(
        # One key of the real campaign spoiled, or a key removed, or any JSON, or any bytes.
        st.tuples(st.sampled_from(sorted(sample)), json_values).map(lambda kv: {**sample, kv[0]: kv[1]}),
        st.sampled_from(sorted(sample)).map(lambda key: {k: v for k, v in sample.items() if k != key}),
        json_values,
        st.binary(max_size=200),
    ))
    @SETTINGS
    def run(data):
        raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
        (folder / "campaign.json").write_bytes(raw)
        _import_and_check(folder)

    run()


def test_the_untouched_small_folder_imports(folder):
    """The baseline of the tests above: without spoiling, the folder imports."""
    assert _import_and_check(folder)
    with force_locale("en"):
        import_folder(str(folder), echo=lambda *a, **k: None, commit=False)
    assert db.session.scalar(select(func.count(School.id))) == 21
    assert db.session.scalar(select(func.count(District.id))) == 7
    db.session.rollback()
