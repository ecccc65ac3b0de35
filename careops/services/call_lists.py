"""Read model of a month's callbacks: what a call list, the CLI and the artifacts show."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from careops.db.models import Callback, CallbackStatus, Customer, Project, Staff
from careops.mailer import Attachment
from careops.months import Month


class CallListEntry(NamedTuple):  # a NamedTuple: built 100,000 times per planning run
    callback_id: int
    due_date: date
    project_code: str
    project_name: str
    customer_name: str
    contact_name: str
    contact_phone: str
    assignee_id: int
    assignee_name: str
    status: str
    outcome: str | None
    satisfaction: int | None
    last_outcome: str | None  # the project's previous recorded outcome, if any

    def as_row(self) -> dict[str, object]:
        row = self._asdict()
        row["due_date"] = self.due_date.isoformat()
        return row


def call_list_entries(
    session: Session, month: Month, *, only_unnotified: bool = False
) -> list[CallListEntry]:
    """The callbacks due in `month`, by assignee then due date."""
    assignee = aliased(Staff)
    query = (
        select(
            Callback.id,
            Callback.due_date,
            Callback.project_id,
            Callback.status,
            Callback.outcome,
            Callback.satisfaction,
            Project.code,
            Project.name,
            Customer.name,
            Customer.contact_name,
            Customer.contact_phone,
            assignee.id,
            assignee.name,
        )
        .join(Project, Project.id == Callback.project_id)
        .join(Customer, Customer.id == Project.customer_id)
        .join(assignee, assignee.id == Callback.assignee_id)
        .where(Callback.month == str(month))
        .order_by(assignee.id, Callback.due_date, Project.code)
    )
    if only_unnotified:
        query = query.where(
            Callback.notified_at.is_(None), Callback.status == CallbackStatus.OPEN
        )
    rows = session.connection().execute(query).all()
    last = _last_outcomes(session, month)
    return [
        CallListEntry(
            callback_id=cid,
            due_date=due,
            project_code=pcode,
            project_name=pname,
            customer_name=cname,
            contact_name=contact,
            contact_phone=phone or "",
            assignee_id=sid,
            assignee_name=sname,
            status=str(status),
            outcome=str(outcome) if outcome else None,
            satisfaction=satisfaction,
            last_outcome=last.get(pid),
        )
        for (cid, due, pid, status, outcome, satisfaction, pcode, pname, cname, contact, phone,
             sid, sname) in rows
    ]


def _last_outcomes(session: Session, month: Month) -> dict[int, str]:
    """Each project's latest outcome recorded before `month` (for projects due this month)."""
    in_month = select(Callback.project_id).where(Callback.month == str(month))
    query = (
        select(Callback.project_id, Callback.outcome)
        .where(
            Callback.outcome.is_not(None),
            Callback.due_date < month.first_day,
            Callback.project_id.in_(in_month),
        )
        .order_by(Callback.project_id, Callback.due_date)
    )
    return {pid: str(outcome) for pid, outcome in session.connection().execute(query)}


def call_list_csv(entries: list[CallListEntry], filename: str) -> Attachment:
    """The whole list as CSV (UTF-8 with BOM, so Excel shows the Chinese text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CallListEntry._fields)
    writer.writerows(entries)
    return Attachment(filename, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
