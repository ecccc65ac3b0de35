"""R5 timers: the fault-watch sweep sends the chases that are due, each exactly once.

The sweep is one transaction: it claims the due fault rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so a second watcher skips them; on SQLite the transaction holds the write lock from
BEGIN IMMEDIATE), sends one chase per fault (the most escalated one due: a late sweep is no
storm), moves the timer on and commits. A second watcher then finds the timers in the future.
The outbox key (fault, timer, chase number) makes a duplicate impossible even so.

The same sweep sets the analysis deadlines left pending for an unpublished calendar year as
soon as that year's calendar is there (`config/calendar/YYYY.toml`); the analysis request and
its chases then follow as for any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from careops.db.models.faults import Fault
from careops.db.uow import UnitOfWork
from careops.rules import faults as rules
from careops.rules.faults import FaultState
from careops.services.faults.env import FaultEnv
from careops.services.faults.notices import notify, record_event
from careops.services.faults.timers import schedule_for, settle_deadline


@dataclass
class WatchResult:
    chased: list[dict] = field(default_factory=list)  # fault id, purpose, number, recipients
    deadlines: list[int] = field(default_factory=list)  # faults whose pending deadline was set
    warnings: list[str] = field(default_factory=list)  # who could not be reached ...

    @property
    def count(self) -> int:
        return len(self.chased)


def watch_faults(uow: UnitOfWork, env: FaultEnv, now: datetime, *, limit: int = 200) -> WatchResult:
    """Send every chase due at `now` (filing reminders/escalations, analysis chases)."""
    result = WatchResult()
    with uow:
        session = uow.session
        if uow.dialect == "sqlite":
            uow.lock("fault-watch")  # BEGIN IMMEDIATE: the sweep holds the write lock
        query = (
            select(Fault)
            .where(Fault.timer_due_at.is_not(None), Fault.timer_due_at <= now)
            .order_by(Fault.timer_due_at, Fault.id)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Fault)
        for fault in session.scalars(query).all():
            schedule = schedule_for(fault, env)
            chase = rules.due_chase(schedule, fault.timer_count or 0, now)
            if chase is None:  # configuration changed under a running timer
                fault.timer_due_at = rules.next_due(schedule, fault.timer_count or 0)
                continue
            timer = fault.timer
            number = chase.index + 1
            skipped = chase.index - (fault.timer_count or 0)
            details = f"{timer} chase {number} of {len(schedule)}" + (
                f" ({skipped} earlier chase(s) were due while no watcher ran)" if skipped else ""
            )
            record_event(session, fault, f"chase:{chase.purpose}", "fault-watch", details, now)
            sent = notify(
                session, env, fault, chase.purpose, now, tag=f"{timer}-{number}",
                context={"chase_number": number, "chase_total": len(schedule),
                         "final": chase.final, "deadline": fault.analysis_due_at,
                         "overdue": chase.purpose == rules.Purpose.ANALYSIS_OVERDUE},
            )
            result.warnings += [f"fault {fault.id}: {w}" for w in sent.warnings]
            fault.timer_count = number
            fault.timer_due_at = rules.next_due(schedule, number)
            if fault.timer_due_at is None:
                record_event(session, fault, "chase-limit", "fault-watch",
                             f"{timer} chases stop: limit of {len(schedule)} reached", now)
            result.chased.append({"fault_id": fault.id, "purpose": str(chase.purpose),
                                  "number": number, "to": sent.to})
        pending = (
            select(Fault)
            .where(Fault.analysis_due_pending_year.is_not(None),
                   Fault.state == FaultState.RESOLVED)
            .order_by(Fault.id)
            .limit(limit)
        )
        if uow.dialect == "postgresql":
            pending = pending.with_for_update(skip_locked=True, of=Fault)
        for fault in session.scalars(pending).all():
            year = fault.analysis_due_pending_year
            if year is not None and not env.calendar.is_published(year):
                continue  # still unpublished: nothing to do, ops were told
            sent, warnings = settle_deadline(session, fault, env, now)
            if fault.analysis_due_at is not None:
                result.deadlines.append(fault.id)
            result.warnings += [f"fault {fault.id}: {w}" for n in sent for w in n.warnings]
            result.warnings += [f"fault {fault.id}: {w}" for w in warnings]
        uow.commit()
    return result
