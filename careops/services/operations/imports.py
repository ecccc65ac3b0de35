"""Import ops' staff, customers and projects (CSV/XLSX) into the database, upserting on `code`.

Every bad row is reported with its row number and reason; every good row is stored, in one
unit of work committed at the end (a bad row never blocks the good ones). Re-importing the same
file changes nothing. A column missing from the file leaves that field of existing records as
it is (so a file with just `code,name,department,email,active` can deactivate staff without
touching their phones); a column present with a blank cell sets the field to its default.

Built for large files: existing codes and referenced records are loaded in one query each and
rows are written with bulk INSERT/UPDATE statements, never one query per row. An advisory lock
per kind serialises concurrent imports of the same kind.

Project references are checked against the database: the customer must exist, `cs_owner_code`
must be CS staff, `sales_code` BIZ staff, `ts_contact_code` TS staff and `manager_code` a
staff member whose role is manager. Inactive staff are accepted (history keeps its owners;
assignment skips inactive people).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from careops.db.base import Base
from careops.db.models.common import Customer, Department, Project, Staff, StaffRole
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.services.operations.import_rows import REQUIRED_COLUMNS, ROW_MODELS, Kind, describe
from careops.tabular import UnsavedFormula, read_table


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        )


class _Rejected(Exception):
    """A row that is valid on its own but refers to something that does not fit."""


class _StaffRef(NamedTuple):
    id: int
    name: str
    department: Department
    role: StaffRole


@dataclass(frozen=True)
class _Refs:
    customers: Mapping[str, int] = field(default_factory=dict)
    staff: Mapping[str, _StaffRef] = field(default_factory=dict)


@dataclass(frozen=True)
class _Spec:
    model: type[Base]
    # row field -> database column, for fields whose names differ
    columns: Mapping[str, str]
    to_values: Callable[[BaseModel, _Refs], dict[str, Any]]
    load_refs: Callable[[Session], _Refs]


def _plain(row: BaseModel, _refs: _Refs) -> dict[str, Any]:
    return row.model_dump()


def _no_refs(_session: Session) -> _Refs:
    return _Refs()


def _project_refs(session: Session) -> _Refs:
    customers = dict(session.execute(select(Customer.code, Customer.id)).tuples().all())
    staff = {
        code: _StaffRef(id_, name, department, role)
        for code, id_, name, department, role in session.execute(
            select(Staff.code, Staff.id, Staff.name, Staff.department, Staff.role)
        ).tuples()
    }
    return _Refs(customers=customers, staff=staff)


# field -> (department it must be in, role it must have); None: any
_STAFF_FIELDS: dict[str, tuple[Department | None, StaffRole | None]] = {
    "cs_owner_code": (Department.CS, None),
    "sales_code": (Department.BIZ, None),
    "manager_code": (None, StaffRole.MANAGER),
    "ts_contact_code": (Department.TS, None),
}


def _project_values(row: BaseModel, refs: _Refs) -> dict[str, Any]:
    data = row.model_dump()
    reasons = []
    customer_id = refs.customers.get(data["customer_code"])
    if customer_id is None:
        reasons.append(f"customer_code: no customer with code {data['customer_code']!r}")
    values = {
        "code": data["code"],
        "name": data["name"],
        "customer_id": customer_id,
        "delivered_on": data["delivered_on"],
        "retired_on": data["retired_on"],
        "website_url": data["website_url"],
    }
    for name, (department, role) in _STAFF_FIELDS.items():
        code = data[name]
        person = refs.staff.get(code) if code is not None else None
        if code is not None and person is None:
            reasons.append(f"{name}: no staff with code {code!r}")
        elif person is not None and department is not None and person.department != department:
            reasons.append(
                f"{name}: {code} ({person.name}) is in {person.department.value}, "
                f"not {department.value}"
            )
        elif person is not None and role is not None and person.role != role:
            reasons.append(
                f"{name}: {code} ({person.name}) is a {person.role.value}, not a {role.value}"
            )
        values[name.removesuffix("_code") + "_id"] = person.id if person else None
    if reasons:
        raise _Rejected("; ".join(reasons))
    return values


_PROJECT_COLUMNS = {"customer_code": "customer_id"} | {
    name: name.removesuffix("_code") + "_id" for name in _STAFF_FIELDS
}

SPECS: dict[str, _Spec] = {
    "staff": _Spec(Staff, {}, _plain, _no_refs),
    "customers": _Spec(Customer, {}, _plain, _no_refs),
    "projects": _Spec(Project, _PROJECT_COLUMNS, _project_values, _project_refs),
}


def import_rows(
    uow: UnitOfWork, kind: Kind, rows: Iterable[tuple[int, Mapping[str, Any]]], *, today: date
) -> ImportReport:
    """Validate and upsert `rows` (row number, {column: value}) of one `kind`; see the module doc.

    `today` bounds delivery dates (a project cannot have been delivered in the future).
    """
    spec = SPECS.get(kind)
    if spec is None:
        raise CareopsError(f"unknown import kind {kind!r}: use staff, customers or projects")
    row_model = ROW_MODELS[kind]
    table = spec.model.__table__
    report = ImportReport()
    with uow:
        session = uow.session
        uow.lock(f"careops.import.{kind}")
        refs = spec.load_refs(session)
        existing = {r.code: r for r in session.execute(select(table))}
        first_seen: dict[str, int] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for number, raw in rows:
            cells = {str(k).strip().lower(): v for k, v in raw.items()}
            code = str(cells.get("code") or "").strip()
            if code in first_seen:
                reason = f"code: duplicate code {code!r} (first on row {first_seen[code]})"
                report.errors.append(RowError(number, reason))
                continue
            if code:
                first_seen[code] = number
            unsaved = [
                f"{name} ({value.cell}): holds a formula with no saved value; open and save "
                "the file in Excel, or enter the value"
                for name, value in cells.items()
                if isinstance(value, UnsavedFormula)
            ]
            if unsaved:
                report.errors.append(RowError(number, "; ".join(unsaved)))
                continue
            try:
                parsed = row_model.model_validate(cells, context={"today": today})
                values = spec.to_values(parsed, refs)
            except ValidationError as exc:
                report.errors.append(RowError(number, describe(exc)))
                continue
            except _Rejected as exc:
                report.errors.append(RowError(number, str(exc)))
                continue
            current = existing.get(code)
            if current is None:
                inserts.append(values)
                continue
            given = {spec.columns.get(name, name) for name in cells}
            changed = {
                column: value
                for column, value in values.items()
                if column in given and getattr(current, column) != value
            }
            if changed:
                updates.append({"id": current.id, **changed})
            else:
                report.unchanged += 1
        if inserts:
            session.execute(insert(table), inserts)
        if updates:
            session.execute(update(spec.model), updates)
        uow.commit()
    report.inserted, report.updated = len(inserts), len(updates)
    report.errors.sort(key=lambda error: error.row)
    return report


def import_file(uow: UnitOfWork, kind: Kind, path: Path, *, today: date) -> ImportReport:
    """Import a .csv or .xlsx file of `kind`; CareopsError if the file cannot be read at all."""
    if kind not in REQUIRED_COLUMNS:
        raise CareopsError(f"unknown import kind {kind!r}: use staff, customers or projects")
    return import_rows(uow, kind, read_table(path, required=REQUIRED_COLUMNS[kind]), today=today)
