"""R5 read side: find a project, a fault's view and timeline (with delivery status), open faults."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
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
    """Every step, note and notice of a fault, oldest first; notices carry delivery status."""
    events = session.scalars(
        select(FaultEvent).where(FaultEvent.fault_id == fault_id).order_by(FaultEvent.id)
    ).all()
    rows = session.execute(
        select(FaultNotice.event_id, FaultNotice.recipients, OutboxMessage.status)
        .join(OutboxMessage, OutboxMessage.key == FaultNotice.outbox_key, isouter=True)
        .where(FaultNotice.fault_id == fault_id)
        .order_by(FaultNotice.id)
    ).all()
    delivery: dict[int, list[str]] = {}
    for event_id, recipients, status in rows:
        delivery.setdefault(event_id, []).append(f"{recipients}: {status or 'unknown'}")
    return [
        TimelineEntry(e.at, e.kind, e.actor, e.details, "; ".join(delivery.get(e.id, [])))
        for e in events
    ]


def fault_view(session: Session, fault: Fault) -> FaultView:
    session.flush()
    project = fault.project
    analysis = session.scalar(select(FaultAnalysis).where(FaultAnalysis.fault_id == fault.id))
    return FaultView(
        id=fault.id, project_code=project.code, project_name=project.name,
        customer_name=project.customer.name, contact_name=project.customer.contact_name,
        severity=str(fault.severity), state=str(fault.state), occurred_at=fault.occurred_at,
        place=fault.place, symptoms=fault.symptoms, handling_plan=fault.handling_plan,
        reporter=fault.reporter, reported_at=fault.reported_at, filed_at=fault.filed_at,
        filed_by=fault.filed_by, escalated_at=fault.escalated_at, resolved_at=fault.resolved_at,
        ended_at=fault.ended_at, resolution=fault.resolution, unfiled_reason=fault.unfiled_reason,
        analysis_due_at=fault.analysis_due_at,
        analysis_due_pending_year=fault.analysis_due_pending_year, analysed_at=fault.analysed_at,
        closed_at=fault.closed_at, next_chase_at=fault.timer_due_at,
        chases_sent=fault.timer_count or 0, timeline=timeline(session, fault.id),
        analysis=None if analysis is None else {
            "impact": analysis.impact, "handling": analysis.handling,
            "root_cause": analysis.root_cause,
            "corrective_actions": analysis.corrective_actions,
            "preventive_actions": analysis.preventive_actions, "author": analysis.author,
            "submitted_at": analysis.submitted_at,
        },
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
