"""R1 monthly planning: create the month's callbacks once, assign them, queue the call lists.

Two units of work, each under the month's lock, so a re-run, a retry or two runs at once create
every callback once and mail every assignee once:
- `plan_month` inserts the callbacks with ON CONFLICT DO NOTHING on (project, anchor date, seq)
  and assigns them;
- `queue_call_lists` mails each assignee the callbacks not yet on a list and marks them notified
  in the same transaction as the outbox rows. A crash between the two steps loses nothing: the
  next run lists what is still unnotified (so does a project imported mid-month).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from careops.calendar import WorkCalendar
from careops.clock import DEFAULT_TZ
from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.callbacks import Callback, CallbackStatus
from careops.db.models.common import Customer, Department, Project, Staff
from careops.db.uow import UnitOfWork
from careops.mailer import Mailer
from careops.months import Month
from careops.rules.callbacks import assign_balanced, due_in_month
from careops.services.callbacks.call_lists import CallListEntry, call_list_entries, call_list_xlsx
from careops.services.callbacks.months import cancel_stale, mark, month_lock, refuse_if_closed
from careops.services.callbacks.my_calls import call_list_expiry

# A longer list is still complete in the Excel attachment.
ROWS_IN_MAIL_BODY = 200


@dataclass(frozen=True)
class CallList:
    staff_code: str
    staff_name: str
    email: str
    count: int


@dataclass
class PlanResult:
    month: str
    created: int = 0
    already_planned: int = 0
    cancelled: int = 0
    call_lists: list[CallList] = field(default_factory=list)
    planned: list[CallListEntry] = field(default_factory=list)

    @property
    def mailed(self) -> int:
        return sum(c.count for c in self.call_lists)


def plan_and_notify(
    uow: UnitOfWork, month: Month, cal: WorkCalendar, mailer: Mailer, now: datetime,
    tz: ZoneInfo = DEFAULT_TZ,
) -> PlanResult:
    """Both steps: what `plan-callbacks` and `careops callbacks plan` do."""
    result = plan_month(uow, month, cal, now, tz)
    result.call_lists, result.planned = queue_call_lists(uow, month, mailer, now, tz)
    return result


def plan_month(
    uow: UnitOfWork, month: Month, cal: WorkCalendar, now: datetime, tz: ZoneInfo = DEFAULT_TZ
) -> PlanResult:
    """Create every callback due in `month` (R1) that does not exist yet, and assign it.

    A closed month is refused (MonthClosed): its summary is out, so callbacks created now
    would be due in the past and reported nowhere."""
    with uow:
        uow.lock(month_lock(month))
        session = uow.session
        refuse_if_closed(session, month, tz)
        result = PlanResult(str(month))
        due = _callbacks_due(uow, month, cal)
        existing = _existing_keys(uow, month)
        new = [c for c in due if (c[0], c[1], c[2]) not in existing]
        result.already_planned = len(due) - len(new)
        if new:
            assignments = assign_balanced(
                [((pid, anchor, seq), owner) for pid, anchor, seq, _due, owner in new],
                _active_cs_staff(uow),
                _current_load(uow, month),
            )
            rows = [
                {
                    "project_id": pid,
                    "anchor_date": anchor,
                    "seq": seq,
                    "due_date": due_date,
                    "month": str(month),
                    "assignee_id": assignments[(pid, anchor, seq)],
                    "status": CallbackStatus.OPEN,
                    "created_at": now,
                }
                for pid, anchor, seq, due_date, _owner in new
            ]
            insert_ignoring_duplicates(
                session, Callback, rows, ["project_id", "anchor_date", "seq"]
            )
            result.created = _count(uow, month) - len(existing)
        result.cancelled = cancel_stale(uow.session, month)
        uow.commit()
    return result


def _callbacks_due(
    uow: UnitOfWork, month: Month, cal: WorkCalendar
) -> list[tuple[int, date, int, date, int | None]]:
    """(project id, anchor, seq, due date, CS owner) of every callback R1 puts in `month`."""
    query = (
        select(Project.id, Project.delivered_on, Project.cs_owner_id)
        .join(Customer, Customer.id == Project.customer_id)
        .where(
            Project.delivered_on.is_not(None),
            Project.delivered_on < month.first_day,
            (Project.retired_on.is_(None)) | (Project.retired_on > month.first_day),
            Customer.no_calls.is_(False),
        )
        .order_by(Project.id)
    )
    due = []
    for pid, delivered_on, owner in uow.session.connection().execute(query):
        for seq, due_date in due_in_month(delivered_on, month.year, month.month, cal):
            due.append((pid, delivered_on, seq, due_date, owner))
    return due


def _existing_keys(uow: UnitOfWork, month: Month) -> set[tuple[int, date, int]]:
    query = select(Callback.project_id, Callback.anchor_date, Callback.seq).where(
        Callback.month == str(month)
    )
    return {tuple(row) for row in uow.session.execute(query)}


def _count(uow: UnitOfWork, month: Month) -> int:
    query = select(func.count()).select_from(Callback).where(Callback.month == str(month))
    return uow.session.scalar(query) or 0


def _active_cs_staff(uow: UnitOfWork) -> list[int]:
    query = select(Staff.id).where(Staff.department == Department.CS, Staff.active.is_(True))
    return list(uow.session.scalars(query.order_by(Staff.id)))


def _current_load(uow: UnitOfWork, month: Month) -> dict[int, int]:
    query = (
        select(Callback.assignee_id, func.count())
        .where(Callback.month == str(month), Callback.assignee_id.is_not(None))
        .group_by(Callback.assignee_id)
    )
    return {staff_id: count for staff_id, count in uow.session.execute(query)}


def queue_call_lists(
    uow: UnitOfWork, month: Month, mailer: Mailer, now: datetime, tz: ZoneInfo = DEFAULT_TZ
) -> tuple[list[CallList], list[CallListEntry]]:
    """Mail each assignee the open callbacks of `month` not yet on a list; mark them notified
    and the month planned (from then on, scheduled runs leave it alone)."""
    with uow:
        uow.lock(month_lock(month))
        refuse_if_closed(uow.session, month, tz)
        lists, entries = _queue_call_lists(uow, month, mailer, now, tz)
        mark(uow.session, month, now, planned=True)
        uow.commit()
    return lists, entries


def _queue_call_lists(
    uow: UnitOfWork, month: Month, mailer: Mailer, now: datetime, tz: ZoneInfo
) -> tuple[list[CallList], list[CallListEntry]]:
    session = uow.session
    entries = call_list_entries(session, month, only_unnotified=True)
    by_assignee: dict[int, list[CallListEntry]] = defaultdict(list)
    for entry in entries:
        by_assignee[entry.assignee_id].append(entry)
    staff = {
        s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(list(by_assignee))))
    }
    lists = []
    for staff_id, items in sorted(by_assignee.items()):
        person = staff[staff_id]
        digest = hashlib.sha1(",".join(str(i.callback_id) for i in items).encode()).hexdigest()
        mailer.queue(
            session,
            key=f"call-list:{month}:{person.code}:{digest[:16]}",
            template="call_list",
            locale=person.locale,
            to=[person.email],
            context={
                "staff_name": person.name,
                "month": str(month),
                "callbacks": items[:ROWS_IN_MAIL_BODY],
                "total": len(items),
                "link": mailer.staff_link(person, "calls", month, call_list_expiry(month, tz)),
            },
            attachments=[
                call_list_xlsx(items, month, person.locale,
                               f"call-list-{month}-{person.code}.xlsx")
            ],
            now=now,
        )
        lists.append(CallList(person.code, person.name, person.email, len(items)))
    # the same rows call_list_entries(only_unnotified=True) read: we hold the month's lock
    session.execute(
        update(Callback)
        .where(
            Callback.month == str(month),
            Callback.notified_at.is_(None),
            Callback.status == CallbackStatus.OPEN,
            Callback.assignee_id.is_not(None),
        )
        .values(notified_at=now)
    )
    return lists, entries
