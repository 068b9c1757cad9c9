"""Issue 16, item 4: exports a Kyrgyz school opens in Excel, and the same number
wherever a figure appears.

- A child's place in the school's order is one figure (portal.admission.order):
  the director's list, the details page, the export and the parent's answer say
  the same number, cancelled applications not counted.
- Exports: XLSX, and CSV with a UTF-8 byte order mark; words of the user's
  language (yes/no, statuses, sex), dates as dd.mm.yyyy; named after the school
  or district and the local date.
- Free seats: the reports page and the public statistics show the same total,
  with a school that does not take part holding seats (none of them free)."""
import csv
import io
import re
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.admission import applications, campaigns, order
from portal.extensions import db
from portal.models import Application, ApplicationEvent, School, SeatPool
from portal.reports.open_statistics import free_seat_statistics
from tests.staff import STAFF, marker
from tests.admin.test_admin_pages import signed_in


@pytest.fixture
def queue(world, portal):
    """Two applications before A's in its school's order (Kyrgyz), the first cancelled:
    A's pool counter says 900, its place is 2."""
    child = db.session.scalars(select(Application).where(Application.number == marker("A", "Number"))).one()
    for queue_no, active in ((1, False), (2, True)):
        earlier = Application(
            number=f"EARLIER-{queue_no}", campaign_id=child.campaign_id, applicant_id=child.applicant_id,
            school_id=child.school_id, language=child.language, stage=1, status="registered" if active else "cancelled",
            is_active=active, queue_no=queue_no, child_pin=f"2999999999980{queue_no}", child_last_name="Асанова",
            child_first_name="Айгүл", child_sex="F", child_birth_date=child.child_birth_date)
        db.session.add(earlier)
        db.session.add(ApplicationEvent(application=earlier, status=earlier.status, by="applicant"))
    db.session.commit()
    return child


def _cell(listing, number, column):
    row = next(row for row in re.findall(r"(?s)<tr>(.*?)</tr>", listing) if number in row)
    return re.search(rf'(?s)<td class="col-{column}">\s*(.*?)\s*</td>', row).group(1)


def _csv_rows(response):
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff"), "no byte order mark: Excel would garble the Cyrillic"
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_childs_place_is_the_same_in_the_list_the_details_the_export_and_the_parents_answer(queue, portal):
    child = queue
    assert order.position(child) == applications.position(child) == 2  # the parent's page and the API
    client = signed_in(portal, STAFF["director_a"], "ru")
    listing = client.get("/admin/application/").get_data(as_text=True)
    assert _cell(listing, child.number, "place") == "2"
    details = client.get(f"/admin/application/details/?id={child.id}").get_data(as_text=True)
    assert re.search(r"(?s)<td>\s*2\s*</td>", details) and ": 2</p>" in details
    rows = _csv_rows(client.get("/admin/application/export/csv/"))
    place = rows[0].index("Место в очереди")
    assert next(row for row in rows if row[0] == child.number)[place] == "2"
    cancelled = next(row for row in rows if row[0] == "EARLIER-1")
    assert cancelled[place] == ""  # no place: it is not in the order any more


def test_the_list_sorted_by_place_follows_the_order(queue, portal):
    client = signed_in(portal, STAFF["director_a"], "ru")
    listing = client.get("/admin/application/", query_string={"sort": 9}).get_data(as_text=True)
    numbers = [n for n in re.findall(r"EARLIER-\d|MkANumber", listing)]
    assert numbers.index("EARLIER-1") < numbers.index("EARLIER-2") < numbers.index("MkANumber")


def test_the_application_export_speaks_the_users_language(queue, portal):
    client = signed_in(portal, STAFF["director_a"], "ky")
    response = client.get("/admin/application/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _csv_rows(response)
    row = dict(zip(rows[0], next(row for row in rows if row[0] == queue.number)))
    assert row["Туулган күнү"] == "10.05.2019"
    assert row["Квотадан тышкары"] == "Ооба" and row["Мыйзамдуу өкүл"] == "Жок"
    assert row["Жынысы"] == "Уул"
    assert row["Абалы"] == "Катталган"
    for value in row.values():
        assert value not in ("True", "False", "None", "registered", "M", "F", "ky"), row


def test_the_xlsx_export_has_the_same_rows_and_names_the_school_and_the_local_date(queue, portal):
    client = signed_in(portal, STAFF["director_a"], "ru")
    response = client.get("/admin/application/export/xlsx/")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    csv_rows = _csv_rows(client.get("/admin/application/export/csv/"))
    assert [str(cell) if cell is not None else "" for cell in rows[0]] == csv_rows[0]
    assert len(rows) == len(csv_rows)
    disposition = response.headers["Content-Disposition"]
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    school = db.session.scalars(select(School).where(School.code == STAFF["school_a"])).one()
    # 20.03.2026 12:00 in Bishkek (the frozen clock), the school by its code and Russian name.
    assert name == f"Заявления {school.code} {school.name_ru} 20.03.2026.xlsx", name


def test_a_district_export_is_named_after_the_district(world, portal):
    client = signed_in(portal, STAFF["district_a"], "ky")
    disposition = client.get("/admin/appeal/export/csv/").headers["Content-Disposition"]
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert re.fullmatch(r".+ .+ 20\.03\.2026\.csv", name) and "Ленин" in name, name


def test_the_reports_page_and_the_public_statistics_show_the_same_free_seats(world, portal):
    """The ministry report counted a school that does not take part as free seats (1,685
    against 1,660): both now read seats.free_seats_sql()."""
    school = db.session.scalars(select(School).join(SeatPool, SeatPool.school_id == School.id)
                                .where(SeatPool.seats > SeatPool.taken).order_by(School.code)).first()
    school.participates = False
    db.session.commit()
    client = signed_in(portal, STAFF["ministry"], "en")
    page = client.get("/admin/reports/").get_data(as_text=True)
    by_language = re.findall(r"<th>Free seats: [^<]+</th><td[^>]*>([\d\s,\u202f\xa0]+)</td>", page)
    report_free = sum(int(re.sub(r"\D", "", value)) for value in by_language)
    statistics = free_seat_statistics(campaigns.current_campaign())
    assert by_language and report_free == statistics.nation.total.free
    public = portal.test_client().get("/statistics").get_data(as_text=True)
    assert f"{statistics.nation.total.free:,}".replace(",", "\u202f") in public or \
        str(statistics.nation.total.free) in re.sub(r"[\s\u202f\xa0,]", "", public)


def test_a_report_export_is_named_after_the_place_and_the_local_date(world, portal):
    client = signed_in(portal, STAFF["district_a"], "ru")
    for fmt in ("csv", "xlsx"):
        disposition = client.get(f"/admin/reports/export/{fmt}").headers["Content-Disposition"]
        name = unquote(disposition.split("filename*=UTF-8''")[1])
        assert name.startswith("Отчёт 2026") and name.endswith(f" 20.03.2026.{fmt}") and "Ленин" in name, name
