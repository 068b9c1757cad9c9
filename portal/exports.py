"""Cells of every CSV and XLSX file the portal hands out, made safe to open.

A spreadsheet program reads a text cell that starts with `=`, `+`, `-` or `@`
as a formula (and, from a CSV, one that starts with a tab or a carriage return
too, once it trims them): an appeal's text `=cmd|' /C calc'!A0` or a school
named `=HYPERLINK("https://...", "open")` would run, or leak the sheet, on the
computer of the district officer who opens the export (CWE-1236, OWASP "CSV
Injection"). So every text cell of every export goes through `safe_cell`,
which puts an apostrophe before such a text: the spreadsheet then shows the
text as it was typed (the apostrophe is the spreadsheets' own "this is text"
mark) and evaluates nothing. Numbers, dates and empty cells are left alone: a
number is never a formula. The exports that use it: the staff portal's CSV
exports of every list (`admin.scoping.ScopedModelView.get_export_value`), the
reports' CSV and XLSX (`portal.reports.tables`) and the XLSX files of the users
view (`admin.spreadsheets.xlsx_response`). The enrolment order is a PDF or a
DOCX, whose text a word processor never evaluates.
"""
from datetime import date, datetime
from decimal import Decimal

# What a spreadsheet may take as the start of a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as an export cell: numbers, dates and None as they are, any other
    value as text, with an apostrophe before a text that could start a formula."""
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(values):
    return [safe_cell(value) for value in values]
