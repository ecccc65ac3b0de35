"""R6 case steps: intake, contacts, notes, handover, department, result, opinion, close.

The owner's steps take `as_owner` (a staff id) when the owner's page (careops.web.staff.cases)
asks: the step is then refused (`NotOwner`) unless that person still owns the case, checked
under the case's row lock. The CLI and the flows pass nothing.

Each step is one unit of work: validated first (a CareopsError writes nothing), then the row,
its history event and its mails are committed together. The same intake again (a retry, a
double click, the same callback) is the same case.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.callbacks import Callback
from careops.db.models.cases import Case
from careops.db.models.common import Department, Project
from careops.db.uow import UnitOfWork
from careops.errors import InvalidTransition, NotFound
from careops.rules import cases as rules
from careops.rules.cases import CaseInputError, CaseKind, CaseState, Channel, Opinion
from careops.services.cases.notices import CaseEnv, heads, notify, owner_link, record_event
from careops.services.cases.pending import compute, pending_warning, tell_pending
from careops.services.cases.queries import find_customer, find_staff, get_case, owned_case
from careops.services.faults.queries import find_project

MAX_NOTE = 4000


@dataclass(frozen=True)
class CaseIntake:
    kind: CaseKind
    text: str
    taken_by: str  # staff code (or unique name): the owner
    customer_code: str | None = None
    project_code: str | None = None
    channel: Channel = Channel.PHONE
    received_at: datetime | None = None  # default: now
    special: bool = False
    special_reason: str | None = None
    promised_on: date | None = None
    important: bool = False
    callback_id: int | None = None
    intake_key: str | None = None  # client-supplied id; default: content hash


@dataclass(frozen=True)
class CaseResult:
    case_id: int
    state: str
    due_at: datetime | None  # None: pending until its calendar year is published
    changed: bool
    notified: list[str]
    due_pending_year: int | None = None
    warnings: list[str] = field(default_factory=list)


def _intake_key(customer: str, kind: CaseKind, received: datetime, text: str) -> str:
    norm = re.sub(r"\s+", " ", text).strip().casefold()
    raw = f"{customer}|{kind}|{received.timestamp():.0f}|{norm}"
    return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def _result(case: Case, changed: bool, notified: list[str]) -> CaseResult:
    year = case.due_pending_year
    return CaseResult(case.id, str(case.state), case.due_at, changed, notified, year,
                      [pending_warning(year)] if year is not None else [])


def open_case(uow: UnitOfWork, data: CaseIntake, env: CaseEnv, now: datetime) -> CaseResult:
    """Take a case: its owner is whoever took it; a suggestion is reported to leadership.
    A deadline needing an unpublished calendar year never refuses the case: it is stored as
    pending, ops are told, and case-deadlines sets it once the calendar exists."""
    received = data.received_at or now
    rules.validate_intake(data.kind, data.text, received, now, special=data.special,
                          special_reason=data.special_reason, promised_on=data.promised_on)
    deadline = compute(data.kind, received, env, special=data.special,
                       promised_on=data.promised_on)
    with uow:
        session = uow.session
        callback = None
        if data.callback_id is not None:
            callback = session.get(Callback, data.callback_id)
            if callback is None:
                raise NotFound(f"no callback with id {data.callback_id}")
        project: Project | None = None
        if data.project_code:
            project = find_project(session, data.project_code)
        elif callback is not None:
            project = callback.project
        if data.customer_code:
            customer = find_customer(session, data.customer_code)
            if project is not None and project.customer_id != customer.id:
                raise CaseInputError(
                    f"project {project.code} belongs to {project.customer.code}, "
                    f"not {customer.code}")
        elif project is not None:
            customer = project.customer
        else:
            raise CaseInputError("name the customer (customer code) or the project")
        owner = find_staff(session, data.taken_by)
        key = data.intake_key or (
            f"callback:{callback.id}" if callback is not None
            else _intake_key(customer.code, data.kind, received, data.text))
        text = data.text.strip()
        insert_ignoring_duplicates(session, Case, [{
            "intake_key": key, "kind": data.kind, "state": CaseState.OPEN,
            "customer_id": customer.id, "project_id": project.id if project else None,
            "callback_id": callback.id if callback is not None else None,
            "channel": str(data.channel), "text": text, "received_at": received,
            "special": data.special, "special_reason": (data.special_reason or "").strip() or None,
            "promised_on": data.promised_on, "important": data.important,
            "due_at": deadline.due_at, "warn_at": deadline.warn_at,
            "due_pending_year": deadline.pending_year,
            "taken_by_id": owner.id, "owner_id": owner.id,
            "reopened_count": 0, "created_at": now,
        }], ["intake_key"])
        case = session.scalar(select(Case).where(Case.intake_key == key))
        assert case is not None
        if case.events:  # taken before: the same case, nothing new
            return _result(case, False, [])
        details = f"{data.kind} by {data.channel}: {text[:200]}"
        if data.special:
            details += f" (special: {data.special_reason})"
        record_event(session, case, "intake", owner.name, details, now)
        sent: list[str] = []
        if deadline.pending_year is not None:
            sent += tell_pending(session, env, case, deadline, now)
        if data.kind == CaseKind.SUGGESTION:
            sent += notify(session, env, case, "case_suggestion", ["leadership"], now)
        if owner_link(env, case, now) is not None:  # the owner's own page for the case
            sent += notify(session, env, case, "case_opened", ["owner"], now)
        result = _result(case, True, sent)
        uow.commit()
    return result


def open_case_from_callback(
    uow: UnitOfWork, callback_id: int, env: CaseEnv, now: datetime, *,
    kind: CaseKind = CaseKind.COMPLAINT, taken_by: str | None = None, text: str | None = None,
) -> CaseResult:
    """A recorded callback whose issues raised are a complaint (or another kind) → its case.

    Received at the callback's recording time, owned by the CS person who made the call.
    """
    with uow:
        callback = uow.session.get(Callback, callback_id)
        if callback is None:
            raise NotFound(f"no callback with id {callback_id}")
        if callback.recorded_at is None:
            raise InvalidTransition(f"callback {callback_id} has no recorded outcome yet")
        issues = text or callback.issues_raised
        owner = taken_by or (callback.assignee.code if callback.assignee else None)
        received = callback.recorded_at
    if not (issues or "").strip():
        raise CaseInputError(f"callback {callback_id} raised no issues: give the text")
    if not owner:
        raise CaseInputError(f"callback {callback_id} has no assignee: say who takes the case")
    return open_case(uow, CaseIntake(
        kind=kind, text=issues or "", taken_by=owner, channel=Channel.CALLBACK,
        received_at=received, callback_id=callback_id), env, now)


def _open_for_work(case: Case) -> None:
    if case.state == CaseState.CLOSED:
        raise InvalidTransition(f"case {case.id} is closed")


def add_contact(
    uow: UnitOfWork, case_id: int, details: str, by: str, now: datetime, *,
    as_owner: int | None = None,
) -> CaseResult:
    """The customer contacted us again about this case: logged, so nobody asks them twice."""
    text = rules.check_text("the contact's details", details, MAX_NOTE)
    with uow:
        case = owned_case(uow.session, case_id, as_owner)
        record_event(uow.session, case, "contact", by, text, now)
        result = _result(case, True, [])
        uow.commit()
    return result


def add_note(
    uow: UnitOfWork, case_id: int, note: str, by: str, now: datetime, *,
    as_owner: int | None = None,
) -> CaseResult:
    text = rules.check_text("the note", note, MAX_NOTE)
    with uow:
        case = owned_case(uow.session, case_id, as_owner)
        _open_for_work(case)
        record_event(uow.session, case, "note", by, text, now)
        result = _result(case, True, [])
        uow.commit()
    return result


def hand_over(
    uow: UnitOfWork, case_id: int, to: str, by: str, reason: str, env: CaseEnv, now: datetime, *,
    as_owner: int | None = None,
) -> CaseResult:
    """An explicit handover: the new owner is told; the history keeps who had it."""
    why = rules.check_text("the handover reason", reason, MAX_NOTE)
    with uow:
        session = uow.session
        case = owned_case(session, case_id, as_owner)
        _open_for_work(case)
        new = find_staff(session, to)
        if new.id == case.owner_id:
            raise InvalidTransition(f"case {case.id} is already owned by {new.name}")
        old = case.owner.name
        case.owner_id = new.id
        session.flush()
        session.refresh(case, ["owner"])
        record_event(session, case, "handover", by, f"{old} → {new.name}: {why}", now)
        event_count = len(case.events)
        sent = notify(session, env, case, "case_handover", ["owner"], now,
                      tag=str(event_count), context={"previous_owner": old, "reason": why})
        result = _result(case, True, sent)
        uow.commit()
    return result


def set_department(
    uow: UnitOfWork, case_id: int, department: str, by: str, now: datetime, *,
    as_owner: int | None = None,
) -> CaseResult:
    try:
        dept = Department(department.strip().upper())
    except ValueError:
        names = ", ".join(d.value for d in Department)
        raise CaseInputError(f"department {department!r} is not one of {names}") from None
    with uow:
        case = owned_case(uow.session, case_id, as_owner)
        _open_for_work(case)
        case.department = str(dept)
        record_event(uow.session, case, "department", by, f"responsible: {dept}", now)
        result = _result(case, True, [])
        uow.commit()
    return result


def send_result(
    uow: UnitOfWork, case_id: int, result_text: str, by: str, env: CaseEnv, now: datetime, *,
    as_owner: int | None = None,
) -> CaseResult:
    """The result goes to the customer by mail (their locale) with the one-question opinion link.

    The first result is what the deadline is measured on. A customer without an e-mail address
    is told another way: the result is recorded and the case waits for the opinion by phone.
    """
    text = rules.check_text("the result", result_text)
    with uow:
        session = uow.session
        case = owned_case(session, case_id, as_owner)
        if case.state != CaseState.OPEN:
            raise InvalidTransition(f"case {case.id} is {case.state}: its result was sent")
        case.result, case.state = text, CaseState.ANSWERED
        case.opinion = case.opinion_comment = case.opinion_at = None
        case.result_sent_at = now
        if case.answered_at is None:
            case.answered_at = now
        record_event(session, case, "result", by, text[:500], now)
        sent = notify(session, env, case, "case_result", ["customer"], now,
                      tag=f"r{case.reopened_count or 0}")
        if not sent:
            record_event(session, case, "result-not-mailed", "careops",
                         "the customer has no e-mail address: tell them the result by phone",
                         now)
        result = _result(case, True, sent)
        uow.commit()
    return result


def record_opinion(
    uow: UnitOfWork, case_id: int, opinion: Opinion, comment: str | None, env: CaseEnv,
    now: datetime, *, by: str = "customer",
) -> CaseResult:
    """The customer's opinion of the result: satisfied closes the case; not satisfied reopens it
    for the CS head (a logged handover to the CS head, who is told)."""
    note = rules.check_text("the comment", comment, 2000, required=False)
    with uow:
        session = uow.session
        case = get_case(session, case_id, for_update=True)
        if case.state != CaseState.ANSWERED:
            raise InvalidTransition(f"case {case.id} is {case.state}: no opinion is awaited")
        case.opinion, case.opinion_comment, case.opinion_at = opinion, note or None, now
        record_event(session, case, "opinion", by, f"{opinion}" + (f": {note}" if note else ""),
                     now)
        sent: list[str] = []
        if opinion == Opinion.SATISFIED:
            case.state, case.closed_at = CaseState.CLOSED, now
            record_event(session, case, "closed", "careops", "the customer is satisfied", now)
        else:
            case.state, case.closed_at = CaseState.OPEN, None
            case.reopened_count = (case.reopened_count or 0) + 1
            head = heads(session, Department.CS)
            if head and head[0].id != case.owner_id:
                record_event(session, case, "handover", "careops",
                             f"{case.owner.name} → {head[0].name}: reopened, not satisfied", now)
                case.owner_id = head[0].id
                session.flush()
                session.refresh(case, ["owner"])
            record_event(session, case, "reopened", "careops", "the customer is not satisfied",
                         now)
            sent = notify(session, env, case, "case_reopened", ["cs_head", "owner"], now,
                          tag=str(case.reopened_count))
        result = _result(case, True, sent)
        uow.commit()
    return result


def close_case(uow: UnitOfWork, case_id: int, by: str, reason: str, now: datetime) -> CaseResult:
    """Close a case by hand (e.g. the customer gave their opinion by phone)."""
    why = rules.check_text("the reason", reason, MAX_NOTE)
    with uow:
        case = get_case(uow.session, case_id, for_update=True)
        _open_for_work(case)
        if case.answered_at is None:
            raise InvalidTransition(f"case {case.id} has no result yet: send it first")
        case.state, case.closed_at = CaseState.CLOSED, now
        record_event(uow.session, case, "closed", by, why, now)
        result = _result(case, True, [])
        uow.commit()
    return result


def mark_important(uow: UnitOfWork, case_id: int, by: str, now: datetime) -> CaseResult:
    """An important case is kept longer in the archive (cases.keep_important_years)."""
    with uow:
        case = get_case(uow.session, case_id, for_update=True)
        case.important = True
        record_event(uow.session, case, "important", by, "kept longer in the archive", now)
        result = _result(case, True, [])
        uow.commit()
    return result
