"""Read the tables ops keep (CSV or Excel .xlsx) as (row number, {column: cell text}).

Row numbers are the ones a person sees in Excel: the header is row 1, the first data row is
row 2 (a quoted CSV cell spanning several lines still counts as one row). Blank rows are
skipped but keep their number. Headers are stripped and lower-cased, so `Code ` and `code` are
the same column. Cells are stripped text; Excel dates become ISO dates (`2026-01-05`), whole
numbers lose their `.0` (a phone number typed into a numeric cell stays a phone number).

CSV files are decoded as UTF-8 (with or without the BOM Excel writes) and, failing that, as
GB18030: what a Chinese Excel's "CSV" export produces.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Collection, Iterator
from datetime import date, datetime, time
from pathlib import Path

from careops.errors import CareopsError

Row = tuple[int, dict[str, str]]

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


def read_table(path: Path, *, required: Collection[str] = ()) -> Iterator[Row]:
    """Yield (row number, {header: cell text}) for every non-blank data row of `path`.

    Raises CareopsError naming the file for an unknown extension, an unreadable or empty file,
    duplicate headers, or missing `required` columns (all missing ones are named) — as a
    generator, when iteration starts, i.e. before the first row is yielded.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        lines = _csv_lines(path)
    elif suffix == ".xlsx":
        lines = _xlsx_lines(path)
    else:
        raise CareopsError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    yield from _rows(path, lines, required)


def _rows(path: Path, lines: Iterator[list[str]], required: Collection[str]) -> Iterator[Row]:
    try:
        header = next(lines)
    except StopIteration:
        raise CareopsError(f"{path}: the file is empty (expected a header row)") from None
    columns = [cell.strip().lower() for cell in header]
    named = [c for c in columns if c]
    duplicates = sorted({c for c in named if named.count(c) > 1})
    if duplicates:
        raise CareopsError(f"{path}: duplicate column(s) in the header: {', '.join(duplicates)}")
    missing = [c for c in required if c not in named]
    if missing:
        raise CareopsError(f"{path}: missing required column(s): {', '.join(missing)}")
    for number, cells in enumerate(lines, start=2):
        values = [cell if isinstance(cell, UnsavedFormula) else cell.strip() for cell in cells]
        if not any(values):
            continue
        values += [""] * (len(columns) - len(values))
        yield number, {c: v for c, v in zip(columns, values, strict=False) if c}


def _csv_lines(path: Path) -> Iterator[list[str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CareopsError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    text = _decode(path, data)
    return iter(csv.reader(io.StringIO(text, newline="")))


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise CareopsError(
            f"{path}: not a UTF-8 or GB18030 text file (undecodable byte at offset {exc.start})"
        ) from None


class UnsavedFormula(str):
    """A cell holding a formula whose value was never saved (a file written by a script, not
    by Excel): its text is the formula, `cell` its reference (D3). Importers reject the row
    naming the cell rather than read the cell as blank."""

    cell: str

    def __new__(cls, formula: str, cell: str) -> UnsavedFormula:
        self = super().__new__(cls, formula)
        self.cell = cell
        return self


def _xlsx_lines(path: Path) -> Iterator[list[str]]:
    # Imported lazily: openpyxl is slow to import and only .xlsx files need it.
    from openpyxl import load_workbook

    try:
        # the saved values, and (streamed alongside) the formulas, to tell an empty cell
        # from a formula without a saved value
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except FileNotFoundError:
        raise CareopsError(f"{path}: the file does not exist") from None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CareopsError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    return _sheet_lines(values, formulas)


def _sheet_lines(values_book, formulas_book) -> Iterator[list[str]]:
    from openpyxl.utils import get_column_letter

    try:
        sheets = [book.worksheets[0] for book in (values_book, formulas_book)]
        for sheet in sheets:
            sheet.reset_dimensions()  # some writers store wrong dimensions; read what is there
        rows = zip(*(sheet.iter_rows(values_only=True) for sheet in sheets), strict=False)
        for number, (values, formulas) in enumerate(rows, start=1):
            line = []
            for index, value in enumerate(values):
                formula = formulas[index] if index < len(formulas) else None
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    line.append(UnsavedFormula(formula, f"{get_column_letter(index + 1)}{number}"))
                else:
                    line.append(cell_text(value))
            yield line
    finally:
        values_book.close()
        formulas_book.close()


def cell_text(value: object) -> str:
    """The text of one Excel cell value, the way a person reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_writable(path: Path) -> None:
    """CareopsError naming `path` if a file cannot be written there (checked, then left as it
    was: a file that did not exist is not created)."""
    path = Path(path)
    if path.is_dir():
        raise CareopsError(f"{path}: is a directory, not a file to write")
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise CareopsError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    if not existed:
        path.unlink(missing_ok=True)

