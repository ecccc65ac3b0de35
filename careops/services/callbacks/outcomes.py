"""R1 outcomes: find the callback a call was for, record each attempt (the latest counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.clock import DEFAULT_TZ, local_time
from careops.db.models.callbacks import Callback, CallbackAttempt, CallbackOutcome, CallbackStatus
from careops.db.models.common import Project
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, InvalidTransition, NotFound
from careops.months import Month
from careops.services.callbacks.months import MonthClosed, cancel_stale, month_state

FINAL_OUTCOMES = frozenset({CallbackOutcome.REACHED, CallbackOutcome.DECLINED})


@dataclass(frozen=True)
class OutcomeInput:
    outcome: CallbackOutcome
    satisfaction: int | None = None
    notes: str | None = None
    issues_raised: str | None = None
    recorded_by: str | None = None
    no_more_calls: bool = False  # the customer asked not to be called again


def check_outcome(outcome: CallbackOutcome, satisfaction: int | None) -> None:
    """Refuse what no call can give: a score out of 1-5, a score from a customer not reached."""
    if satisfaction is None:
        return
    if not 1 <= satisfaction <= 5:
        raise CareopsError(f"satisfaction must be 1 to 5, not {satisfaction}")
    if outcome != CallbackOutcome.REACHED:
        raise CareopsError(
            f"satisfaction is only given when the customer was reached, not {outcome}"
        )


def find_callback_id(
    uow: UnitOfWork, project_code: str, month: Month | None, tz: ZoneInfo = DEFAULT_TZ
) -> int:
    """The callback of `project_code` to record: its open one (the oldest, if several), or the
    one in `month`. A closed month's callback is only recorded by its id (a late record)."""
    with uow:
        session = uow.session
        project_id = session.scalar(select(Project.id).where(Project.code == project_code))
        if project_id is None:
            raise NotFound(f"unknown project {project_code!r}")
        query = select(Callback).where(Callback.project_id == project_id)
        if month is None:
            query = query.where(Callback.status == CallbackStatus.OPEN)
        else:
            query = query.where(Callback.month == str(month))
        callback = session.scalars(query.order_by(Callback.due_date).limit(1)).first()
        if callback is None:
            raise NotFound(
                f"project {project_code!r} has no callback in {month}" if month else
                f"project {project_code!r} has no open callback; to record a closed month's "
                "callback late, give --id"
            )
        closed = closed_note(session, callback, tz)
        if month is not None and closed is not None:
            raise MonthClosed(
                f"{month} is closed ({closed}): to record callback {callback.id} of project "
                f"{project_code!r} late, give --id {callback.id}"
            )
        return callback.id


def closed_note(session: Session, callback: Callback, tz: ZoneInfo = DEFAULT_TZ) -> str | None:
    """Why recording `callback` now is late (its month was closed), or None."""
    state = month_state(session, callback.month)
    if state is not None and state.closed_at is not None:
        return f"{callback.month} was closed on {local_time(state.closed_at, tz)}"
    if callback.status == CallbackStatus.MISSED:
        return f"callback {callback.id} was marked missed when {callback.month} was closed"
    return None


