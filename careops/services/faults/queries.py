"""R5 read side: find a project, a fault's view and timeline (with delivery status), open faults."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from careops.db.models.common import Project
from careops.db.models.faults import Fault, FaultAnalysis, FaultEvent, FaultNotice
from careops.db.models.outbox import OutboxMessage
from careops.db.uow import UnitOfWork
from careops.errors import NotFound
from careops.rules.faults import OPEN_STATES

SHANGHAI = ZoneInfo("Asia/Shanghai")


class UnknownProject(NotFound):
    """A fault names a project code careops does not know."""


def find_project(session: Session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code.strip()))
    if project is not None:
        return project
    codes = list(session.scalars(select(Project.code)))
    close = difflib.get_close_matches(code.strip(), codes, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; no similar project code"
    raise UnknownProject(f"unknown project {code!r}{hint}")


def get_fault(session: Session, fault_id: int, *, for_update: bool = False) -> Fault:
    fault = session.get(Fault, fault_id, with_for_update=for_update or None)
    if fault is None:
        raise NotFound(f"no fault with id {fault_id}")
    return fault


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor: str
    details: str
    delivery: str = ""  # for notices: sent / pending / failed per mail


@dataclass(frozen=True)
class FaultView:
    """A fault as templates, artifacts and the CLI show it (plain values, no ORM)."""

    id: int
    project_code: str
    project_name: str
    customer_name: str
    contact_name: str
    severity: str
    state: str
    occurred_at: datetime
    place: str
    symptoms: str
    handling_plan: str
    reporter: str
    reported_at: datetime
    filed_at: datetime | None
    filed_by: str | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    ended_at: datetime | None
    resolution: str | None
    unfiled_reason: str | None
    analysis_due_at: datetime | None
    analysis_due_pending_year: int | None  # the deadline waits for this year's calendar
    analysed_at: datetime | None
    closed_at: datetime | None
    next_chase_at: datetime | None
    chases_sent: int
    timeline: list[TimelineEntry]
    analysis: dict | None

    def as_dict(self) -> dict:
        return asdict(self)


def timeline(session: Session, fault_id: int) -> list[TimelineEntry]:
    """Every step, note and notice of a fault, oldest first; notices carry delivery status.

    Two prebuilt plain queries (every view of a fault page reads them; call after a flush)."""
    conn = session.connection()
    delivery: dict[int, list[str]] = {}
    for event_id, recipients, status in conn.execute(_NOTICES, {"id": fault_id}):
        delivery.setdefault(event_id, []).append(f"{recipients}: {status or 'unknown'}")
    return [
        TimelineEntry(e.at, e.kind, e.actor, e.details, "; ".join(delivery.get(e.id, [])))
        for e in conn.execute(_EVENTS, {"id": fault_id})
    ]


_event, _notice, _outbox = FaultEvent.__table__, FaultNotice.__table__, OutboxMessage.__table__
_EVENTS = (select(_event.c.id, _event.c.at, _event.c.kind, _event.c.actor, _event.c.details)
           .where(_event.c.fault_id == bindparam("id")).order_by(_event.c.id))
_NOTICES = (select(_notice.c.event_id, _notice.c.recipients, _outbox.c.status)
            .outerjoin(_outbox, _outbox.c.key == _notice.c.outbox_key)
            .where(_notice.c.fault_id == bindparam("id")).order_by(_notice.c.id))


ANALYSIS_KEYS = ("impact", "handling", "root_cause", "corrective_actions",
                 "preventive_actions", "author", "submitted_at")


def analysis_dict(analysis, prefix: str = "") -> dict:
    """The analysis as FaultView holds it, from a FaultAnalysis or a row (`prefix` + column)."""
    return {key: getattr(analysis, prefix + key) for key in ANALYSIS_KEYS}


def fault_view(session: Session, fault: Fault) -> FaultView:
    session.flush()
    project = fault.project
    analysis = session.scalar(select(FaultAnalysis).where(FaultAnalysis.fault_id == fault.id))
    return build_view(fault, project.code, project.name, project.customer.name,
                      project.customer.contact_name, timeline(session, fault.id),
                      None if analysis is None else analysis_dict(analysis))


def build_view(fault, project_code: str, project_name: str, customer_name: str,
               contact_name: str, entries: list[TimelineEntry], analysis: dict | None
               ) -> FaultView:
    """The view of `fault`: a Fault, or a plain row with the fault table's columns."""
    return FaultView(
        id=fault.id, project_code=project_code, project_name=project_name,
        customer_name=customer_name, contact_name=contact_name,
        severity=str(fault.severity), state=str(fault.state), occurred_at=fault.occurred_at,
        place=fault.place, symptoms=fault.symptoms, handling_plan=fault.handling_plan,
        reporter=fault.reporter, reported_at=fault.reported_at, filed_at=fault.filed_at,
        filed_by=fault.filed_by, escalated_at=fault.escalated_at, resolved_at=fault.resolved_at,
        ended_at=fault.ended_at, resolution=fault.resolution, unfiled_reason=fault.unfiled_reason,
        analysis_due_at=fault.analysis_due_at,
        analysis_due_pending_year=fault.analysis_due_pending_year, analysed_at=fault.analysed_at,
        closed_at=fault.closed_at, next_chase_at=fault.timer_due_at,
        chases_sent=fault.timer_count or 0, timeline=entries, analysis=analysis,
    )


def fault_timeline(uow: UnitOfWork, fault_id: int) -> FaultView:
    """The fault with its full timeline (read only)."""
    with uow:
        return fault_view(uow.session, get_fault(uow.session, fault_id))


def open_faults(
    uow: UnitOfWork, now: datetime, *, include_closed: bool = False,
    tz: ZoneInfo = SHANGHAI,
) -> list[dict]:
    """Faults not closed (or all): id, project, severity, state, age, next escalation (local)."""

    def local(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    with uow:
        query = select(Fault).order_by(Fault.id)
        if not include_closed:
            query = query.where(Fault.state.in_(OPEN_STATES))
        rows = []
        for f in uow.session.scalars(query):
            age = now - f.reported_at
            hours, rest = divmod(int(age.total_seconds()) // 60, 60)
            rows.append({
                "id": f.id, "project": f.project.code, "severity": str(f.severity),
                "state": str(f.state), "reported_at": local(f.reported_at),
                "age": f"{hours}h{rest:02d}m", "next_escalation": (
                    f"{f.timer} #{(f.timer_count or 0) + 1} at "
                    f"{local(f.timer_due_at)}"
                    if f.timer_due_at else "-"
                ),
                "analysis_due": local(f.analysis_due_at) if f.analysis_due_at else (
                    f"pending: calendar {f.analysis_due_pending_year} not published"
                    if f.analysis_due_pending_year else "-"),
            })
        return rows


def next_timer_due(uow: UnitOfWork) -> datetime | None:
    """When the next R5 chase falls due (the earliest fault timer), None when none runs."""
    from sqlalchemy import func

    with uow:
        return uow.session.scalar(select(func.min(Fault.timer_due_at)))
