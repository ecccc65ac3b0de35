"""Import R3 monitored sites and the CS duty roster (CSV/XLSX), bad rows named by row number.

sites  project_code*, url* (http/https), expected_status (200, or several: 200,301; default
       any 2xx), keyword (the body must contain it), max_response_ms, active (default yes).
       Upsert on `url`: a URL is watched once, for one project.
duty   date*, staff_code* (an active CS staff member). The date must lie inside a holiday watch
       window (the evening of its last working day counts); from the CLI a window of an
       unpublished year is its provisional one (the watch watches it, so duty can be set);
       a plain calendar names the unpublished year. Upsert on `date`: one person per day.

As for the other imports: every good row is stored in one unit of work, every bad row is
reported, re-importing changes nothing, a missing column leaves that field as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, ValidationError
from sqlalchemy import insert, select, update

from careops.calendar import WorkCalendar
from careops.db.models.common import Department, Project, Staff
from careops.db.models.watch import DutyShift, MonitoredSite
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.rules.holidays import DEFAULT_HOLIDAYS, periods_starting_in
from careops.services.operations.import_rows import Bool, Code, Day, Url, _Row, _text, describe
from careops.services.operations.imports import ImportReport, RowError
from careops.tabular import read_table


def parse_statuses(value: Any) -> str:
    parts = [p.strip() for p in str(value).replace("，", ",").replace(" ", ",").split(",")]
    parts = [p for p in parts if p]
    try:
        codes = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"{value!r} is not a status code list (like 200 or 200,301)") from None
    if not codes or any(not 100 <= c <= 599 for c in codes):
        raise ValueError(f"{value!r} is not a status code list (100-599, like 200 or 200,301)")
    return ",".join(str(c) for c in codes)


class SiteRow(_Row):
    project_code: Code
    url: Url
    expected_status: Annotated[str | None, BeforeValidator(parse_statuses)] = None
    keyword: Annotated[str | None, _text(200)] = None
    max_response_ms: Annotated[int | None, Field(gt=0, le=120_000)] = None
    active: Bool = True


class DutyRow(_Row):
    date: Day
    staff_code: Code


@dataclass(frozen=True)
class WatchCalendar:
    calendar: WorkCalendar
    tz: ZoneInfo
    holidays: tuple[str, ...] = DEFAULT_HOLIDAYS

    @classmethod
    def from_settings(cls) -> WatchCalendar:
        from careops.bootstrap import get_watch_calendar
        from careops.settings import get_settings

        settings = get_settings()
        return cls(get_watch_calendar(), settings.tz, tuple(settings.holiday_watch.holidays))

    def window_of(self, day: date) -> str:
        """The id of the watch window holding local date `day`; ValueError naming it if none."""
        for year in (day.year, day.year + 1):  # 31 December opens next year's New Year window
            try:
                periods = periods_starting_in(year, self.calendar, self.tz, self.holidays)
            except CareopsError as exc:
                if year > day.year:
                    continue
                raise ValueError(str(exc)) from None
            for period in periods:
                if day in period.window_dates():
                    return period.id
        raise ValueError(f"{day} is outside every holiday watch window (see careops preview "
                         f"holiday-windows --year {day.year})")


class _Rejected(Exception):
    pass


def _site_values(row: SiteRow, projects: Mapping[str, int]) -> dict[str, Any]:
    project_id = projects.get(row.project_code)
    if project_id is None:
        raise _Rejected(f"project_code: no project with code {row.project_code!r}")
    data = row.model_dump(exclude={"project_code"})
    return {**data, "project_id": project_id}


def _upsert(
    uow: UnitOfWork, model: type, key: str, rows: Iterable[tuple[int, Mapping[str, Any]]],
    parse, given_columns,
) -> ImportReport:
    report = ImportReport()
    with uow:
        session = uow.session
        uow.lock(f"careops.import.{model.__tablename__}")
        existing = {getattr(r, key): r for r in session.scalars(select(model))}
        first_seen: dict[Any, int] = {}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for number, raw in rows:
            cells = {str(k).strip().lower(): v for k, v in raw.items()}
            try:
                values = parse(session, cells)
            except ValidationError as exc:
                report.errors.append(RowError(number, describe(exc)))
                continue
            except _Rejected as exc:
                report.errors.append(RowError(number, str(exc)))
                continue
            ident = values[key]
            if ident in first_seen:
                report.errors.append(RowError(
                    number, f"{key}: duplicate {ident} (first on row {first_seen[ident]})"))
                continue
            first_seen[ident] = number
            current = existing.get(ident)
            if current is None:
                inserts.append(values)
                continue
            given = given_columns(cells)
            changed = {c: v for c, v in values.items()
                       if c in given and getattr(current, c) != v}
            if changed:
                updates.append({"id": current.id, **changed})
            else:
                report.unchanged += 1
        if inserts:
            session.execute(insert(model), inserts)
        if updates:
            session.execute(update(model), updates)
        uow.commit()
    report.inserted, report.updated = len(inserts), len(updates)
    report.errors.sort(key=lambda e: e.row)
    return report


def import_sites(uow: UnitOfWork, rows: Iterable[tuple[int, Mapping[str, Any]]]) -> ImportReport:
    projects: dict[str, int] | None = None

    def parse(session, cells):
        nonlocal projects
        if projects is None:
            projects = dict(session.execute(select(Project.code, Project.id)).tuples().all())
        return _site_values(SiteRow.model_validate(cells), projects)

    def given(cells):
        return {"project_id" if c == "project_code" else c for c in cells}

    return _upsert(uow, MonitoredSite, "url", rows, parse, given)


def import_duty(
    uow: UnitOfWork, rows: Iterable[tuple[int, Mapping[str, Any]]], cal: WatchCalendar
) -> ImportReport:
    staff: dict[str, tuple[int, str, Department, bool]] | None = None

    def parse(session, cells):
        nonlocal staff
        if staff is None:
            staff = {code: (id_, name, dept, active) for code, id_, name, dept, active in
                     session.execute(select(Staff.code, Staff.id, Staff.name, Staff.department,
                                            Staff.active)).tuples().all()}
        row = DutyRow.model_validate(cells)
        reasons = []
        try:
            cal.window_of(row.date)
        except ValueError as exc:
            reasons.append(f"date: {exc}")
        person = staff.get(row.staff_code)
        if person is None:
            reasons.append(f"staff_code: no staff with code {row.staff_code!r}")
        elif person[2] != Department.CS:
            reasons.append(f"staff_code: {row.staff_code} ({person[1]}) is in "
                           f"{person[2].value}, not CS")
        elif not person[3]:
            reasons.append(f"staff_code: {row.staff_code} ({person[1]}) is not active")
        if reasons:
            raise _Rejected("; ".join(reasons))
        return {"day": row.date, "staff_id": person[0]}

    return _upsert(uow, DutyShift, "day", rows, parse, lambda _cells: {"day", "staff_id"})


SITE_COLUMNS = ("project_code", "url")
DUTY_COLUMNS = ("date", "staff_code")


def import_sites_file(uow: UnitOfWork, path: Path) -> ImportReport:
    return import_sites(uow, read_table(path, required=SITE_COLUMNS))


def import_duty_file(uow: UnitOfWork, path: Path, cal: WatchCalendar) -> ImportReport:
    return import_duty(uow, read_table(path, required=DUTY_COLUMNS), cal)


def set_duty(uow: UnitOfWork, day: str, staff_code: str, cal: WatchCalendar) -> None:
    """`careops duty set`: one row; CareopsError with the reason when it is refused."""
    report = import_duty(uow, [(1, {"date": day, "staff_code": staff_code})], cal)
    if report.errors:
        raise CareopsError(report.errors[0].reason)
