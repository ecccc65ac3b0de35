"""Row schemas of the ops tables: every bad cell gives a reason that names it."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from careops.db.models.common import Department, StaffRole
from careops.services.operations.import_rows import (
    REQUIRED_COLUMNS,
    CustomerRow,
    ProjectRow,
    StaffRow,
    describe,
    parse_date,
    parse_phone,
)

TODAY = date(2026, 11, 23)
STAFF = {"code": "CS001", "name": "王丽娟", "department": "客服部", "email": "wlj@careops.local"}
CUSTOMER = {"code": "C1", "name": "北京华信科技有限公司", "contact_name": "李明",
            "contact_phone": "13812345678"}
PROJECT = {"code": "P1", "name": "华信官网", "customer_code": "C1"}


def reason(model, row: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(row, context={"today": TODAY})
    return describe(caught.value)


def test_a_minimal_staff_row_gets_the_defaults():
    row = StaffRow.model_validate(STAFF)
    assert row.department is Department.CS
    assert (row.role, row.locale, row.active, row.phone) == (StaffRole.MEMBER, "zh_CN", True, None)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"department": "技术服务部"}, Department.TS),
        ({"department": "biz"}, Department.BIZ),
        ({"department": "高层领导"}, Department.LEADERSHIP),
        ({"role": "Supervisor"}, StaffRole.SUPERVISOR),
        ({"active": "否"}, False),
        ({"active": "NO"}, False),
        ({"active": "1"}, True),
        ({"locale": "en"}, "en"),
        ({"phone": "+86 10 1234 5678"}, "010-12345678"),
        ({"phone": "0755-1234567"}, "0755-1234567"),
        ({"phone": "138 1234 5678"}, "13812345678"),
        ({"email": " a.b+c@mail.example.cn "}, "a.b+c@mail.example.cn"),
        ({"phone": "   "}, None),  # blank: the default
    ],
)
def test_staff_cells_are_understood(cells, expected):
    row = StaffRow.model_validate({**STAFF, **cells})
    assert getattr(row, next(iter(cells))) == expected


@pytest.mark.parametrize(
    ("model", "base", "cells", "expected"),
    [
        (StaffRow, STAFF, {"code": ""}, "code: is required"),
        (StaffRow, STAFF, {"name": "王\n丽娟"}, "name: contains a line break"),
        (StaffRow, STAFF, {"name": "王\r丽娟"}, "name: contains a line break"),
        (StaffRow, STAFF, {"name": "王\x07丽娟"}, "name: contains a control character"),
        (StaffRow, STAFF, {"code": "X" * 41}, "code: is 41 characters long (at most 40)"),
        (StaffRow, STAFF, {"department": "财务部"}, "department: '财务部' is not a department"),
        (StaffRow, STAFF, {"role": "boss"}, "role: 'boss' is not a role"),
        (StaffRow, STAFF, {"email": "wlj.careops.local"}, "email: 'wlj.careops.local' is not"),
        (StaffRow, STAFF, {"email": "a@b"}, "email: 'a@b' is not an e-mail"),
        (StaffRow, STAFF, {"email": "a b@c.cn"}, "email: 'a b@c.cn' is not an e-mail"),
        (StaffRow, STAFF, {"email": "a@c..cn"}, "email: 'a@c..cn' is not an e-mail"),
        (StaffRow, STAFF, {"phone": "12812345678"}, "phone: '12812345678' is not a phone number"),
        (StaffRow, STAFF, {"phone": "1381234567"}, "phone: '1381234567' is not a phone number"),
        (StaffRow, STAFF, {"phone": "12345678"}, "phone: '12345678' is not a phone number"),
        (StaffRow, STAFF, {"phone": "138\n12345678"}, "phone: contains a line break"),
        (StaffRow, STAFF, {"locale": "fr"}, "locale: 'fr' is not a locale"),
        (StaffRow, STAFF, {"active": "maybe"}, "active: 'maybe' is not yes/no"),
        (CustomerRow, CUSTOMER, {"tier": "D"}, "tier: 'D' is not a tier (A/B/C)"),
        (CustomerRow, CUSTOMER, {"contact_phone": ""}, "contact_phone: is required"),
        (CustomerRow, CUSTOMER, {"contact_email": "x@"}, "contact_email: 'x@' is not an e-mail"),
        (CustomerRow, CUSTOMER, {"address": "北京\n海淀"}, "address: contains a line break"),
        (CustomerRow, CUSTOMER, {"no_calls": "perhaps"}, "no_calls: 'perhaps' is not yes/no"),
        (ProjectRow, PROJECT, {"customer_code": None}, "customer_code: is required"),
        (ProjectRow, PROJECT, {"delivered_on": "2026-13-01"}, "delivered_on: '2026-13-01' is not"),
        (ProjectRow, PROJECT, {"delivered_on": "5.1.2026"}, "delivered_on: '5.1.2026' is not a"),
        (ProjectRow, PROJECT, {"delivered_on": "2026-11-24"},
         "delivered_on 2026-11-24 is in the future (today 2026-11-23)"),
        (ProjectRow, PROJECT, {"delivered_on": "2025-03-01", "retired_on": "2025/2/28"},
         "retired_on 2025-02-28 is before delivered_on 2025-03-01"),
        (ProjectRow, PROJECT, {"website_url": "www.example.cn"},
         "website_url: 'www.example.cn' is not a web address"),
        (ProjectRow, PROJECT, {"website_url": "ftp://example.cn"},
         "website_url: 'ftp://example.cn' is not a web address"),
    ],
)
def test_bad_cells_are_rejected_with_a_reason_naming_them(model, base, cells, expected):
    assert expected in reason(model, {**base, **cells})


def test_every_bad_cell_of_a_row_is_reported():
    text = reason(StaffRow, {**STAFF, "email": "nope", "department": "X", "name": ""})
    assert text.count(";") == 2
    assert "name: is required" in text and "email:" in text and "department:" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05", date(2026, 1, 5)),
        ("2026/1/5", date(2026, 1, 5)),
        ("2026.01.05", date(2026, 1, 5)),
        ("2026年1月5日", date(2026, 1, 5)),
        ("2026-01-05T00:00:00", date(2026, 1, 5)),
        ("46027", date(2026, 1, 5)),  # an Excel serial day number
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_dates_in_the_forms_ops_type_them(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2025-02-29", "20260105", "05/01/2026", "yesterday", "2026-1"])
def test_impossible_or_ambiguous_dates_are_rejected(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("19912345678", "19912345678"),
        ("010 12345678", "010-12345678"),
        ("(0755)12345678", "0755-12345678"),
        ("+86-755-1234567", "0755-1234567"),
        ("02012345678", "020-12345678"),
    ],
)
def test_phone_numbers_are_normalised(text, expected):
    assert parse_phone(text) == expected


def test_delivery_today_is_fine_and_retirement_may_equal_delivery():
    row = ProjectRow.model_validate(
        {**PROJECT, "delivered_on": "2026-11-23", "retired_on": "2026-11-23"},
        context={"today": TODAY},
    )
    assert row.delivered_on == row.retired_on == TODAY


def test_column_names_are_case_insensitive_and_extra_columns_ignored():
    row = CustomerRow.model_validate({k.upper(): v for k, v in CUSTOMER.items()} | {"备注": "x"})
    assert (row.code, row.tier, row.no_calls) == ("C1", "B", False)


def test_required_columns_per_kind():
    assert REQUIRED_COLUMNS == {
        "staff": ("code", "name", "department", "email"),
        "customers": ("code", "name", "contact_name", "contact_phone"),
        "projects": ("code", "name", "customer_code"),
    }
