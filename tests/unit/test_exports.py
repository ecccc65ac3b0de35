"""careops.exports: every CSV and XLSX careops writes keeps customer text as text."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from careops.errors import CareopsError
from careops.exports import csv_bytes, is_formula_like, write_table, xlsx_bytes

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://x","a")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    "＝1+1",  # full-width equals: a Chinese IME turns it into a formula on entry
    "  =1+1",
]
HARMLESS = ["华东电气有限公司", "13912345678", "a=b", "", "x-1"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_leading_text_is_recognised(text):
    assert is_formula_like(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_left_alone(text):
    assert not is_formula_like(text)


def test_csv_prefixes_a_quote_and_keeps_other_values():
    data = csv_bytes(["name", "n", "day"], [[v, 3, date(2026, 2, 2)] for v in DANGEROUS + HARMLESS])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["name", "n", "day"]
    for text, row in zip(DANGEROUS, rows[1:], strict=False):
        assert row == ["'" + text, "3", "2026-02-02"]
    assert [row[0] for row in rows[1 + len(DANGEROUS):]] == HARMLESS


def test_xlsx_cells_are_text_not_formulas():
    data = xlsx_bytes("List", ["name", "n", "day"], [[v, 3, date(2026, 2, 2)] for v in DANGEROUS])
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.title == "List"
    rows = list(sheet.iter_rows(min_row=2))
    for text, (name, number, day) in zip(DANGEROUS, rows, strict=True):
        assert name.value == text.replace("\r", "\n") and name.data_type == "s"
        assert name.quotePrefix
        assert number.value == 3 and day.value.date() == date(2026, 2, 2)


def test_a_header_cannot_be_a_formula_either():
    data = xlsx_bytes("s", ["=evil"], [])
    (cell,) = next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows())
    assert cell.value == "=evil" and cell.data_type == "s"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_table_writes_by_suffix(tmp_path, suffix):
    path = tmp_path / f"errors{suffix}"
    write_table(path, ["row", "reason"], [[2, "=cmd"]])
    if suffix == ".csv":
        assert path.read_text(encoding="utf-8-sig").splitlines()[1] == "2,'=cmd"
    else:
        row = list(load_workbook(path).worksheets[0].iter_rows(min_row=2, values_only=True))
        assert row == [(2, "=cmd")]


def test_write_table_names_an_unwritable_path(tmp_path):
    with pytest.raises(CareopsError, match="cannot write the file"):
        write_table(tmp_path / "missing-dir" / "x.csv", ["a"], [])


def test_control_characters_xml_cannot_hold_are_dropped_not_fatal():
    data = xlsx_bytes("s", ["name"], [["华东\x00电气\x07"]])
    (cell,) = list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(min_row=2))[0]
    assert cell.value == "华东电气"
