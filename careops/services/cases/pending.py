"""R6 deadlines that wait for an unpublished calendar year (the R5 convention, DEVELOPERS.md).

Intake never fails on `UnknownCalendarYear`: the case is stored with `due_at` None and
`due_pending_year` naming the year; ops (and the owner) are told once per case and year
through the outbox. The case-deadlines sweep calls `settle_pending` for every such case as soon
as the year's `config/calendar/YYYY.toml` exists; warnings and breaches then follow as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.calendar import UnknownCalendarYear
from careops.db.models.cases import Case
from careops.rules import cases as rules
from careops.services.cases.notices import CaseEnv, notify, record_event

TEMPLATE = "case_deadline_pending"


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    warn_at: datetime | None
    pending_year: int | None = None
    error: str = ""


def compute(
    kind: rules.CaseKind, received: datetime, env: CaseEnv, *, special: bool = False,
    promised_on=None,
) -> Deadline:
    """The deadline and warning of a case, or which calendar year they wait for."""
    try:
        due = rules.case_deadline(kind, received, env.calendar, env.tz, special=special,
                                  promised_on=promised_on, rule=env.rule)
    except UnknownCalendarYear as exc:
        return Deadline(None, None, exc.year, str(exc))
    return Deadline(due, rules.warning_at(kind, received, due, env.tz, env.rule))


def pending_warning(year: int) -> str:
    return (f"deadline pending: the {year} working-day calendar is not published; the case is "
            f"kept, ops were told; the deadline is set once config/calendar/{year}.toml exists")


def tell_pending(session: Session, env: CaseEnv, case: Case, deadline: Deadline,
                 now: datetime) -> list[str]:
    """Record the pending deadline on the case and tell ops and the owner (once per year)."""
    year = deadline.pending_year
    assert year is not None
    case.due_pending_year = year
    record_event(session, case, "deadline-pending", "careops", deadline.error, now)
    return notify(session, env, case, TEMPLATE, ["ops", "owner"], now, tag=str(year),
                  context={"year": year, "error": deadline.error})


def settle_pending(session: Session, env: CaseEnv, case: Case, now: datetime) -> list[str]:
    """Set the pending deadline of `case` now that its year may be published. Returns the
    warnings (a deadline reaching a further unpublished year stays pending for that one)."""
    deadline = compute(case.kind, case.received_at, env, special=case.special,
                       promised_on=case.promised_on)
    if deadline.pending_year is not None:
        if deadline.pending_year == case.due_pending_year:
            return []  # still waiting; ops were told
        tell_pending(session, env, case, deadline, now)
        return [pending_warning(deadline.pending_year)]
    case.due_at, case.warn_at, case.due_pending_year = deadline.due_at, deadline.warn_at, None
    assert deadline.due_at is not None
    record_event(session, case, "deadline", "case-deadlines",
                 f"deadline set: {deadline.due_at.astimezone(env.tz):%Y-%m-%d %H:%M} "
                 "(its calendar year is published now)", now)
    return []


def pending_cases(session: Session, limit: int):
    return (select(Case).where(Case.due_pending_year.is_not(None))
            .order_by(Case.id).limit(limit))
