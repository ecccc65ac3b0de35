"""R6 read side: look-ups with helpful errors, a case's view with its history, lists."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from careops.db.models.cases import Case, CaseEvent
from careops.db.models.common import Customer, Department, Project, Staff
from careops.db.uow import UnitOfWork
from careops.errors import InvalidTransition, NotFound
from careops.rules.cases import CaseState, deadline_met


def _hint(value: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(value.strip(), candidates, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""


def find_customer(session: Session, code: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.code == code.strip()))
    if customer is None:
        codes = list(session.scalars(select(Customer.code)))
        raise NotFound(f"unknown customer {code!r}{_hint(code, codes)}")
    return customer


def find_staff(session: Session, code_or_name: str) -> Staff:
    """An active staff member by code, or by name when exactly one has it."""
    value = code_or_name.strip()
    found = list(session.scalars(
        select(Staff).where(or_(Staff.code == value, Staff.name == value), Staff.active)
    ))
    by_code = [s for s in found if s.code == value]
    if by_code:
        return by_code[0]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        codes = ", ".join(s.code for s in found)
        raise NotFound(f"several staff are called {value!r} ({codes}): give the staff code")
    known = list(session.scalars(select(Staff.code).where(Staff.active)))
    raise NotFound(f"unknown or inactive staff {value!r}{_hint(value, known)}")


def get_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    case = session.get(Case, case_id, with_for_update=for_update or None)
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    return case


class NotOwner(InvalidTransition):
    """A step asked for by someone who does not own the case (any more): its owner's page."""


def owned_case(session: Session, case_id: int, owner_id: int | None) -> Case:
    """The case, locked; NotOwner unless `owner_id` (the owner's page; None: the CLI and the
    flows, anyone) still owns it: checked under the row lock."""
    case = get_case(session, case_id, for_update=True)
    if owner_id is not None and case.owner_id != owner_id:
        raise NotOwner(f"case {case.id} was handed over to {case.owner.name}")
    return case


@dataclass(frozen=True)
class CaseEntry:
    at: datetime
    kind: str
    actor: str
    details: str


@dataclass(frozen=True)
class CaseView:
    """A case as mails, pages and the CLI show it (plain values)."""

    id: int
    kind: str
    state: str
    customer_code: str
    customer_name: str
    contact_name: str
    customer_locale: str
    project_code: str | None
    project_name: str | None
    callback_id: int | None
    channel: str
    text: str
    received_at: datetime
    special: bool
    special_reason: str | None
    promised_on: date | None
    important: bool
    due_at: datetime | None  # None: pending (due_pending_year)
    warn_at: datetime | None
    owner_code: str
    owner_name: str
    taken_by_name: str
    department: str | None
    result: str | None
    answered_at: datetime | None
    opinion: str | None
    opinion_comment: str | None
    reopened_count: int
    closed_at: datetime | None
    deadline_met: bool | None
    history: list[CaseEntry]
    due_pending_year: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def due_text(due_at: datetime | None, pending_year: int | None, tz: ZoneInfo) -> str:
    """A deadline in one line for the CLI, tables and artifacts (local time, or pending)."""
    if due_at is None:
        return f"pending (calendar {pending_year} not published)"
    return f"{due_at.astimezone(tz):%Y-%m-%d %H:%M}"

    def as_dict(self) -> dict:
        return asdict(self)


def case_view(session: Session, case: Case, tz: ZoneInfo, now: datetime | None = None) -> CaseView:
    session.flush()
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    project = case.project
    met_now = now or case.answered_at or case.due_at or case.received_at
    return CaseView(
        id=case.id, kind=str(case.kind), state=str(case.state),
        customer_code=case.customer.code, customer_name=case.customer.name,
        contact_name=case.customer.contact_name, customer_locale=case.customer.locale,
        project_code=project.code if project else None,
        project_name=project.name if project else None, callback_id=case.callback_id,
        channel=case.channel, text=case.text, received_at=case.received_at,
        special=case.special, special_reason=case.special_reason,
        promised_on=case.promised_on, important=case.important, due_at=case.due_at,
        warn_at=case.warn_at, owner_code=case.owner.code, owner_name=case.owner.name,
        taken_by_name=case.taken_by.name, department=case.department, result=case.result,
        answered_at=case.answered_at, opinion=str(case.opinion) if case.opinion else None,
        opinion_comment=case.opinion_comment, reopened_count=case.reopened_count or 0,
        closed_at=case.closed_at,
        deadline_met=deadline_met(case.due_at, case.answered_at, met_now),
        history=[CaseEntry(e.at, e.kind, e.actor, e.details) for e in events],
        due_pending_year=case.due_pending_year,
    )


