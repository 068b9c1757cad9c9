"""Spreadsheet bombs (issue 15, item 7; ASVS 12.1.2, 5.2.x): a small XLSX that
unpacks to millions of rows, posted to the microdistrict import and to the
staff provisioning upload, is refused at once, before or while openpyxl reads
it, and nothing is imported. A CSV past the row limit the same."""
import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from admin import spreadsheets
from portal.extensions import db
from portal.models import MicrodistrictAddress, StaffUser
from tests.staff import STAFF, sign_in

SHEET = "xl/worksheets/sheet1.xml"


def xlsx_bomb(rows, header=("school_code", "address_id")):
    """A valid workbook whose first sheet has `rows` rows after the header,
    streamed into the ZIP (deflated, so a few hundred KB on the wire)."""
    template = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(list(header))
    workbook.save(template)
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != SHEET:
                target.writestr(member, source.read(member))
        info = zipfile.ZipInfo(SHEET)
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
                        b'.org/spreadsheetml/2006/main"><sheetData>')
            sheet.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + header[0].encode() + b'</t></is></c>'
                        b'<c r="B1" t="inlineStr"><is><t>' + header[1].encode() + b'</t></is></c>'
                        + (b'<c r="C1" t="inlineStr"><is><t>' + header[2].encode() + b'</t></is></c>'
                           if len(header) > 2 else b"") + b'</row>')
            # Rows and cells without references (they are optional) compress best.
            row = b'<row><c t="inlineStr"><is><t>X</t></is></c></row>'
            for start in range(0, rows, 10000):
                sheet.write(row * min(10000, rows - start))
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


class Upload(io.BytesIO):
    def __init__(self, data, filename):
        super().__init__(data)
        self.filename = filename


def test_two_million_rows_are_refused_before_openpyxl_parses_them():
    bomb = xlsx_bomb(2_000_000)
    assert len(bomb) < 2 * 1024 * 1024  # small on the wire
    started = time.perf_counter()
    with pytest.raises(spreadsheets.TableError):
        spreadsheets.read_table(Upload(bomb, "bomb.xlsx"), ("school_code", "address_id"))
    assert time.perf_counter() - started < 5


def test_reading_stops_at_the_row_limit_within_the_size_cap(monkeypatch):
    """Rows small enough to stay under the unpacked cap: openpyxl hands over one
    row past the limit and no more (all 90,000 used to be read into a list)."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    bomb = xlsx_bomb(90_000)
    assert sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) < spreadsheets.MAX_XLSX_UNCOMPRESSED
    handed_over = []
    rows_of = ReadOnlyWorksheet._cells_by_row

    def counted(*args, **kwargs):
        for row in rows_of(*args, **kwargs):
            handed_over.append(1)
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", counted)
    with pytest.raises(spreadsheets.TableError) as refused:
        spreadsheets.read_table(Upload(bomb, "many.xlsx"), ("school_code", "address_id"))
    assert "5000" in str(refused.value)
    assert len(handed_over) <= spreadsheets.MAX_ROWS + 2


def test_a_csv_past_the_row_limit_is_refused_and_one_within_it_is_read():
    header = "school_code,address_id\n"
    with pytest.raises(spreadsheets.TableError):
        spreadsheets.read_table(Upload((header + "A,1\n" * 5001).encode(), "a.csv"), ("school_code", "address_id"))
    rows = spreadsheets.read_table(Upload((header + "A,1\n" * 5000).encode(), "a.csv"), ("school_code", "address_id"))
    assert len(rows) == 5000 and rows[-1] == (5001, {"school_code": "A", "address_id": "1"})


def test_a_zip_that_is_no_workbook_and_a_broken_sheet_are_refused_as_unreadable():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as target:
        target.writestr("hello.txt", "hi")
    for data in (archive.getvalue(), b"PK\x03\x04 broken", xlsx_bomb(3)[:-200]):
        with pytest.raises(spreadsheets.TableError):
            spreadsheets.read_table(Upload(data, "x.xlsx"), ("school_code", "address_id"))


@pytest.mark.parametrize(("url", "email", "data", "header", "counted"), [
    ("/admin/microdistrict/import/", STAFF["district_a"], {"reason": "probe"}, ("school_code", "address_id"),
     MicrodistrictAddress),
    ("/admin/staff_user/provision/", STAFF["district_a"], {"role": "director", "rows": ""},
     ("email", "full_name", "scope"), StaffUser),
])
def test_the_uploads_of_the_portal_refuse_a_bomb_quickly_and_import_nothing(portal, url, email, data, header,
                                                                             counted):
    client = portal.test_client()
    client.get("/lang/en")
    sign_in(client, email)
    before = db.session.scalar(select(func.count()).select_from(counted))
    started = time.perf_counter()
    response = client.post(url, content_type="multipart/form-data",
                           data={**data, "file": (io.BytesIO(xlsx_bomb(2_000_000, header)), "bomb.xlsx")})
    assert time.perf_counter() - started < 5
    assert response.status_code in (200, 422) and "too large" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(counted)) == before
