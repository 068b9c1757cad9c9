"""Streaming the rows of one CSV file, checked value by value.

Nothing here holds a whole file: rows are yielded one at a time to the
staging writer, and only the problems are kept.
"""
import csv

from flask_babel import gettext as _

from portal.importer.spec import ORDER, FieldError, check_row


class Problems:
    """The errors found so far, each `file:line: reason`, reported in file order."""

    def __init__(self):
        self._items = []
        self._rank = {name: rank for rank, name in enumerate(ORDER)}

    def add(self, file, line, reason):
        self._items.append((self._rank.get(file, len(ORDER)), line, len(self._items), f"{file}:{line}: {reason}"))

    def __bool__(self):
        return bool(self._items)

    def __len__(self):
        return len(self._items)

    def lines(self):
        return [item[3] for item in sorted(self._items)]


def _decoded_lines(handle, file, problems, state):
    """Physical lines as text; stops at the first line that is not UTF-8.

    Decoding line by line (not in blocks) is what lets a decoding error name
    its line.
    """
    for number, raw in enumerate(handle, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.add(file, number, _("the line is not valid UTF-8"))
            state["broken"] = True
            return
        if number == 1 and text.startswith("\ufeff"):  # a byte-order mark from spreadsheets
            text = text[1:]
        if "\x00" in text:
            # PostgreSQL cannot store it (COPY fails with a traceback); reported
            # here, and the rest of the line is still checked without it.
            problems.add(file, number, _("the line contains a NUL character"))
            text = text.replace("\x00", "")
        yield text


def read_rows(path, spec, problems):
    """Yield `(line, value, ...)` for every row of the file with the right number of fields.

    A value that fails its check is reported and staged as NULL, so that the
    rest of the row (its key above all) still takes part in the duplicate and
    reference checks; nothing is imported while any problem stands.
    """
    file = spec.name
    state = {"broken": False}
    with open(path, "rb") as handle:
        reader = csv.reader(_decoded_lines(handle, file, problems, state), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as error:
            problems.add(file, 1, _("the header row is not valid CSV: %(error)s", error=str(error)))
            return
        if header is None:
            if not state["broken"]:
                problems.add(file, 1, _("the file is empty; a header row is expected"))
            return
        header = [name.strip() for name in header]
        missing = [column.name for column in spec.columns if column.name not in header and not column.may_be_absent]
        for name in missing:
            problems.add(file, 1, _("the header has no column %(column)s", column=name))
        for name in sorted({name for name in header if header.count(name) > 1}):
            problems.add(file, 1, _("the header names the column %(column)s twice", column=name))
        if missing:
            return

        names = [column.name for column in spec.columns]
        converters = [(header.index(column.name) if column.name in header else None, column.converter())
                      for column in spec.columns]
        width = len(header)
        checks_row = spec.name in ("staff.csv", "registry_links.csv")
        last = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                problems.add(file, last + 1, _("the row is not valid CSV: %(error)s", error=str(error)))
                return
            line, last = last + 1, reader.line_num
            if not row:
                continue  # a blank line
            if len(row) != width:
                problems.add(
                    file, line,
                    _("the row has %(found)d fields, the header has %(expected)d",
                      found=len(row), expected=width),
                )
                continue
            values = [line]
            for position, convert in converters:
                try:
                    values.append(convert(row[position].strip() if position is not None else ""))
                except FieldError as error:
                    problems.add(file, line, str(error))
                    values.append(None)
            if checks_row:
                for reason in check_row(file, dict(zip(names, values[1:]))):
                    problems.add(file, line, reason)
            yield tuple(values)
