"""Tables in and out of the portal: uploaded CSV or XLSX files read as rows, and
XLSX downloads (openpyxl)."""
import csv
import io

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from werkzeug.utils import secure_filename

from portal.exports import safe_row

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5000  # a district's schools or a school's addresses, with room to spare


class TableError(ValueError):
    """An upload that cannot be read as a table; the message says why."""


def read_table(upload, required):
    """[(line number, {column: text})] of an uploaded CSV (UTF-8) or XLSX file.

    The first row names the columns; every column of `required` must be there.
    Line numbers are those a person sees in the file (the header is line 1).
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
        rows = list(csv.reader(io.StringIO(text)))
    return rows_with_header(rows, required)


def rows_with_header(rows, required):
    if not rows:
        raise TableError(_("The file is empty."))
    header = [str(cell or "").strip().lower() for cell in rows[0]]
    missing = [column for column in required if column not in header]
    if missing:
        raise TableError(_("Columns missing in the first row: %(columns)s", columns=", ".join(missing)))
    if len(rows) - 1 > MAX_ROWS:
        raise TableError(_("At most %(count)d rows at a time.", count=MAX_ROWS))
    table = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [str(cell).strip() if cell is not None else "" for cell in row]
        if not any(cells):
            continue
        table.append((number, dict(zip(header, cells + [""] * (len(header) - len(cells))))))
    return table


def _xlsx_rows(data):
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable file gets the same answer
        raise TableError(_("The file is not a readable XLSX workbook.")) from None
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


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
        "Content-Disposition": f"attachment; filename={secure_filename(filename)}",
        "Cache-Control": "no-store",  # one-time links: never kept by a cache
    })

