"""A report as a table: the one list of columns that the screen, the CSV and the
XLSX all use, so that the three show the same figures in the same order."""
import csv
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.exports import safe_row
from portal.labels import LANGUAGE


@dataclass(frozen=True)
class Column:
    key: str  # a Figures field, or "free:<language>"
    label: object
    group: object


SEATS, STAGES, CATEGORIES, CHILDREN, DOCUMENTS, ENDED = (
    _l("Quota and seats"), _l("Stage"), _l("Category"), _l("Children"), _l("Documents"), _l("Ended"))

# The columns before the free seats of each language, then those after them.
HEAD = (
    Column("class_sets", _l("Class-sets"), SEATS),
    Column("seats", _l("Quota (seats)"), SEATS),
    Column("registered", _l("Registered"), SEATS),
    Column("within_quota", _l("Within the quota"), SEATS),
    Column("over_quota", _l("Over the quota"), SEATS),
    Column("free", _l("Free seats"), SEATS),
)
TAIL = (
    Column("stage1", _l("Stage 1"), STAGES),
    Column("stage2", _l("Stage 2"), STAGES),
    Column("normal", _l("Normal flow"), CATEGORIES),
    Column("twin", _l("Twins"), CATEGORIES),
    Column("teacher", _l("Teachers' children"), CATEGORIES),
    Column("commission", _l("By commission decision"), CATEGORIES),
    Column("other_category", _l("Other categories"), CATEGORIES),
    Column("representative", _l("Registered by a legal representative"), CATEGORIES),
    Column("girls", _l("Girls"), CHILDREN),
    Column("boys", _l("Boys"), CHILDREN),
    Column("documents_received", _l("Documents received"), DOCUMENTS),
    Column("documents_awaiting", _l("Documents awaited"), DOCUMENTS),
    Column("documents_missing", _l("Documents not submitted (seat released)"), DOCUMENTS),
    Column("cancelled", _l("Cancelled"), ENDED),
    Column("transferred", _l("Transferred to a special school"), ENDED),
    Column("applications", _l("Applications made"), ENDED),
)
ROW_LABEL = {"region": _l("Region"), "district": _l("District"), "school": _l("School"),
             "language": _l("Language of instruction")}


def columns(report):
    free = tuple(Column(f"free:{language}", _l("Free seats: %(language)s", language=LANGUAGE[language]), SEATS)
                 for language in report.languages)
    tail = TAIL
    if not report.total.other_category and not set(report.campaign.categories or ()) - {"teacher", "twin"}:
        tail = tuple(column for column in TAIL if column.key != "other_category")
    return HEAD + free + tail


def value(figures, key):
    if key.startswith("free:"):
        return figures.free_by_language.get(key[5:], 0)
    return getattr(figures, key)


def row_name(report, row):
    return str(LANGUAGE[row.key]) if report.row_level == "language" else row.name


def table(report):
    """(header, body rows, total row): plain values, labels as text."""
    cols = columns(report)
    header = [str(_l("Code")), str(ROW_LABEL[report.row_level])] + [str(column.label) for column in cols]
    # A school's rows are its languages: the name says it, a language code would not (issue 16).
    body = [["" if report.row_level == "language" else row.code, row_name(report, row)]
            + [value(row.figures, column.key) for column in cols] for row in report.rows]
    total = ["", str(_l("Total"))] + [value(report.total, column.key) for column in cols]
    return header, body, total


def to_csv(report, title):
    header, body, total = table(report)
    out = io.StringIO()
    writer = csv.writer(out)
    # Every cell through safe_row: a school's name can start a formula (portal/exports.py).
    writer.writerow(safe_row([title]))
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in body)
    writer.writerow(safe_row(total))
    # A byte-order mark, so that spreadsheet programs read the Cyrillic names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report, title, progress=()):
    header, body, total = table(report)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_l("Report"))[:31]
    sheet.append(safe_row([title]))
    sheet["A1"].font = Font(bold=True)
    sheet.append(safe_row(header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in body:
        sheet.append(safe_row(row))
    sheet.append(safe_row(total))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C3"
    sheet.column_dimensions["B"].width = 36
    if progress:
        days = workbook.create_sheet(str(_l("By day"))[:31])
        days.append(safe_row([str(_l("Day")), str(_l("Applications made")), str(_l("Cancelled")),
                     str(_l("Applications made so far"))]))
        for day in progress:
            days.append(safe_row([day.day, day.new, day.cancelled, day.cumulative]))
            days.cell(row=days.max_row, column=1).number_format = "DD.MM.YYYY"
        for cell in days[1]:
            cell.font = Font(bold=True)
        days.column_dimensions["A"].width = 12
        for cell in days["A"][1:]:
            cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
