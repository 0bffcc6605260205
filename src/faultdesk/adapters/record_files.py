"""The record table as files: CSV and .xlsx written row by row, and read back for an import.

Formula injection (OWASP "CSV Injection"; osTicket #3767): a cell that starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would run as a formula in a spreadsheet. Every text cell
goes through ``inert``, which prefixes such a cell with ``'`` as OWASP advises, and the .xlsx
writer stores every text with ``write_string``, never ``write`` (XlsxWriter, like openpyxl, turns
a string that starts with ``=`` into a formula). An import takes the ``'`` off again.

Memory: CSV is produced a batch of lines at a time; XlsxWriter's ``constant_memory`` mode flushes
each row to a temporary file as the next one starts, so neither holds more than a batch.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_ROWS = 1_048_576  # one sheet's rows, the header included
Cell = str | int | None


def inert(text: str) -> str:
    """A text no spreadsheet will run: ``'`` before a formula's first character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def revive(text: str) -> str:
    """What ``inert`` was given (an import reads back what an export wrote)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    return str(cell) if isinstance(cell, int) else inert(cell)


class CsvLines:
    """Rows as the CSV file's lines (CRLF-ended, every text ``inert``): the one way a row is put in CSV."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def line(self, row: list[Cell]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow([_csv_cell(c) for c in row])
        return self._buffer.getvalue()


def cells_of_line(line: str, numbers: frozenset[int]) -> list[Cell]:
    """A ``CsvLines`` line's cells again: the columns at ``numbers`` as numbers, an empty cell as None
    (its texts stay ``inert``; ``inert`` leaves an inert text as it is)."""
    texts = next(csv.reader((line,)))
    return [None if not text else int(text) if i in numbers else text for i, text in enumerate(texts)]


def csv_chunks(header: list[str], batches: Iterable[list[list[Cell] | str]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel then reads the Chinese right), CRLF lines, a chunk a batch of rows.
    A row is its cells, or its line as ``CsvLines`` wrote it (the record table's kept lines)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([inert(h) for h in header])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    write, writerow = buffer.write, writer.writerow
    for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            if isinstance(row, str):
                write(row)
            else:
                writerow([_csv_cell(c) for c in row])
        if rows:
            yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    target: str | Path | IO[bytes],
    header: list[str],
    widths: list[int],
    rows: Iterable[list[Cell]],
    *,
    sheet_name: str,
    continued_note: str,
    on_rows: Callable[[int], None] | None = None,
    every: int = 5000,
    sheet_rows: int = EXCEL_ROWS,
) -> int:
    """Write the rows, a frozen bold header and the column widths on each sheet; past a sheet's
    ``sheet_rows`` (Excel's 1,048,576) the rows go on to a second sheet, and a last sheet says so.
    ``on_rows(n)`` is told the count every ``every`` rows. Answers the rows written."""
    book = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "in_memory": False}
    )
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    sheets = 0

    def new_sheet() -> xlsxwriter.worksheet.Worksheet:
        nonlocal sheets
        sheets += 1
        sheet = book.add_worksheet(sheet_name if sheets == 1 else f"{sheet_name} ({sheets})")
        for i, width in enumerate(widths):
            # Widths only: a column format puts its style on every cell written (a fifth of the
            # writer's time at a million rows), and the cells read as well in the default style.
            sheet.set_column(i, i, width)
        for i, title in enumerate(header):
            sheet.write_string(0, i, inert(title), bold)
        sheet.freeze_panes(1, 0)
        return sheet

    sheet = new_sheet()
    line = 0  # the sheet's last row written (0: the header)
    done = 0
    for row in rows:
        if line + 1 >= sheet_rows:
            sheet = new_sheet()
            line = 0
        line += 1
        for col, cell in enumerate(row):
            if cell is None:
                continue
            if isinstance(cell, int):
                sheet.write_number(line, col, cell)
            else:
                sheet.write_string(line, col, inert(cell))
        done += 1
        if on_rows is not None and done % every == 0:
            on_rows(done)
    if sheets > 1:
        note = book.add_worksheet("说明 Notes")
        note.set_column(0, 0, 100)
        note.write_string(0, 0, inert(continued_note.format(sheets=sheets, per_sheet=sheet_rows - 1)))
    book.close()
    if on_rows is not None:
        on_rows(done)
    return done


class TooLarge(ValueError):
    """An .xlsx that unpacks to more than the caller allows (a zip bomb, or simply too big)."""


def read_sheets(
    name: str, data: IO[bytes], *, max_unpacked: int | None = None
) -> Iterator[tuple[str, Iterator[list[str]]]]:
    """Each sheet of an uploaded table as rows of text (a CSV is one sheet): (sheet, rows).
    ``max_unpacked``: an .xlsx whose parts unpack to more bytes than this is refused unread (the
    sizes the zip declares bound what its reader inflates)."""
    if name.lower().endswith(".xlsx"):
        import openpyxl  # read_only: row by row, the sheet never held whole

        if max_unpacked is not None:
            with zipfile.ZipFile(data) as packed:
                unpacked = sum(info.file_size for info in packed.infolist())
            data.seek(0)
            if unpacked > max_unpacked:
                raise TooLarge(f"unpacks to {unpacked} bytes, more than {max_unpacked}")
        book = openpyxl.load_workbook(data, read_only=True, data_only=False)
        try:
            for sheet in book.worksheets:
                yield sheet.title, ([revive(_text(v)) for v in values] for values in sheet.iter_rows(values_only=True))
        finally:
            book.close()
        return
    text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    try:
        yield "csv", ([revive(c) for c in row] for row in csv.reader(text))
    finally:
        text.detach()  # the caller's file stays the caller's to close


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
