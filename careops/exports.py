"""Write the tables people open in Excel (CSV or XLSX), with customer text kept as text.

Text a customer or an import typed can start like a formula (`=HYPERLINK(...)`,
`+cmd|' /C calc'!A0`, `@SUM(...)`): written as is, Excel runs it (CSV/formula injection,
OWASP). Every CSV and XLSX careops writes goes through this module:

- XLSX: every text cell is stored as a string with Excel's quote prefix, so it shows exactly
  what was typed and stays text even when someone edits the cell;
- CSV: the format has no types, so a formula-leading value gets a leading `'` (OWASP's
  advice); files are UTF-8 with a BOM, so Excel on a Chinese Windows reads the Chinese text.

Numbers, dates and booleans are written as such; only text is ever neutralised.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from careops.errors import CareopsError

# OWASP's list (= + - @ tab CR), line feed, and the full-width forms a Chinese IME types,
# which Excel also accepts as the start of a formula.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_UNSAFE_XML = re.compile(r"[\x00-\x08\x0b-\x0d\x0e-\x1f]")  # what XML 1.0 drops, and CR


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula (leading spaces are skipped)."""
    stripped = text.lstrip(" ")
    return bool(stripped) and (stripped[0] in FORMULA_TRIGGERS or text[0] in FORMULA_TRIGGERS)


def csv_cell(value: object) -> object:
    """A CSV cell value: formula-leading text gets a leading `'`; other values unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A whole CSV file (UTF-8 with BOM), every cell neutralised."""
    buffer = io.StringIO(newline="")
    _write_csv(buffer, header, rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(
    title: str,
    header: Sequence[str],
    rows: Iterable[Iterable[object]],
    *,
    widths: Sequence[float] = (),
) -> bytes:
    """A one-sheet workbook: a bold, frozen header row, then `rows`; text cells stay text."""
    from openpyxl import Workbook  # imported lazily: slow to import, only exports need it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: object, font: Font | None = None) -> object:
        if not isinstance(value, str):
            return value  # numbers, dates, None: openpyxl writes them typed
        # XML cannot hold most control characters and reads a CR as a line feed anyway
        if _UNSAFE_XML.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
        if font is None and not is_formula_like(value):
            return value  # plain text: openpyxl stores it as a string (the fast path)
        item = WriteOnlyCell(sheet, value=value)
        item.data_type = "s"  # never "f": a string starting with "=" stays a string
        item.quotePrefix = True  # and Excel keeps it text when someone edits the cell
        if font is not None:
            item.font = font
        return item

    sheet.append([cell(str(h), bold) for h in header])
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_table(path: Path, header: Sequence[str], rows: Iterable[Iterable[object]]) -> None:
    """Write `path` as XLSX if it ends in .xlsx, else as CSV; a clear error if it cannot."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".xlsx":
            path.write_bytes(xlsx_bytes(path.stem, header, rows))
        else:
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                _write_csv(handle, header, rows)
    except OSError as exc:
        raise CareopsError(f"{path}: cannot write the file ({exc.strerror or exc})") from None


def _write_csv(handle, header: Sequence[str], rows: Iterable[Iterable[object]]) -> None:
    writer = csv.writer(handle)
    writer.writerow([csv_cell(str(h)) for h in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
