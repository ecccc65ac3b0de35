"""R1 for the person who calls: "my callbacks this month" and recording one call from it.

`my_call_list` is the read side of a CS person's personal call-list page (and of nothing
else: the month's list for everyone is call_lists.py). `record_call` is what both
`careops callbacks record` and the page do: record the attempt (outcomes.record_outcome, the
same rules), then, when the customer's issue is a complaint, open its case (R6) in a second
transaction (a case that fails to open leaves the recorded call in place, and says why).
`call_list_expiry` is when the personal link of a month's call list stops working: the month's
end plus `LINK_GRACE` (late records stay possible for a week after the month closes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select

from careops.clock import DEFAULT_TZ, local_time
from careops.db.models.callbacks import (
    Callback,
    CallbackAttempt,
    CallbackOutcome,
    CallbackStatus,
)
from careops.db.models.common import Customer, Project
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, NotFound
from careops.months import Month
from careops.services.callbacks.outcomes import FINAL_OUTCOMES, OutcomeInput, record_outcome

LINK_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Attempt:
    seq: int
    at: str
    by: str | None
    outcome: str
    satisfaction: int | None
    notes: str | None
    issues_raised: str | None
    late: bool


@dataclass(frozen=True)
class MyCall:
    callback_id: int
    due_date: date
    customer_name: str
    contact_name: str
    contact_phone: str
    project_code: str
    project_name: str
    status: str
    outcome: str | None
    satisfaction: int | None
    attempts: tuple[Attempt, ...]

    @property
    def done(self) -> bool:
        """Reached or declined (a missed one can still be recorded, late)."""
        return self.status == CallbackStatus.DONE


@dataclass(frozen=True)
class MyCallList:
    month: Month
    calls: tuple[MyCall, ...]

    @property
    def total(self) -> int:
        return len(self.calls)

    @property
    def done(self) -> int:
        return sum(1 for c in self.calls if c.done)


def call_list_expiry(month: Month, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """The instant a call list's personal link stops working: month end (local) + LINK_GRACE."""
    return datetime.combine(month.next().first_day, time(), tz) + LINK_GRACE


_cb, _at = Callback.__table__.c, CallbackAttempt.__table__.c
_project, _customer = Project.__table__.c, Customer.__table__.c
_MINE = (_cb.assignee_id == bindparam("staff_id"), _cb.month == bindparam("month"),
         _cb.status != CallbackStatus.CANCELLED)
_MY_CALLS = (
    select(_cb.id, _cb.due_date, _cb.status, _cb.outcome, _cb.satisfaction, _customer.name,
           _customer.contact_name, _customer.contact_phone, _project.code, _project.name)
    .join_from(Callback.__table__, Project.__table__, _project.id == _cb.project_id)
    .join(Customer.__table__, _customer.id == _project.customer_id)
    .where(*_MINE).order_by(_cb.due_date, _cb.id))
_MY_ATTEMPTS = (
    select(_at.callback_id, _at.seq, _at.recorded_at, _at.recorded_by, _at.outcome,
           _at.satisfaction, _at.notes, _at.issues_raised, _at.late)
    .join_from(CallbackAttempt.__table__, Callback.__table__, _cb.id == _at.callback_id)
    .where(*_MINE).order_by(_at.callback_id, _at.seq))


def my_call_list(uow: UnitOfWork, staff_id: int, month: Month,
                 tz: ZoneInfo = DEFAULT_TZ) -> MyCallList:
    """`staff_id`'s callbacks due in `month` (cancelled ones left out), by due date.

    The page's read on every view: two plain column queries (the callbacks with their project
    and customer, then their attempts), no ORM objects to build."""
    mine = {"staff_id": staff_id, "month": str(month)}
    with uow:
        conn = uow.session.connection()
        rows = conn.execute(_MY_CALLS, mine).all()
        attempts: dict[int, list[Attempt]] = {}
        if rows:
            for a in conn.execute(_MY_ATTEMPTS, mine):
                attempts.setdefault(a.callback_id, []).append(Attempt(
                    a.seq, local_time(a.recorded_at, tz), a.recorded_by, str(a.outcome),
                    a.satisfaction, a.notes, a.issues_raised, a.late))
    calls = tuple(
        MyCall(
            callback_id=r.id, due_date=r.due_date, customer_name=r[5], contact_name=r[6],
            contact_phone=r[7] or "", project_code=r[8], project_name=r[9],
            status=str(r.status), outcome=str(r.outcome) if r.outcome else None,
            satisfaction=r.satisfaction, attempts=tuple(attempts.get(r.id, ())),
        )
        for r in rows
    )
    return MyCallList(month, calls)


def check_mine(uow: UnitOfWork, callback_id: int, staff_id: int, month: Month) -> None:
    """NotFound unless callback `callback_id` is `staff_id`'s, due in `month`."""
    with uow:
        callback = uow.session.get(Callback, callback_id)
        if callback is None or callback.assignee_id != staff_id or callback.month != str(month):
            raise NotFound(f"callback {callback_id} is not on this call list")


@dataclass(frozen=True)
class RecordedCall:
    summary: dict
    case: object | None  # careops.services.cases.steps.CaseResult when a complaint was opened


def record_call(
    uow: UnitOfWork, callback_id: int, data: OutcomeInput, now: datetime, *,
    complaint: bool = False, case_env=None, case_uow: UnitOfWork | None = None,
    tz: ZoneInfo = DEFAULT_TZ, key: str | None = None,
) -> RecordedCall:
    """Record one call (the rules of outcomes.record_outcome); with `complaint`, the issues
    raised open a complaint case (R6) owned by the callback's assignee."""
    if complaint and not (data.issues_raised or "").strip():
        raise CareopsError("a complaint needs the issues raised: what the customer complained "
                           "about")
    summary = record_outcome(uow, callback_id, data, now, tz=tz, key=key)
    case = None
    if complaint:
        from careops.services.cases.notices import CaseEnv
        from careops.services.cases.steps import open_case_from_callback

        case = open_case_from_callback(case_uow or UnitOfWork(uow.engine), callback_id,
                                       case_env or CaseEnv.from_settings(), now)
    return RecordedCall(summary, case)


__all__ = ["FINAL_OUTCOMES", "CallbackOutcome", "MyCall", "MyCallList", "RecordedCall",
           "call_list_expiry", "check_mine", "my_call_list", "record_call"]
