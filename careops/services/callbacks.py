"""R1 after planning: record a callback's outcome; close a month (open → missed) and report it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update

from careops.db.models import (
    Callback,
    CallbackOutcome,
    CallbackStatus,
    Department,
    Project,
    Staff,
    StaffRole,
)
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, InvalidTransition, NotFound
from careops.mailer import Mailer
from careops.months import Month
from careops.services.call_lists import CallListEntry, call_list_entries
from careops.services.callback_planning import cancel_stale


@dataclass(frozen=True)
class OutcomeInput:
    outcome: CallbackOutcome
    satisfaction: int | None = None
    notes: str | None = None
    issues_raised: str | None = None
    recorded_by: str | None = None
    no_more_calls: bool = False  # the customer asked not to be called again


def find_callback_id(uow: UnitOfWork, project_code: str, month: Month | None) -> int:
    """The callback of `project_code` to record: in `month` if given, else its oldest open one."""
    with uow:
        project_id = uow.session.scalar(select(Project.id).where(Project.code == project_code))
        if project_id is None:
            raise NotFound(f"unknown project {project_code!r}")
        query = select(Callback.id).where(Callback.project_id == project_id)
        if month is not None:
            query = query.where(Callback.month == str(month))
        else:
            query = query.where(Callback.status != CallbackStatus.DONE)
        callback_id = uow.session.scalar(query.order_by(Callback.due_date).limit(1))
        if callback_id is None:
            where = f" in {month}" if month else " still open"
            raise NotFound(f"project {project_code!r} has no callback{where}")
        return callback_id


def record_outcome(uow: UnitOfWork, callback_id: int, data: OutcomeInput, now: datetime) -> dict:
    """Record what the call gave. Repeating the same record is harmless; changing it is refused."""
    if data.satisfaction is not None and not 1 <= data.satisfaction <= 5:
        raise CareopsError(f"satisfaction must be 1 to 5, not {data.satisfaction}")
    with uow:
        callback = uow.session.get(Callback, callback_id, with_for_update=True)
        if callback is None:
            raise NotFound(f"no callback with id {callback_id}")
        if callback.status == CallbackStatus.DONE:
            if (callback.outcome, callback.satisfaction) == (data.outcome, data.satisfaction):
                return _summary(callback, changed=False)
            raise InvalidTransition(
                f"callback {callback_id} was already recorded as {callback.outcome} "
                f"by {callback.recorded_by or 'someone'} at {callback.recorded_at:%Y-%m-%d %H:%M}Z"
            )
        callback.status = CallbackStatus.DONE
        callback.outcome = data.outcome
        callback.satisfaction = data.satisfaction
        callback.notes = data.notes
        callback.issues_raised = data.issues_raised
        callback.recorded_by = data.recorded_by
        callback.recorded_at = now
        if data.no_more_calls:
            callback.project.customer.no_calls = True
            uow.session.flush()
            cancel_stale(uow.session, Month.parse(callback.month))
        summary = _summary(callback, changed=True)
        uow.commit()
    return summary


def _summary(callback: Callback, *, changed: bool) -> dict:
    return {
        "callback_id": callback.id,
        "project": callback.project.code,
        "due_date": callback.due_date.isoformat(),
        "status": str(callback.status),
        "outcome": str(callback.outcome),
        "satisfaction": callback.satisfaction,
        "changed": changed,
    }


@dataclass
class MonthSummary:
    month: str
    planned: int = 0
    done: int = 0
    missed: int = 0
    newly_missed: int = 0
    cancelled: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    average_satisfaction: float | None = None
    by_assignee: list[dict] = field(default_factory=list)
    missed_list: list[CallListEntry] = field(default_factory=list)
    mailed_to: str | None = None


def close_month(
    uow: UnitOfWork, month: Month, mailer: Mailer, *, today: date, fallback_head_email: str,
    now: datetime,
) -> MonthSummary:
    """Mark `month`'s open callbacks missed (R1) and queue the month's summary to the CS head."""
    if today <= month.last_day:
        raise CareopsError(f"{month} has not ended yet (today is {today}); close it afterwards")
    with uow:
        uow.lock(f"close-callbacks:{month}")
        session = uow.session
        cancel_stale(session, month)
        result = session.execute(
            update(Callback)
            .where(Callback.month == str(month), Callback.status == CallbackStatus.OPEN)
            .values(status=CallbackStatus.MISSED)
        )
        summary = summarise(call_list_entries(session, month), str(month))
        summary.newly_missed = result.rowcount
        head = session.scalars(
            select(Staff).where(
                Staff.department == Department.CS, Staff.role == StaffRole.HEAD, Staff.active
            ).order_by(Staff.id)
        ).first()
        summary.mailed_to = head.email if head else fallback_head_email
        mailer.queue(
            session,
            key=f"callback-month-summary:{month}",
            template="callback_month_summary",
            locale=head.locale if head else None,
            to=[summary.mailed_to],
            context={"summary": summary, "head_name": head.name if head else "客服部负责人"},
            now=now,
        )
        uow.commit()
    return summary


def summarise(entries: list[CallListEntry], month: str) -> MonthSummary:
    statuses = Counter(e.status for e in entries)
    summary = MonthSummary(month, planned=len(entries) - statuses[CallbackStatus.CANCELLED])
    summary.cancelled = statuses[CallbackStatus.CANCELLED]
    summary.done = statuses[CallbackStatus.DONE]
    summary.missed = statuses[CallbackStatus.MISSED]
    summary.outcomes = dict(Counter(e.outcome for e in entries if e.outcome))
    scores = [e.satisfaction for e in entries if e.satisfaction is not None]
    summary.average_satisfaction = round(sum(scores) / len(scores), 2) if scores else None
    per: dict[str, Counter] = {}
    for e in entries:
        per.setdefault(e.assignee_name, Counter())[e.status] += 1
    summary.by_assignee = [
        {"assignee": name, "planned": sum(c.values()), "done": c[CallbackStatus.DONE],
         "missed": c[CallbackStatus.MISSED], "open": c[CallbackStatus.OPEN]}
        for name, c in sorted(per.items())
    ]
    summary.missed_list = [e for e in entries if e.status == CallbackStatus.MISSED]
    return summary
