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
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from careops.db.models.callbacks import Callback, CallbackOutcome, CallbackStatus
from careops.db.models.common import Customer, Project
from careops.db.models.faults import Fault

if TYPE_CHECKING:
    from sqlalchemy import Select


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


def _statements(projects: Select) -> tuple[Select, Select]:
    """The callbacks and faults of the week of `projects` (ids), in the order the report lists
    them; the window is bound at each call (:start, :end, :monday, :meeting_day)."""
    start, end = bindparam("start"), bindparam("end")
    recorded = (_cb.recorded_at >= start) & (_cb.recorded_at < end)
    due_missed = ((_cb.due_date >= bindparam("monday")) & (_cb.due_date < bindparam("meeting_day"))
                  & _cb.status.in_([CallbackStatus.OPEN, CallbackStatus.MISSED]))
    callbacks = (
        select(_cb.status, _cb.outcome, _cb.due_date, _cb.recorded_at, _pj.code, _cu.name)
        .join_from(Callback.__table__, Project.__table__, _pj.id == _cb.project_id)
        .join(Customer.__table__, _cu.id == _pj.customer_id)
        .where(_cb.project_id.in_(projects),
               or_(recorded & (_cb.status == CallbackStatus.DONE), due_missed))
        .order_by(_cb.due_date, _pj.code))
    faults = (
        select(_ft.id, _ft.severity, _ft.state, _ft.symptoms, _ft.reported_at, _ft.ended_at,
               _pj.code, _cu.name)
        .join_from(Fault.__table__, Project.__table__, _pj.id == _ft.project_id)
        .join(Customer.__table__, _cu.id == _pj.customer_id)
        .where(_ft.project_id.in_(projects),
               or_((_ft.reported_at >= start) & (_ft.reported_at < end),
                   (_ft.ended_at >= start) & (_ft.ended_at < end)))
        .order_by(_ft.reported_at, _ft.id))
    return callbacks, faults


# Prebuilt once (plain columns, the window and the TS contact bound per call): the personal
# weekly page reads them on every view, the reminder once a person; building the statements and
# their cache keys, and ORM rows, cost more than the queries.
_cb, _ft = Callback.__table__.c, Fault.__table__.c
_pj, _cu = Project.__table__.c, Customer.__table__.c
_DEPARTMENT = _statements(select(_pj.id))
_CONTACT = _statements(select(_pj.id).where(_pj.ts_contact_id == bindparam("ts_contact_id")))


def week_facts(session: Session, window: WeekWindow, ts_contact_id: int | None = None
               ) -> WeekFacts:
    """The week's facts for one TS contact's projects, or the whole department (None)."""
    facts = WeekFacts()
    params = {"start": window.start, "end": window.end, "monday": window.monday,
              "meeting_day": window.meeting_day, "ts_contact_id": ts_contact_id}
    callbacks, faults = _DEPARTMENT if ts_contact_id is None else _CONTACT
    if session.autoflush:  # as the ORM queries did: pending changes are seen
        session.flush()
    conn = session.connection()
    for status, outcome, due, recorded_at, code, customer in conn.execute(callbacks, params):
        fact = CallbackFact(code, customer, due, str(outcome) if outcome else None, recorded_at)
        if status != CallbackStatus.DONE:
            facts.missed.append(fact)
        elif outcome == CallbackOutcome.NOT_REACHED:
            facts.not_reached.append(fact)
        else:
            facts.done.append(fact)
    for fault_id, severity, state, symptoms, reported_at, ended_at, code, customer in (
            conn.execute(faults, params)):
        fact = FaultFact(fault_id, code, customer, str(severity), str(state), symptoms,
                         reported_at, ended_at)
        if window.start <= reported_at < window.end:
            facts.faults_reported.append(fact)
        if ended_at is not None and window.start <= ended_at < window.end:
            facts.faults_resolved.append(fact)
    return facts
