"""R5 fault reports as pure rules: states, transitions, routing, chase schedules, deadlines.

No database, no Prefect, no network: the services apply these inside their unit of work.

States and steps (see careops/db/models/faults.py for the diagram):
- report → `reported`. A major fault arms the filing timer; a minor one does not need filing.
- file (reported only) → `filed`, then at once `escalated` (the notice goes to leadership).
- update: any state but `closed`.
- resolve: from `escalated`; from `reported` only with an `unfiled_reason` for a major fault
  (a minor fault may be resolved unfiled). Never twice.
- analysis: only for a `resolved` fault → `analysed`, then at once `closed`.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careops.calendar import WorkCalendar
from careops.errors import CareopsError, InvalidTransition


class FaultSeverity(enum.StrEnum):
    MAJOR = "major"
    MINOR = "minor"


class FaultState(enum.StrEnum):
    REPORTED = "reported"
    FILED = "filed"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    ANALYSED = "analysed"
    CLOSED = "closed"


class FaultTimer(enum.StrEnum):
    FILING = "filing"  # an unfiled major fault: reminder to the manager, then leadership
    ANALYSIS = "analysis"  # a missing analysis: reminder to TS, then overdue escalation


OPEN_STATES = (FaultState.REPORTED, FaultState.FILED, FaultState.ESCALATED, FaultState.RESOLVED)


class FaultReportError(CareopsError):
    """A fault report that cannot be accepted (future time, no symptoms ...)."""


# -- validation and identity -------------------------------------------------------------------


def validate_report(occurred_at: datetime, now: datetime, symptoms: str, place: str) -> None:
    if occurred_at.tzinfo is None:
        raise FaultReportError(f"occurred_at {occurred_at:%Y-%m-%d %H:%M} has no timezone")
    if occurred_at > now + timedelta(minutes=1):  # a minute of clock skew is tolerated
        raise FaultReportError(
            f"occurred_at {occurred_at.isoformat(timespec='minutes')} is in the future "
            f"(now is {now.isoformat(timespec='minutes')})"
        )
    if not symptoms.strip():
        raise FaultReportError("symptoms are empty: describe what is wrong")
    if not place.strip():
        raise FaultReportError("place is empty: say where the fault is (site, system, server)")


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def report_key(project_code: str, occurred_at: datetime, symptoms: str) -> str:
    """The identity of a report: same project, minute of occurrence and symptoms → same fault."""
    minute = occurred_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M")
    raw = f"{project_code.strip().upper()}|{minute}|{normalise_text(symptoms)}"
    return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


# -- transitions -------------------------------------------------------------------------------


def _where(fault_id: int, state: FaultState) -> str:
    return f"fault {fault_id} is {state}"


def check_file(fault_id: int, state: FaultState) -> None:
    if state != FaultState.REPORTED:
        if state == FaultState.CLOSED:
            raise InvalidTransition(f"{_where(fault_id, state)}: a closed fault cannot be filed")
        raise InvalidTransition(f"{_where(fault_id, state)}: it was filed already")


def check_update(fault_id: int, state: FaultState) -> None:
    if state == FaultState.CLOSED:
        raise InvalidTransition(f"{_where(fault_id, state)}: no more progress notes")


def check_resolve(
    fault_id: int, state: FaultState, severity: FaultSeverity, unfiled_reason: str | None
) -> None:
    if state in (FaultState.RESOLVED, FaultState.ANALYSED, FaultState.CLOSED):
        raise InvalidTransition(f"{_where(fault_id, state)}: it was resolved already")
    unfiled = state == FaultState.REPORTED and severity == FaultSeverity.MAJOR
    if unfiled and not (unfiled_reason or "").strip():
        raise InvalidTransition(
            f"{_where(fault_id, state)} and not filed yet: file it first, or resolve it "
            "unfiled by giving the reason (unfiled_reason / --unfiled-reason)"
        )


def check_analysis(fault_id: int, state: FaultState) -> None:
    if state == FaultState.CLOSED:
        raise InvalidTransition(
            f"{_where(fault_id, state)}: its analysis was submitted already (no double close)"
        )
    if state != FaultState.RESOLVED:
        raise InvalidTransition(
            f"{_where(fault_id, state)}: the fault is still open; resolve it before the analysis"
        )


# -- routing -----------------------------------------------------------------------------------


class Purpose(enum.StrEnum):
    NOTICE = "notice"
    FILED = "filed"
    FILING_REMINDER = "filing_reminder"
    FILING_ESCALATION = "filing_escalation"
    UPDATE = "update"
    ANALYSIS_REQUEST = "analysis_request"
    ANALYSIS_REMINDER = "analysis_reminder"
    ANALYSIS_OVERDUE = "analysis_overdue"
    REPORT = "report"
    DEADLINE_PENDING = "deadline_pending"  # ops: a deadline waits for a calendar year


def recipient_roles(
    purpose: Purpose,
    severity: FaultSeverity,
    major_departments: list[str],
    minor_departments: list[str],
) -> list[str]:
    """Who gets a notice, as roles the service resolves to addresses.

    Roles: sales, manager, ts_contact (the project's people); dept:<DEPT> (a department: its
    head, else its supervisor, else its mailbox); ts_supervisor (the TS supervisor, else the
    head, else the TS mailbox); leadership, customer, biz, ops.
    """
    if purpose == Purpose.NOTICE:
        if severity == FaultSeverity.MAJOR:
            departments = [f"dept:{d}" for d in major_departments]
            return ["sales", "manager", "ts_contact", *departments]
        return ["ts_contact", *(f"dept:{d}" for d in minor_departments)]
    return {
        Purpose.FILED: ["leadership"],
        Purpose.FILING_REMINDER: ["manager"],
        Purpose.FILING_ESCALATION: ["leadership", "manager"],
        Purpose.UPDATE: ["manager"],
        Purpose.ANALYSIS_REQUEST: ["ts_supervisor"],
        Purpose.ANALYSIS_REMINDER: ["ts_supervisor"],
        Purpose.ANALYSIS_OVERDUE: ["manager", "ts_supervisor"],
        Purpose.REPORT: ["customer", "biz"],
        Purpose.DEADLINE_PENDING: ["ops"],
    }[purpose]


def last_resort_roles(severity: FaultSeverity, minor_departments: list[str]) -> list[str]:
    """Who hears when nobody behind a notice's roles can be reached: senior leadership for a
    major fault; the minor-fault departments (TS) for a minor one, never upward."""
    if severity == FaultSeverity.MAJOR:
        return ["leadership"]
    return [f"dept:{d}" for d in minor_departments]


# -- timers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chase:
    index: int  # 0-based position in the schedule; a timer's count = chases sent
    at: datetime
    purpose: Purpose
    final: bool


def filing_chases(
    reported_at: datetime, within_minutes: int, every_minutes: int, limit: int
) -> list[Chase]:
    """An unfiled fault: a reminder to the manager after `within_minutes`, then escalations to
    leadership every `every_minutes`; `limit` chases in all."""
    first = reported_at + timedelta(minutes=within_minutes)
    return [
        Chase(
            i,
            first + timedelta(minutes=every_minutes * i),
            Purpose.FILING_REMINDER if i == 0 else Purpose.FILING_ESCALATION,
            i == limit - 1,
        )
        for i in range(max(limit, 0))
    ]


def analysis_chases(
    resolved_at: datetime, due_at: datetime, every_hours: int, limit: int
) -> list[Chase]:
    """A missing analysis: one reminder `every_hours` before the deadline (if that is after the
    resolution), then at the deadline and every `every_hours` an overdue escalation; `limit`
    escalations in all."""
    step = timedelta(hours=every_hours)
    out: list[Chase] = []
    if due_at - step > resolved_at:
        out.append(Chase(0, due_at - step, Purpose.ANALYSIS_REMINDER, False))
    for i in range(max(limit, 0)):
        out.append(
            Chase(len(out), due_at + step * i, Purpose.ANALYSIS_OVERDUE, i == limit - 1)
        )
    return out


def due_chase(schedule: list[Chase], count: int, now: datetime) -> Chase | None:
    """The chase to send now: the latest one due not yet sent. Chases missed while no watcher
    ran are skipped (one mail, the most escalated), so a late sweep is no storm."""
    due = [c for c in schedule[count:] if c.at <= now]
    return due[-1] if due else None


def next_due(schedule: list[Chase], count: int) -> datetime | None:
    return schedule[count].at if count < len(schedule) else None


def analysis_deadline(
    ended_at: datetime, cal: WorkCalendar, working_days: int, tz: ZoneInfo
) -> datetime:
    """24:00 (local) of the `working_days`-th working day after the local date the fault ended
    (故障结束后: counted from the end of the fault, not from when its end was recorded).

    Raises UnknownCalendarYear when the count reaches a year not published yet."""
    day: date = cal.add_working_days(ended_at.astimezone(tz).date(), working_days)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