def show_case(uow: UnitOfWork, case_id: int, tz: ZoneInfo, now: datetime) -> CaseView:
    """The case as `case_view` shows it, read with two prebuilt plain queries (the case with
    its customer, project, owner and taker; its history): every view of the case pages."""
    with uow:
        conn = uow.session.connection()
        r = conn.execute(_SHOW_CASE, {"id": case_id}).first()
        if r is None:
            raise NotFound(f"no case with id {case_id}")
        history = [CaseEntry(e.at, e.kind, e.actor, e.details)
                   for e in conn.execute(_SHOW_EVENTS, {"id": case_id})]
    met_now = now or r.answered_at or r.due_at or r.received_at
    return CaseView(
        id=r.id, kind=str(r.kind), state=str(r.state), customer_code=r.customer_code,
        customer_name=r.customer_name, contact_name=r.contact_name,
        customer_locale=r.customer_locale, project_code=r.project_code,
        project_name=r.project_name, callback_id=r.callback_id, channel=r.channel,
        text=r.text, received_at=r.received_at, special=r.special,
        special_reason=r.special_reason, promised_on=r.promised_on, important=r.important,
        due_at=r.due_at, warn_at=r.warn_at, owner_code=r.owner_code, owner_name=r.owner_name,
        taken_by_name=r.taken_by_name, department=r.department, result=r.result,
        answered_at=r.answered_at, opinion=str(r.opinion) if r.opinion else None,
        opinion_comment=r.opinion_comment, reopened_count=r.reopened_count or 0,
        closed_at=r.closed_at, deadline_met=deadline_met(r.due_at, r.answered_at, met_now),
        history=history, due_pending_year=r.due_pending_year,
    )


_case, _event = Case.__table__, CaseEvent.__table__
_customer, _project = Customer.__table__, Project.__table__
_owner, _taker = Staff.__table__.alias("owner"), Staff.__table__.alias("taker")
_SHOW_CASE = (
    select(_case, _customer.c.code.label("customer_code"),
           _customer.c.name.label("customer_name"), _customer.c.contact_name,
           _customer.c.locale.label("customer_locale"), _project.c.code.label("project_code"),
           _project.c.name.label("project_name"), _owner.c.code.label("owner_code"),
           _owner.c.name.label("owner_name"), _taker.c.name.label("taken_by_name"))
    .join_from(_case, _customer, _customer.c.id == _case.c.customer_id)
    .outerjoin(_project, _project.c.id == _case.c.project_id)
    .join(_owner, _owner.c.id == _case.c.owner_id)
    .join(_taker, _taker.c.id == _case.c.taken_by_id)
    .where(_case.c.id == bindparam("id")))
_SHOW_EVENTS = (select(_event.c.at, _event.c.kind, _event.c.actor, _event.c.details)
                .where(_event.c.case_id == bindparam("id")).order_by(_event.c.id))


def case_contact_email(uow: UnitOfWork, case_id: int) -> str | None:
    """The address the customer's mails (the result, its opinion link) go to."""
    with uow:
        return get_case(uow.session, case_id).customer.contact_email


def list_cases(
    uow: UnitOfWork, tz: ZoneInfo, now: datetime, *, include_closed: bool = False,
    owner: str | None = None,
) -> list[dict]:
    def local(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "-"

    with uow:
        query = select(Case).order_by(Case.due_at, Case.id)
        if not include_closed:
            query = query.where(Case.state != CaseState.CLOSED)
        if owner:
            query = query.where(Case.owner_id == find_staff(uow.session, owner).id)
        return [
            {"id": c.id, "kind": str(c.kind), "state": str(c.state),
             "customer": c.customer.name, "owner": c.owner.name,
             "received": local(c.received_at), "due": due_text(c.due_at, c.due_pending_year, tz),
             "overdue": c.answered_at is None and c.due_at is not None and now >= c.due_at}
            for c in uow.session.scalars(query)
        ]


def handover_candidates(uow: UnitOfWork, exclude_code: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the active CS staff a case can be handed over to (by code)."""
    with uow:  # on every view of an owner's case page: a prebuilt plain query
        rows = uow.session.connection().execute(_CANDIDATES).all()
    return [(code, name) for code, name in rows if code != exclude_code]


_CANDIDATES = (select(Staff.__table__.c.code, Staff.__table__.c.name)
               .where(Staff.__table__.c.department == Department.CS,
                      Staff.__table__.c.active.is_(True))
               .order_by(Staff.__table__.c.code))
