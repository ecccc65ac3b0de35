"""Importing ops' tables into a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from careops.db.models.common import Customer, Department, Project, Staff, StaffRole
from careops.errors import CareopsError
from careops.services.operations.imports import RowError, import_file, import_rows
from careops.settings import PROJECT_ROOT
from careops.tabular import read_table

SAMPLES = PROJECT_ROOT / "config" / "samples"
TODAY = date(2026, 11, 23)
STAFF_HEADER = "code,name,department,role,email,phone,locale,active"


def load_samples(uow) -> dict[str, object]:
    return {
        kind: import_file(uow, kind, SAMPLES / f"{kind}.csv", today=TODAY)
        for kind in ("staff", "customers", "projects")
    }


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def count(uow, model) -> int:
    with uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def staff_by_code(uow, code: str) -> Staff:
    with uow:
        person = uow.session.scalars(select(Staff).where(Staff.code == code)).one()
        uow.session.expunge(person)  # keep its loaded values after the unit of work
        return person


def test_samples_import_cleanly_and_reimport_changes_nothing(uow):
    first = load_samples(uow)
    assert {k: (r.inserted, r.errors) for k, r in first.items()} == {
        "staff": (13, []), "customers": (6, []), "projects": (8, []),
    }
    again = load_samples(uow)
    assert {k: (r.inserted, r.updated, r.unchanged, r.errors) for k, r in again.items()} == {
        "staff": (0, 0, 13, []), "customers": (0, 0, 6, []), "projects": (0, 0, 8, []),
    }
    with uow:
        project = uow.session.scalars(select(Project).where(Project.code == "P2023002")).one()
        assert project.customer.code == "C0002"
        assert project.delivered_on == date(2023, 9, 1)
        owner = uow.session.get(Staff, project.cs_owner_id)
        assert (owner.code, owner.department) == ("CS003", Department.CS)
        undelivered = uow.session.scalars(select(Project).where(Project.code == "P2025002")).one()
        assert undelivered.delivered_on is None and undelivered.website_url is None
    head = staff_by_code(uow, "CS001")
    assert (head.role, head.phone, head.active) == (StaffRole.HEAD, "13800138001", True)
    assert staff_by_code(uow, "CS004").active is False


def test_bad_rows_are_reported_by_number_and_good_rows_stored(uow, tmp_path):
    path = write(tmp_path / "staff.csv", "\n".join([
        STAFF_HEADER,
        "CS001,王丽娟,客服部,head,wlj@careops.local,13800138001,zh_CN,是",
        "CS002,陈晓燕,财务部,member,cxy@careops.local,,zh_CN,是",
        "",
        "CS003,刘婷,CS,member,not-an-address,,zh_CN,是",
        "CS001,王丽娟二,CS,member,wlj2@careops.local,,zh_CN,是",
        '"CS004","赵\n敏",CS,member,zm@careops.local,,zh_CN,是',
        "CS005,孙悦,CS,,sy@careops.local,,,",
    ]) + "\n")
    report = import_file(uow, "staff", path, today=TODAY)
    assert (report.inserted, report.updated, report.unchanged) == (2, 0, 0)
    assert [e.row for e in report.errors] == [3, 5, 6, 7]
    reasons = {e.row: e.reason for e in report.errors}
    assert reasons[3].startswith("department: '财务部' is not a department")
    assert reasons[5].startswith("email: 'not-an-address' is not an e-mail address")
    assert reasons[6] == "code: duplicate code 'CS001' (first on row 2)"
    assert reasons[7].startswith("name: contains a line break")
    assert count(uow, Staff) == 2
    defaults = staff_by_code(uow, "CS005")
    assert (defaults.role, defaults.locale, defaults.active) == (StaffRole.MEMBER, "zh_CN", True)


def test_a_changed_row_updates_the_record_and_absent_columns_are_kept(uow, tmp_path):
    load_samples(uow)
    changed = write(tmp_path / "staff.csv", "\n".join([
        STAFF_HEADER,
        "CS002,陈晓燕,客服部,head,chen.xy@careops.local,13900139002,en,是",
        "CS003,刘婷,CS,member,liuting@careops.local,13700137003,zh_CN,是",
    ]))
    report = import_file(uow, "staff", changed, today=TODAY)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    updated = staff_by_code(uow, "CS002")
    assert (updated.role, updated.email, updated.locale) == (
        StaffRole.HEAD, "chen.xy@careops.local", "en",
    )
    # a file without the phone column deactivates without wiping phones
    partial = write(tmp_path / "leavers.csv", "code,name,department,email,active\n"
                    "CS002,陈晓燕,客服部,chen.xy@careops.local,否\n")
    assert import_file(uow, "staff", partial, today=TODAY).updated == 1
    leaver = staff_by_code(uow, "CS002")
    assert (leaver.active, leaver.phone, leaver.role) == (False, "13900139002", StaffRole.HEAD)


def test_project_references_must_exist_and_fit_the_role(uow):
    load_samples(uow)
    base = {"name": "测试项目", "customer_code": "C0001", "delivered_on": "2025-01-01"}
    rows = [
        (2, {**base, "code": "X1", "customer_code": "C9999"}),
        (3, {**base, "code": "X2", "cs_owner_code": "TS002"}),
        (4, {**base, "code": "X3", "sales_code": "CS002", "ts_contact_code": "NOPE"}),
        (5, {**base, "code": "X4", "manager_code": "BIZ002"}),
        (6, {**base, "code": "X5", "cs_owner_code": "CS004", "manager_code": "GM001"}),
        (7, {**base, "code": "X6", "delivered_on": "2026-12-01"}),
    ]
    report = import_rows(uow, "projects", rows, today=TODAY)
    assert report.errors == [
        RowError(2, "customer_code: no customer with code 'C9999'"),
        RowError(3, "cs_owner_code: TS002 (李强) is in TS, not CS"),
        RowError(4, "sales_code: CS002 (陈晓燕) is in CS, not BIZ; "
                    "ts_contact_code: no staff with code 'NOPE'"),
        RowError(5, "manager_code: BIZ002 (周杰) is a member, not a manager"),
        RowError(7, "delivered_on 2026-12-01 is in the future (today 2026-11-23)"),
    ]
    assert report.inserted == 1  # X5: an inactive CS owner is kept (history)
    with uow:
        x5 = uow.session.scalars(select(Project).where(Project.code == "X5")).one()
        assert uow.session.get(Staff, x5.manager_id).code == "GM001"


def test_project_update_moves_owner_and_records_redelivery(uow):
    load_samples(uow)
    rows = [(2, {"code": "P2024001", "name": "鹏程电子产品展示站", "customer_code": "C0003",
                 "delivered_on": "2026/3/1", "cs_owner_code": "CS003"})]
    report = import_rows(uow, "projects", rows, today=TODAY)
    assert (report.updated, report.errors) == (1, [])
    with uow:
        project = uow.session.scalars(select(Project).where(Project.code == "P2024001")).one()
        assert project.delivered_on == date(2026, 3, 1)
        assert uow.session.get(Staff, project.cs_owner_id).code == "CS003"
        assert project.sales_id is not None  # sales_code column absent: kept


def test_xlsx_written_with_openpyxl_imports(uow, tmp_path):
    import_file(uow, "staff", SAMPLES / "staff.csv", today=TODAY)
    import_file(uow, "customers", SAMPLES / "customers.csv", today=TODAY)
    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Name", "Customer_Code", "Delivered_On", "CS_Owner_Code", "备注"])
    sheet.append(["PX1", "Excel 导入项目", "C0001", datetime(2025, 4, 30), "CS002", "ok"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["PX2", "日期是文本", "C0002", "2025/5/6", None, None])
    sheet.append(["PX3", "未来交付", "C0002", date(2027, 1, 1), None, None])
    book.save(tmp_path / "projects.xlsx")
    report = import_file(uow, "projects", tmp_path / "projects.xlsx", today=TODAY)
    assert report.inserted == 2
    assert report.errors == [RowError(5, "delivered_on 2027-01-01 is in the future "
                                         "(today 2026-11-23)")]
    with uow:
        delivered = dict(uow.session.execute(
            select(Project.code, Project.delivered_on).where(Project.code.in_(["PX1", "PX2"]))
        ).tuples().all())
    assert delivered == {"PX1": date(2025, 4, 30), "PX2": date(2025, 5, 6)}


def test_xlsx_formulas_without_a_saved_value_name_the_cell(uow, tmp_path):
    """openpyxl (like most scripts) writes formulas without their values (issue 13, defect 7)."""
    import_file(uow, "customers", SAMPLES / "customers.csv", today=TODAY)
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "customer_code", "delivered_on"])
    sheet.append(["PX1", "有日期", "C0001", date(2025, 4, 30)])
    sheet.append(["PX2", "公式日期", "C0001", "=DATE(2024,3,4)"])
    sheet.append(["PX3", '=CONCAT("项目", "三")', "C0001", None])
    sheet.append(["PX4", "未交付", "C0001", None])
    book.save(tmp_path / "projects.xlsx")
    report = import_file(uow, "projects", tmp_path / "projects.xlsx", today=TODAY)
    hint = ("holds a formula with no saved value; open and save the file in Excel, "
            "or enter the value")
    assert report.errors == [
        RowError(3, f"delivered_on (D3): {hint}"),
        RowError(4, f"name (B4): {hint}"),
    ]
    assert report.inserted == 2  # PX1, and PX4 (a blank cell is still "not delivered yet")
    assert count(uow, Project) == 2


def test_gb18030_csv_from_a_chinese_excel_imports(uow, tmp_path):
    text = (SAMPLES / "customers.csv").read_text(encoding="utf-8")
    path = write(tmp_path / "customers.csv", text.replace("\n", "\r\n"), encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = import_file(uow, "customers", path, today=TODAY)
    assert (report.inserted, report.errors) == (6, [])
    with uow:
        name = uow.session.scalar(select(Customer.name).where(Customer.code == "C0003"))
        no_calls = uow.session.scalar(select(Customer.no_calls).where(Customer.code == "C0004"))
    assert (name, no_calls) == ("深圳鹏程电子有限公司", True)


def test_an_unreadable_file_stores_nothing(uow, tmp_path):
    bad = write(tmp_path / "staff.csv", "code,name,email\nCS1,张三,a@b.cn\n")
    with pytest.raises(CareopsError, match="staff.csv: missing required column.*department"):
        import_file(uow, "staff", bad, today=TODAY)
    with pytest.raises(CareopsError, match="staff.txt: unsupported file type"):
        import_file(uow, "staff", tmp_path / "staff.txt", today=TODAY)
    with pytest.raises(CareopsError, match="nothere.csv: cannot read"):
        import_file(uow, "staff", tmp_path / "nothere.csv", today=TODAY)
    with pytest.raises(CareopsError, match="unknown import kind 'faults'"):
        import_rows(uow, "faults", [], today=TODAY)  # type: ignore[arg-type]
    assert count(uow, Staff) == 0


def test_many_rows_are_written_in_bulk(uow, tmp_path):
    """A larger file (5,000 rows): inserts, then a re-import where a tenth changed."""
    lines = [STAFF_HEADER] + [
        f"S{n:05d},员工{n},TS,member,s{n}@careops.local,1390000{n:04d},zh_CN,是"
        for n in range(5000)
    ]
    path = write(tmp_path / "many.csv", "\n".join(lines))
    assert import_file(uow, "staff", path, today=TODAY).inserted == 5000
    lines[1::10] = [line.replace(",是", ",否") for line in lines[1::10]]
    report = import_file(uow, "staff", write(path, "\n".join(lines)), today=TODAY)
    assert (report.inserted, report.updated, report.unchanged) == (0, 500, 4500)
    with uow:
        inactive = uow.session.scalar(select(func.count()).where(Staff.active.is_(False)))
    assert inactive == 500


def test_read_table_numbers_rows_like_excel(tmp_path):
    path = write(tmp_path / "t.csv", '\ufeffCode, Name \nA,"two\nlines"\n\n,\nB,x,extra\nC\n')
    assert list(read_table(path)) == [
        (2, {"code": "A", "name": "two\nlines"}),
        (5, {"code": "B", "name": "x"}),
        (6, {"code": "C", "name": ""}),
    ]
    dup = write(tmp_path / "dup.csv", "code,Code\n")
    with pytest.raises(CareopsError, match="dup.csv: duplicate column.*code"):
        list(read_table(dup))
    with pytest.raises(CareopsError, match="empty.csv: the file is empty"):
        list(read_table(write(tmp_path / "empty.csv", "")))
    with pytest.raises(CareopsError, match="fake.xlsx: not a readable .xlsx"):
        list(read_table(write(tmp_path / "fake.xlsx", "code\n")))


@pytest.mark.parametrize(
    "address", ['"evil,x@careops.local"', '"a""b@careops.local"', "<@careops.local",
                "x>@careops.local", "a(b)@careops.local"],
)
def test_addresses_that_would_split_or_empty_a_message_are_rejected(uow, tmp_path, address):
    path = write(tmp_path / "staff.csv", "\n".join([
        STAFF_HEADER,
        "CS001,王丽娟,客服部,head,wlj@careops.local,13800138001,zh_CN,是",
        f"CS002,陈晓燕,客服部,member,{address},,zh_CN,是",
    ]) + "\n")
    report = import_file(uow, "staff", path, today=TODAY)
    assert report.inserted == 1 and [e.row for e in report.errors] == [3]
    assert report.errors[0].reason.startswith("email: ") and "is not an e-mail address" in (
        report.errors[0].reason
    )
    assert count(uow, Staff) == 1
