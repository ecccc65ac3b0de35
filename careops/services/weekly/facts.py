"""The week's facts from the system for the weekly report (R4): a person's draft, the department.

Per person: the projects they are the TS contact of. Callbacks done (reached / declined) and not
reached are those recorded this week; missed ones are due from Monday to the day before the
meeting and still not done. Faults are those reported or ended this week, with their times.
Complaints (R6) and monitoring incidents (R3) join `WeekFacts` as those processes land: add a
query here and a section to the weekly templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from careops.db.models.callbacks import Callback, CallbackOutcome, CallbackStatus
from careops.db.models.common import Customer, Project
from careops.db.models.faults import Fault


@dataclass(frozen=True)
class WeekWindow:
    monday: date
    meeting_day: date
    start: datetime  # Monday 00:00 local
    end: datetime  # next Monday 00:00 local

    @classmethod
    def of(cls, monday: date, meeting_day: date, tz: ZoneInfo) -> WeekWindow:
        start = datetime.combine(monday, time(0), tzinfo=tz)
        return cls(monday, meeting_day, start, start + timedelta(days=7))


@dataclass(frozen=True)
class CallbackFact:
    project_code: str
    customer_name: str
    due_date: date
    outcome: str | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class FaultFact:
    fault_id: int
    project_code: str
    customer_name: str
    severity: str
    state: str
    symptoms: str
    reported_at: datetime
    ended_at: datetime | None

    @property
    def hours_to_resolve(self) -> float | None:
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.reported_at).total_seconds() / 3600, 1)


@dataclass
class WeekFacts:
    done: list[CallbackFact] = field(default_factory=list)
    not_reached: list[CallbackFact] = field(default_factory=list)
    missed: list[CallbackFact] = field(default_factory=list)
    faults_reported: list[FaultFact] = field(default_factory=list)
    faults_resolved: list[FaultFact] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.done or self.not_reached or self.missed or self.faults_reported
                    or self.faults_resolved)

    def figures(self) -> dict[str, int]:
        return {"callbacks_done": len(self.done), "callbacks_not_reached": len(self.not_reached),
                "callbacks_missed": len(self.missed), "faults_reported": len(self.faults_reported),
                "faults_resolved": len(self.faults_resolved)}


def week_facts(session: Session, window: WeekWindow, ts_contact_id: int | None = None
               ) -> WeekFacts:
    """The week's facts for one TS contact's projects, or the whole department (None)."""
    facts = WeekFacts()
    projects = select(Project.id)
    if ts_contact_id is not None:
        projects = projects.where(Project.ts_contact_id == ts_contact_id)
    recorded = (Callback.recorded_at >= window.start) & (Callback.recorded_at < window.end)
    due_missed = (
        (Callback.due_date >= window.monday) & (Callback.due_date < window.meeting_day)
        & Callback.status.in_([CallbackStatus.OPEN, CallbackStatus.MISSED])
    )
    rows = session.execute(
        select(Callback.status, Callback.outcome, Callback.due_date, Callback.recorded_at,
               Project.code, Customer.name)
        .join(Project, Project.id == Callback.project_id)
        .join(Customer, Customer.id == Project.customer_id)
        .where(Callback.project_id.in_(projects),
               or_(recorded & (Callback.status == CallbackStatus.DONE), due_missed))
        .order_by(Callback.due_date, Project.code)
    ).all()
    for status, outcome, due, recorded_at, code, customer in rows:
        fact = CallbackFact(code, customer, due, str(outcome) if outcome else None, recorded_at)
        if status != CallbackStatus.DONE:
            facts.missed.append(fact)
        elif outcome == CallbackOutcome.NOT_REACHED:
            facts.not_reached.append(fact)
        else:
            facts.done.append(fact)
    in_week = lambda column: (column >= window.start) & (column < window.end)  # noqa: E731
    faults = session.execute(
        select(Fault, Project.code, Customer.name)
        .join(Project, Project.id == Fault.project_id)
        .join(Customer, Customer.id == Project.customer_id)
        .where(Fault.project_id.in_(projects),
               or_(in_week(Fault.reported_at), in_week(Fault.ended_at)))
        .order_by(Fault.reported_at, Fault.id)
    ).all()
    for fault, code, customer in faults:
        fact = FaultFact(fault.id, code, customer, str(fault.severity), str(fault.state),
                         fault.symptoms, fault.reported_at, fault.ended_at)
        if window.start <= fault.reported_at < window.end:
            facts.faults_reported.append(fact)
        if fault.ended_at is not None and window.start <= fault.ended_at < window.end:
            facts.faults_resolved.append(fact)
    return facts
