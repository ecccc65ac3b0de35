"""Read model of a month's callbacks: what a call list, the CLI and the artifacts show."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from careops.db.models.callbacks import Callback, CallbackStatus
from careops.db.models.common import Customer, Project, Staff
from careops.exports import xlsx_bytes
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


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The call list's columns and values in each recipient's language. Kept here, one mapping per
# locale, until the mail texts move to translation catalogs.
CALL_LIST_LABELS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "sheet": "{month}回访清单",
        "callback_id": "编号",
        "due_date": "应回访日",
        "customer_name": "客户",
        "contact_name": "联系人",
        "contact_phone": "电话",
        "project_name": "项目",
        "project_code": "项目编号",
        "last_outcome": "上次结果",
        "reached": "已接通",
        "not_reached": "未接通",
        "declined": "客户拒绝",
        "none": "无",
    },
    "en": {
        "sheet": "Callbacks {month}",
        "callback_id": "No.",
        "due_date": "Due date",
        "customer_name": "Customer",
        "contact_name": "Contact",
        "contact_phone": "Phone",
        "project_name": "Project",
        "project_code": "Project code",
        "last_outcome": "Last outcome",
        "reached": "reached",
        "not_reached": "not reached",
        "declined": "declined",
        "none": "none",
    },
}
_COLUMNS = ("callback_id", "due_date", "customer_name", "contact_name", "contact_phone",
            "project_name", "project_code", "last_outcome")
_WIDTHS = (8, 12, 32, 12, 16, 32, 14, 12)


def labels_for(locale: str | None) -> dict[str, str]:
    """The labels of `locale` (`zh-CN`, `zh_CN` or `zh`; `en_US` or `en`), else Chinese."""
    wanted = (locale or "").replace("-", "_")
    for candidate in (wanted, wanted[:2]):
        for known, labels in CALL_LIST_LABELS.items():
            if known == candidate or known[:2] == candidate:
                return labels
    return CALL_LIST_LABELS["zh_CN"]


def call_list_xlsx(
    entries: list[CallListEntry], month: Month, locale: str | None, filename: str
) -> Attachment:
    """The whole list as an Excel workbook with headers in the recipient's language.

    Dates are date cells, text (names, phone numbers) text cells: a customer name that looks
    like a formula stays the text it is (careops.exports)."""
    labels = labels_for(locale)
    rows = (
        (e.callback_id, e.due_date, e.customer_name, e.contact_name, e.contact_phone,
         e.project_name, e.project_code, labels.get(e.last_outcome or "none", e.last_outcome))
        for e in entries
    )
    content = xlsx_bytes(
        labels["sheet"].format(month=month), [labels[c] for c in _COLUMNS], rows, widths=_WIDTHS
    )
    return Attachment(filename, content, XLSX_MIMETYPE)
