"""R5 timers and deadlines: the chase schedules of a fault, arming them, and the analysis
deadline (set at resolution, or later by fault-watch once a pending calendar year is there)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from careops.calendar import UnknownCalendarYear
from careops.db.models.faults import Fault
from careops.rules import faults as rules
from careops.rules.faults import FaultTimer, Purpose
from careops.services.faults.env import FaultEnv
from careops.services.faults.notices import Notified, notify, record_event


def _filing_schedule(fault: Fault, env: FaultEnv) -> list[rules.Chase]:
    r = env.rules
    return rules.filing_chases(
        fault.reported_at, r.file_within_minutes, r.chase_every_minutes, r.chase_limit
    )


def _analysis_schedule(fault: Fault, env: FaultEnv) -> list[rules.Chase]:
    assert fault.resolved_at is not None and fault.analysis_due_at is not None
    r = env.rules
    return rules.analysis_chases(
        fault.resolved_at, fault.analysis_due_at, r.analysis_chase_every_hours,
        r.analysis_chase_limit,
    )


def schedule_for(fault: Fault, env: FaultEnv) -> list[rules.Chase]:
    if fault.timer == FaultTimer.FILING:
        return _filing_schedule(fault, env)
    if fault.timer == FaultTimer.ANALYSIS:
        return _analysis_schedule(fault, env)
    return []


def arm(
    fault: Fault, timer: FaultTimer | None, env: FaultEnv, now: datetime | None = None
) -> None:
    """Start `timer` (None: stop). A reminder already due at `now` is skipped: the request
    that arms the timer has just gone (a deadline set late, once its calendar was published)."""
    fault.timer = timer
    schedule = schedule_for(fault, env)
    first = schedule[0] if schedule else None
    skip = int(first is not None and now is not None and first.at <= now
               and first.purpose == Purpose.ANALYSIS_REMINDER)
    fault.timer_count = skip
    fault.timer_due_at = rules.next_due(schedule, skip) if timer else None


def settle_deadline(
    session: Session, fault: Fault, env: FaultEnv, now: datetime
) -> tuple[list[Notified], list[str]]:
    """Compute the analysis deadline of a resolved fault and ask for the analysis (arming the
    chases). While the calendar year it needs is unpublished it stays pending: ops are told
    once per fault and year, the TS supervisor is asked at once with the deadline to follow.
    Returns the notices sent and the warnings for the sender."""
    assert fault.ended_at is not None
    try:
        due = rules.analysis_deadline(
            fault.ended_at, env.calendar, env.rules.analysis_working_days, env.tz)
    except UnknownCalendarYear as exc:
        year = exc.year
        if fault.analysis_due_pending_year == year:
            return [], []  # still waiting; ops were told
        first = fault.analysis_due_pending_year is None
        fault.analysis_due_pending_year = year
        record_event(session, fault, "deadline-pending", "careops", str(exc), now)
        sent = [notify(session, env, fault, Purpose.DEADLINE_PENDING, now, tag=str(year),
                       context={"year": year, "error": str(exc)})]
        if first:
            sent.append(notify(session, env, fault, Purpose.ANALYSIS_REQUEST, now,
                               tag="pending", context={"deadline": None, "year": year}))
        return sent, [f"analysis deadline pending: the {year} working-day calendar is not "
                      f"published; ops were told; it is set once config/calendar/{year}.toml "
                      "exists"]
    was_pending = fault.analysis_due_pending_year is not None
    fault.analysis_due_at, fault.analysis_due_pending_year = due, None
    if was_pending:
        record_event(session, fault, "deadline", "careops",
                     f"analysis due {due.isoformat(timespec='minutes')}", now)
    arm(fault, FaultTimer.ANALYSIS, env, now)
    return [notify(session, env, fault, Purpose.ANALYSIS_REQUEST, now,
                   context={"deadline": due})], []
