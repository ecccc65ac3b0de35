"""R1 months as recorded facts: when a month was planned and when it was closed; closing it.

`plan_month`/`queue_call_lists` and `close_month` run under the same month lock, so a month
cannot be planned while it is being closed; a closed month is never planned again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from careops.calendar import WorkCalendar
from careops.clock import DEFAULT_TZ, local_time
from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.callbacks import Callback, CallbackMonth, CallbackStatus
from careops.db.models.common import Customer, Department, Project, Staff, StaffRole
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, InvalidTransition
from careops.mailer import Mailer
from careops.months import Month
from careops.services.callbacks.call_lists import CallListEntry, call_list_entries


class MonthClosed(InvalidTransition):
    """The month is closed (its summary went to the CS head): it is not planned again and its
    callbacks are only recorded late, by id."""


def month_lock(month: Month | str) -> str:
    """The lock name planning and closing `month` both take."""
    return f"callbacks:{month}"


def month_state(session: Session, month: Month | str) -> CallbackMonth | None:
    return session.get(CallbackMonth, str(month))


def refuse_if_closed(session: Session, month: Month, tz: ZoneInfo = DEFAULT_TZ) -> None:
    state = month_state(session, month)
    if state is not None and state.closed_at is not None:
        raise MonthClosed(
            f"{month} was closed on {local_time(state.closed_at, tz)} and its summary sent: "
            "a closed month is not planned again (its projects' next callbacks are planned in "
            "their own months; record a late call with `careops callbacks record --id N`)"
        )


def mark(session: Session, month: Month, now: datetime, *, planned: bool = False,
         closed: bool = False) -> CallbackMonth:
    """Record (once) that `month` was planned and/or closed at `now`."""
    insert_ignoring_duplicates(session, CallbackMonth, [{"month": str(month)}], ["month"])
    state = session.get_one(CallbackMonth, str(month), populate_existing=True)
    if planned and state.planned_at is None:
        state.planned_at = now
    if closed and state.closed_at is None:
        state.closed_at = now
    session.flush()
    return state


def read_month(uow: UnitOfWork, month: Month) -> dict[str, datetime | None]:
    """{"planned_at": ..., "closed_at": ...} of `month` (None when it never happened)."""
    with uow:
        state = month_state(uow.session, month)
        return {
            "planned_at": state.planned_at if state else None,
            "closed_at": state.closed_at if state else None,
        }


def scheduled_month(
    uow: UnitOfWork, today: date, cal: WorkCalendar, tz: ZoneInfo = DEFAULT_TZ
) -> tuple[Month, str | None]:
    """The month a scheduled plan-callbacks run plans `today`, or why it does nothing.

    Runs are scheduled on days 1-10: the first one on or after the month's first working day
    plans the month; if it failed, the next day's run does (the month is not yet planned)."""
    month = Month.of(today)
    first = cal.first_working_day(month.year, month.month)
    if today < first:
        return month, f"first working day is {first}"
    state = read_month(uow, month)
    if state["planned_at"] is not None:
        return month, f"already planned on {local_time(state['planned_at'], tz)}"
    return month, None


def cancel_stale(session: Session, month: Month) -> int:
    """Cancel the month's open callbacks R1 no longer wants: retired project, customer asking
    for no calls, or an anchor that is not the current delivery date (redelivered project)."""
    stale = (
        select(Callback.id)
        .join(Project, Project.id == Callback.project_id)
        .join(Customer, Customer.id == Project.customer_id)
        .where(
            Callback.month == str(month),
            Callback.status == CallbackStatus.OPEN,
            (Project.retired_on.is_not(None) & (Project.retired_on <= Callback.due_date))
            | Customer.no_calls.is_(True)
            | Project.delivered_on.is_(None)
            | (Project.delivered_on != Callback.anchor_date),
        )
    )
    result = session.execute(
        update(Callback)
        .where(Callback.id.in_(stale.scalar_subquery()))
        .values(status=CallbackStatus.CANCELLED)
    )
    return result.rowcount


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
    """Close `month` (R1): its open callbacks become missed (never tried) or done (tried, not
    reached: that is their outcome); record the month closed; queue the summary to the CS head.
    Re-running it changes nothing and mails nothing again."""
    if today <= month.last_day:
        raise CareopsError(f"{month} has not ended yet (today is {today}); close it afterwards")
    with uow:
        uow.lock(month_lock(month))
        session = uow.session
        cancel_stale(session, month)
        still_open = (Callback.month == str(month), Callback.status == CallbackStatus.OPEN)
        # tried but not reached: done, with that outcome; never tried: missed
        session.execute(
            update(Callback)
            .where(*still_open, Callback.outcome.is_not(None))
            .values(status=CallbackStatus.DONE)
        )
        result = session.execute(
            update(Callback).where(*still_open).values(status=CallbackStatus.MISSED)
        )
        mark(session, month, now, closed=True)
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
