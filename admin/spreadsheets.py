"""Tables in and out of the portal: uploaded CSV or XLSX files read as rows, and
XLSX downloads (openpyxl)."""
import csv
import io
import unicodedata
import zipfile
from urllib.parse import quote

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from werkzeug.utils import secure_filename

from portal.exports import safe_row

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5000  # a district's schools or a school's addresses, with room to spare
MAX_COLUMNS = 50  # the tables have two or three columns; the rest is never read
# A spreadsheet bomb (issue 15, item 7): a 700 KB XLSX can hold two million rows
# (132 s and 740 MB to read). An XLSX is a ZIP whose members' sizes are written
# in its directory, and Python's zipfile never inflates a member past its written
# size, so the sum of those sizes bounds what openpyxl may read. openpyxl reads a
# sheet without a <dimension> through to its end before the first row (about
# 0.4 s per MB), so the cap is small: 5,000 rows of a few cells are well under
# 1 MB of XML as Excel or LibreOffice writes them. openpyxl parses through
# defusedxml (a dependency), so entity expansion is refused too.
MAX_XLSX_UNCOMPRESSED = 5 * 1024 * 1024
MAX_XLSX_MEMBERS = 200


class TableError(ValueError):
    """An upload that cannot be read as a table; the message says why."""


def read_table(upload, required):
    """[(line number, {column: text})] of an uploaded CSV (UTF-8) or XLSX file.

    The first row names the columns; every column of `required` must be there.
    Line numbers are those a person sees in the file (the header is line 1).
    Reading stops past MAX_ROWS rows: a larger file is refused, not read.
    """
    name = (upload.filename or "").lower()
    data = upload.read()
    if name.endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableError(_("The file is not UTF-8 text: save it as CSV UTF-8 or as XLSX.")) from None
        rows = csv.reader(io.StringIO(text))
    return rows_with_header(rows, required)


def rows_with_header(rows, required):
    """`rows` (any iterable: it is read only up to the row limit) as a table."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise TableError(_("The file is empty."))
    header = [str(cell or "").strip().lower() for cell in first]
    missing = [column for column in required if column not in header]
    if missing:
        raise TableError(_("Columns missing in the first row: %(columns)s", columns=", ".join(missing)))
    table = []
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise TableError(_("At most %(count)d rows at a time.", count=MAX_ROWS))
        cells = [str(cell).strip() if cell is not None else "" for cell in row]
        if not any(cells):
            continue
        table.append((number, dict(zip(header, cells + [""] * (len(header) - len(cells))))))
    return table


def _xlsx_rows(data):
    """The rows of the first sheet, lazily (read only as far as they are asked for)."""
    unreadable = _("The file is not a readable XLSX workbook.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise TableError(unreadable) from None
    if len(members) > MAX_XLSX_MEMBERS or sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED:
        raise TableError(_("The workbook is too large once unpacked: at most %(count)d rows at a time.",
                           count=MAX_ROWS))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same answer
        raise TableError(unreadable) from None
    return _guarded(rows, unreadable)


def _guarded(rows, unreadable):
    """openpyxl parses as it goes: a broken part further in is the same answer."""
    try:
        yield from (list(row) for row in rows)
    except Exception:  # noqa: BLE001
        raise TableError(unreadable) from None


def attachment(download_name):
    """Content-Disposition of a download named in the user's language: an ASCII
    name for old clients, the whole name (Cyrillic included) as RFC 6266 says."""
    fallback = secure_filename(unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode())
    quoted = quote(download_name, safe="")
    return f"attachment; filename=\"{fallback or 'export'}\"; filename*=UTF-8''{quoted}"


def csv_response(filename, header, rows):
    """A CSV download that Excel opens as UTF-8 (a byte order mark first: without
    it Excel on Windows reads the Cyrillic as mojibake), every cell made safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(safe_row(str(cell) for cell in header))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in safe_row(row)])
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": attachment(filename), "Cache-Control": "no-store"})


def xlsx_response(filename, header, rows):
    """An XLSX download of one sheet: a bold header row, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(safe_row(str(cell) for cell in header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(safe_row(row))
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 80)
    out = io.BytesIO()
    workbook.save(out)
    return Response(out.getvalue(), mimetype=XLSX_MIME, headers={
        "Content-Disposition": attachment(filename),
        "Cache-Control": "no-store",  # one-time links: never kept by a cache
    })

