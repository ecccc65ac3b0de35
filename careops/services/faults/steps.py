"""R5 fault steps: report, file, update, resolve, submit the analysis.

Each step is one unit of work: validated first (a CareopsError writes nothing), then the state,
its timestamp, the timeline event, the timer and the outbox mails are committed together. The
fault row is locked (FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite) so concurrent steps
and the fault-watch sweep see each other's result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.faults import Fault, FaultAnalysis
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.rules import faults as rules
from careops.rules.faults import FaultSeverity, FaultState, FaultTimer, Purpose
from careops.services.faults.env import FaultEnv
from careops.services.faults.notices import Notified, notify, record_event
from careops.services.faults.queries import find_project, get_fault
from careops.services.faults.timers import arm, settle_deadline


@dataclass(frozen=True)
class FaultReport:
    project_code: str
    occurred_at: datetime
    place: str
    symptoms: str
    handling_plan: str
    severity: FaultSeverity
    reporter: str
    report_key: str | None = None  # client-supplied; default: project + minute + symptoms


@dataclass(frozen=True)
class StepResult:
    fault_id: int
    state: str
    changed: bool  # False: the same report again (one fault), nothing new written
    notified: list[str]
    warnings: list[str] = field(default_factory=list)  # who could not be reached, pending ...

    @classmethod
    def of(cls, fault: Fault, *sent: Notified, warnings: tuple[str, ...] = ()) -> StepResult:
        to = list(dict.fromkeys(a for n in sent for a in n.to))
        found = [w for n in sent for w in n.warnings]
        return cls(fault.id, str(fault.state), True, to, list(dict.fromkeys([*found, *warnings])))


@dataclass(frozen=True)
class AnalysisInput:
    impact: str
    handling: str
    root_cause: str
    corrective_actions: str
    preventive_actions: str
    author: str


def report_fault(uow: UnitOfWork, data: FaultReport, env: FaultEnv, now: datetime) -> StepResult:
    """Store the report once and notify per severity; the same report again changes nothing."""
    rules.validate_report(data.occurred_at, now, data.symptoms, data.place)
    if not data.reporter.strip():
        raise rules.FaultReportError("reporter is empty: say who reports the fault")
    key = data.report_key or rules.report_key(data.project_code, data.occurred_at, data.symptoms)
    with uow:
        session = uow.session
        project = find_project(session, data.project_code)
        insert_ignoring_duplicates(session, Fault, [{
            "report_key": key, "project_id": project.id, "severity": data.severity,
            "state": FaultState.REPORTED, "occurred_at": data.occurred_at,
            "place": data.place.strip(), "symptoms": data.symptoms.strip(),
            "handling_plan": data.handling_plan.strip(), "reporter": data.reporter.strip(),
            "reported_at": now, "timer_count": 0,
        }], ["report_key"])
        fault = session.scalar(select(Fault).where(Fault.report_key == key))
        assert fault is not None
        if fault.events:  # reported before: one fault, no second notice
            return StepResult(fault.id, str(fault.state), False, [])
        record_event(session, fault, "reported", data.reporter,
                     f"{data.severity} fault at {data.place}: {data.symptoms}", now)
        if data.severity == FaultSeverity.MAJOR:
            arm(fault, FaultTimer.FILING, env)
        result = StepResult.of(fault, notify(session, env, fault, Purpose.NOTICE, now))
        uow.commit()
    return result


def file_fault(
    uow: UnitOfWork, fault_id: int, by: str, env: FaultEnv, now: datetime,
    comment: str | None = None,
) -> StepResult:
    """The manager files the fault; it goes to senior leadership and the filing chase stops."""
    with uow:
        session = uow.session
        fault = get_fault(session, fault_id, for_update=True)
        rules.check_file(fault.id, fault.state)
        fault.state, fault.filed_at, fault.filed_by = FaultState.FILED, now, by
        record_event(session, fault, "filed", by, comment or "", now)
        fault.state, fault.escalated_at = FaultState.ESCALATED, now
        record_event(session, fault, "escalated", "careops", "passed to senior leadership", now)
        arm(fault, None, env)
        sent = notify(session, env, fault, Purpose.FILED, now, context={"comment": comment})
        result = StepResult.of(fault, sent)
        uow.commit()
    return result


def update_fault(
    uow: UnitOfWork, fault_id: int, note: str, by: str, env: FaultEnv, now: datetime
) -> StepResult:
    """A progress note on an open fault; the responsible manager is told."""
    if not note.strip():
        raise CareopsError("the progress note is empty")
    with uow:
        session = uow.session
        fault = get_fault(session, fault_id, for_update=True)
        rules.check_update(fault.id, fault.state)
        event = record_event(session, fault, "update", by, note.strip(), now)
        sent = notify(session, env, fault, Purpose.UPDATE, now, tag=str(event.id),
                      context={"note": note.strip(), "by": by})
        result = StepResult.of(fault, sent)
        uow.commit()
    return result


def resolve_fault(
    uow: UnitOfWork, fault_id: int, resolution: str, by: str, env: FaultEnv, now: datetime,
    *, ended_at: datetime | None = None, unfiled_reason: str | None = None,
) -> StepResult:
    """Record the end; ask the TS supervisor for the analysis by the working-day deadline,
    counted from when the fault ended. A deadline that needs an unpublished calendar year does
    not stop the resolution: it is stored as pending, ops are told, fault-watch computes it."""
    if not resolution.strip():
        raise CareopsError("the resolution is empty: say how the fault was ended")
    ended = ended_at or now
    if ended > now:
        raise CareopsError(f"ended_at {ended.isoformat(timespec='minutes')} is in the future")
    with uow:
        session = uow.session
        fault = get_fault(session, fault_id, for_update=True)
        rules.check_resolve(fault.id, fault.state, fault.severity, unfiled_reason)
        if ended < fault.occurred_at:
            raise CareopsError(f"fault {fault.id} cannot end before it occurred")
        fault.state, fault.resolved_at, fault.ended_at = FaultState.RESOLVED, now, ended
        fault.resolution = resolution.strip()
        if fault.filed_at is None and unfiled_reason:
            fault.unfiled_reason = unfiled_reason.strip()
        details = resolution.strip() + (f" (unfiled: {unfiled_reason})" if unfiled_reason else "")
        record_event(session, fault, "resolved", by, details, now)
        arm(fault, None, env)
        sent, warnings = settle_deadline(session, fault, env, now)
        result = StepResult.of(fault, *sent, warnings=tuple(warnings))
        uow.commit()
    return result


def submit_analysis(
    uow: UnitOfWork, fault_id: int, data: AnalysisInput, env: FaultEnv, now: datetime
) -> StepResult:
    """Store the analysis, send the report to the customer's contact and BIZ, close the fault."""
    empty = [k for k, v in vars(data).items() if not str(v).strip()]
    if empty:
        raise CareopsError(f"the analysis needs {', '.join(empty)}")
    with uow:
        session = uow.session
        fault = get_fault(session, fault_id, for_update=True)
        rules.check_analysis(fault.id, fault.state)
        session.add(FaultAnalysis(fault_id=fault.id, submitted_at=now, **{
            k: v.strip() for k, v in vars(data).items()
        }))
        fault.state, fault.analysed_at = FaultState.ANALYSED, now
        record_event(session, fault, "analysed", data.author, "analysis report submitted", now)
        arm(fault, None, env)
        fault.analysis_due_pending_year = None  # submitted before its deadline could be set
        fault.state, fault.closed_at = FaultState.CLOSED, now
        sent = notify(session, env, fault, Purpose.REPORT, now)
        to_customer = not any(u.role == "customer" for u in sent.unreached)
        record_event(session, fault, "closed", "careops", "report sent to BIZ and the customer"
                     if to_customer else "report sent to BIZ; not sent to the customer "
                     "(no e-mail address): send it by other means", now)
        result = StepResult.of(fault, sent)
        uow.commit()
    return result