def record_outcome(
    uow: UnitOfWork,
    callback_id: int,
    data: OutcomeInput,
    now: datetime,
    *,
    tz: ZoneInfo = DEFAULT_TZ,
    key: str | None = None,
) -> dict:
    """Record one call's outcome as a new attempt; the latest attempt's outcome counts.

    `not_reached` leaves the callback open for another try; `reached` and `declined` are final
    (repeating the same final record is harmless, a different one is refused). A cancelled
    callback takes no outcome. A callback of a closed month is recorded late (flagged).
    `key` (e.g. the flow run) makes a retried request record nothing twice."""
    check_outcome(data.outcome, data.satisfaction)
    with uow:
        session = uow.session
        callback = session.get(Callback, callback_id, with_for_update=True)
        if callback is None:
            raise NotFound(f"no callback with id {callback_id}")
        if key is not None and session.scalar(
            select(CallbackAttempt.id).where(CallbackAttempt.request_key == key)
        ):
            return _summary(callback, tz, changed=False)
        if callback.status == CallbackStatus.CANCELLED:
            raise InvalidTransition(
                f"callback {callback_id} (project {callback.project.code}, due "
                f"{callback.due_date}) was cancelled: the project was retired or redelivered, "
                "or the customer asked for no calls; it takes no outcome"
            )
        if callback.outcome in FINAL_OUTCOMES:
            if (callback.outcome, callback.satisfaction) == (data.outcome, data.satisfaction):
                return _summary(callback, tz, changed=False)
            raise InvalidTransition(
                f"callback {callback_id} was already recorded as {callback.outcome} by "
                f"{callback.recorded_by or 'someone'} at {local_time(callback.recorded_at, tz)};"
                " a reached or declined callback is final"
            )
        closed = closed_note(session, callback, tz)
        attempt = CallbackAttempt(
            seq=len(callback.attempts) + 1,
            outcome=data.outcome,
            satisfaction=data.satisfaction,
            notes=data.notes,
            issues_raised=data.issues_raised,
            recorded_by=data.recorded_by,
            recorded_at=now,
            late=closed is not None,
            request_key=key,
        )
        callback.attempts.append(attempt)
        _apply_latest(callback, attempt, month_closed=closed is not None)
        if data.no_more_calls:
            _no_more_calls(session, callback)
        summary = _summary(callback, tz, changed=True)
        if closed is not None:
            summary["late"] = f"recorded late: {closed}"
        due_month, this_month = Month.parse(callback.month), Month.of(now.astimezone(tz).date())
        if due_month > this_month:
            summary["warnings"].append(
                f"callback {callback_id} is due {callback.due_date}, in {due_month}, after "
                f"this month ({this_month}): recorded anyway; check the callback number"
            )
        uow.commit()
    return summary


def callback_history(uow: UnitOfWork, callback_id: int, tz: ZoneInfo = DEFAULT_TZ) -> dict:
    """A callback and every attempt recorded for it, oldest first, times in local time."""
    with uow:
        callback = uow.session.get(Callback, callback_id)
        if callback is None:
            raise NotFound(f"no callback with id {callback_id}")
        summary = _summary(callback, tz, changed=False)
        summary["history"] = [
            {"attempt": a.seq, "outcome": str(a.outcome), "satisfaction": a.satisfaction,
             "by": a.recorded_by, "at": local_time(a.recorded_at, tz), "late": a.late,
             "notes": a.notes, "issues_raised": a.issues_raised}
            for a in callback.attempts
        ]
        return summary


def _no_more_calls(session: Session, callback: Callback) -> None:
    """The customer asked for no calls: cancel their open callbacks, in every month."""
    customer = callback.project.customer
    customer.no_calls = True
    session.flush()
    months = session.scalars(
        select(Callback.month).distinct().join(Project, Project.id == Callback.project_id)
        .where(Project.customer_id == customer.id, Callback.status == CallbackStatus.OPEN)
    ).all()
    for month in months:
        cancel_stale(session, Month.parse(month))


def _apply_latest(callback: Callback, attempt: CallbackAttempt, *, month_closed: bool) -> None:
    """The callback shows its latest attempt; open until a final outcome or its month ends."""
    final = attempt.outcome in FINAL_OUTCOMES
    callback.status = CallbackStatus.DONE if final or month_closed else CallbackStatus.OPEN
    callback.outcome = attempt.outcome
    callback.satisfaction = attempt.satisfaction
    callback.notes = attempt.notes
    callback.issues_raised = attempt.issues_raised
    callback.recorded_by = attempt.recorded_by
    callback.recorded_at = attempt.recorded_at


def _summary(callback: Callback, tz: ZoneInfo, *, changed: bool) -> dict:
    return {
        "callback_id": callback.id,
        "project": callback.project.code,
        "month": callback.month,
        "due_date": callback.due_date.isoformat(),
        "status": str(callback.status),
        "outcome": str(callback.outcome),
        "satisfaction": callback.satisfaction,
        "attempts": len(callback.attempts),
        "recorded_at": local_time(callback.recorded_at, tz) if callback.recorded_at else None,
        "changed": changed,
        "late": None,
        "warnings": [],
    }
