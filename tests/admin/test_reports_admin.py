"""The reports of the staff portal (admin/reports.py): each role opens its own
place and drills down only within its scope, the page shows what the report
functions count, the XLSX and CSV hold the same cells as the screen, and every
export is in the audit trail."""
import csv
import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.admission.campaigns import current_campaign
from portal.extensions import db
from portal.models import AuditEntry, District, Region, School, StaffUser
from portal.reports.figures import build_report
from tests.scenario import SCENARIO

from tests.staff import PASSWORD  # noqa: E402  (the password of every staff user of the `reports` fixture)
STAFF = SCENARIO["staff"]
LOGINS = {"ministry": STAFF["ministry"], "district": STAFF["district_a"], "director": STAFF["director_a"],
          "commission": "commission.gb-len@example.kg"}




LANGUAGE_IN_ENGLISH = {"ky": "Kyrgyz", "ru": "Russian", "uz": "Uzbek", "tj": "Tajik", "en": "English"}


def campaign():
    return current_campaign()


def client_of(app, role, language="en"):
    client = app.test_client()
    client.get(f"/lang/{language}")
    response = client.post("/admin/login", data={"email": LOGINS[role], "password": PASSWORD})
    assert response.status_code == 302
    return client


def by_code(model, code):
    return db.session.scalars(select(model).where(model.code == code)).one()


class Table(HTMLParser):
    """The cells of the page's table.report: header row, body rows, total row."""

    def __init__(self):
        super().__init__()
        self.inside, self.section, self.rows, self.cell = False, None, [], None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "table" and "report" in classes.split():
            self.inside = True
        elif self.inside and tag in ("thead", "tbody", "tfoot"):
            self.section = tag
        elif self.inside and tag == "tr":
            self.rows.append((self.section, []))
        elif self.inside and tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1][1].append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def screen(html):
    parser = Table()
    parser.feed(html)
    header = [cells for section, cells in parser.rows if section == "thead"][-1]
    body = [cells for section, cells in parser.rows if section == "tbody"]
    total = [cells for section, cells in parser.rows if section == "tfoot"][0]
    # The page marks schools that do not take part after their name; the files keep the name.
    body = [[cells[0], cells[1].replace(" (does not take part)", "")] + cells[2:] for cells in body]
    return header, body, total


def as_text(rows):
    return [["" if value is None else str(value) for value in row] for row in rows]


def exports_count():
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "view",
                                                                    AuditEntry.entity == "report"))


@pytest.mark.parametrize("role, level, code", [("ministry", "nation", None), ("district", "district", "GB-LEN"),
                                               ("director", "school", "GB-LEN-039")])
def test_each_role_starts_at_its_own_place_and_the_page_shows_the_reports_figures(reports, role, level, code):
    client = client_of(reports, role)
    response = client.get("/admin/reports/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    place = None if code is None else by_code({"district": District, "school": School}[level], code)
    report = build_report(campaign(), level, place, locale="en")
    header, body, total = screen(html)
    assert len(body) == len(report.rows) and body
    assert total[2:] == [str(v) for v in ([report.total.class_sets, report.total.seats, report.total.registered])
                         ] + total[5:]
    assert int(total[header.index("Registered")]) == report.total.registered
    assert int(total[header.index("Girls")]) + int(total[header.index("Boys")]) == report.total.registered
    assert "<svg" in html and "quota-chart" in html and "progress-chart" in html
    assert "<script src=\"http" not in html


def test_the_ministry_drills_down_from_the_nation_to_a_school(reports):
    client = client_of(reports, "ministry")
    html = client.get("/admin/reports/").get_data(as_text=True)
    region = by_code(Region, "GB")
    assert f'href="/admin/reports/?region_id={region.id}"' in html
    html = client.get(f"/admin/reports/?region_id={region.id}").get_data(as_text=True)
    district = by_code(District, "GB-LEN")
    assert f'href="/admin/reports/?district_id={district.id}"' in html
    assert [row[0] for row in screen(html)[1]] == ["GB-LEN", "GB-OKT", "GB-PER", "GB-SVE"]
    html = client.get(f"/admin/reports/?district_id={district.id}").get_data(as_text=True)
    school = by_code(School, "GB-LEN-039")
    assert f'href="/admin/reports/?school_id={school.id}"' in html
    html = client.get(f"/admin/reports/?school_id={school.id}").get_data(as_text=True)
    assert "Whole country" in html and "Class-sets" in html  # the trail back up, the school's class-sets
    # A school's rows are its languages, named (a language code is no word for a reader, issue 16).
    assert [row[1] for row in screen(html)[1]] == [LANGUAGE_IN_ENGLISH[row.key]
                                                   for row in build_report(campaign(), "school", school).rows]


def test_a_district_user_sees_its_district_and_schools_and_nothing_else(reports):
    client = client_of(reports, "district")
    own, other = by_code(District, "GB-LEN"), by_code(District, "GO-OSH")
    html = client.get("/admin/reports/").get_data(as_text=True)
    assert "GO-OSH" not in html and "GB-SVE" not in html
    assert client.get(f"/admin/reports/?district_id={own.id}").status_code == 200
    assert client.get(f"/admin/reports/?district_id={other.id}").status_code == 404
    assert client.get(f"/admin/reports/?school_id={by_code(School, 'GO-OSH-084').id}").status_code == 404
    assert client.get(f"/admin/reports/?region_id={by_code(Region, 'GB').id}").status_code == 403
    assert client.get(f"/admin/reports/?school_id={by_code(School, 'GB-LEN-041').id}").status_code == 200
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/admin/reports/export/{fmt}?district_id={other.id}").status_code == 404
        assert client.get(f"/admin/reports/export/{fmt}?school_id={by_code(School, 'GO-OSH-084').id}"
                          ).status_code == 404
        assert client.get(f"/admin/reports/export/{fmt}?region_id={other.region_id}").status_code == 403


def test_a_director_sees_only_its_school(reports):
    client = client_of(reports, "director")
    own, neighbour = by_code(School, "GB-LEN-039"), by_code(School, "GB-LEN-041")
    html = client.get("/admin/reports/").get_data(as_text=True)
    assert "GB-LEN-041" not in html and "/admin/reports/?district_id" not in html
    assert client.get(f"/admin/reports/?school_id={own.id}").status_code == 200
    assert client.get(f"/admin/reports/?school_id={neighbour.id}").status_code == 404
    assert client.get(f"/admin/reports/?school_id=nonsense").status_code == 404
    assert client.get(f"/admin/reports/?district_id={own.district_id}").status_code == 403
    assert client.get(f"/admin/reports/?region_id={by_code(Region, 'GB').id}").status_code == 403
    before = exports_count()
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/admin/reports/export/{fmt}?school_id={neighbour.id}").status_code == 404
        assert client.get(f"/admin/reports/export/{fmt}?district_id={own.district_id}").status_code == 403
    db.session.expire_all()
    assert exports_count() == before  # a refused export records nothing and gives nothing
    # What it may export is its school's report, whatever the URL leaves out.
    rows = list(csv.reader(io.StringIO(client.get("/admin/reports/export/csv").get_data(as_text=True))))
    report = build_report(campaign(), "school", own)
    assert [row[1] for row in rows[2:-1]] == [LANGUAGE_IN_ENGLISH[row.key] for row in report.rows]
    assert {row[0] for row in rows[2:-1]} == {""}


def test_commission_users_have_no_reports(reports):
    client = client_of(reports, "commission")
    assert client.get("/admin/reports/").status_code == 403
    assert client.get("/admin/reports/export/xlsx").status_code == 403
    assert 'href="/admin/reports/"' not in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("role, query", [("ministry", ""), ("ministry", "region"), ("district", ""),
                                         ("director", "")])
def test_the_xlsx_and_the_csv_hold_the_cells_of_the_screen(reports, role, query):
    client = client_of(reports, role)
    if query == "region":
        query = f"region_id={by_code(Region, 'GB').id}"
    header, body, total = screen(client.get(f"/admin/reports/?{query}").get_data(as_text=True))
    before = exports_count()

    response = client.get(f"/admin/reports/export/xlsx?{query}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    rows = as_text(sheet.iter_rows(values_only=True))
    assert rows[1] == header and rows[2:-1] == body and rows[-1] == total
    numbers = list(sheet.iter_rows(min_row=3, values_only=True))
    assert all(isinstance(value, int) for row in numbers for value in row[2:])  # numbers, not text
    days = workbook.worksheets[1]
    assert days.max_row >= 2 and sum(row[1] for row in days.iter_rows(min_row=2, values_only=True)) == int(
        total[header.index("Applications made")])

    response = client.get(f"/admin/reports/export/csv?{query}")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1] == header and rows[2:-1] == body and rows[-1] == total

    db.session.expire_all()
    assert exports_count() == before + 2
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "report")
                               .order_by(AuditEntry.id.desc())).first()
    user = db.session.scalars(select(StaffUser).where(StaffUser.email == LOGINS[role])).one()
    assert entry.actor == f"staff:{user.id}" and entry.entity == "report" and entry.after["format"] == "csv"
    # In the trail of the place exported: a district sees its own exports, a school its own.
    if role == "district":
        assert (entry.district_id, entry.school_id) == (user.district_id, None)
    elif role == "director":
        school = db.session.get(School, user.school_id)
        assert (entry.district_id, entry.school_id) == (school.district_id, school.id)


def test_an_unknown_export_format_is_not_found(reports):
    client = client_of(reports, "ministry")
    assert client.get("/admin/reports/export/pdf").status_code == 404


def test_the_page_reads_in_kyrgyz_and_russian(reports):
    for language, word in (("ky", "Отчеттор"), ("ru", "Отчёты")):
        html = client_of(reports, "ministry", language).get("/admin/reports/").get_data(as_text=True)
        assert word in html
