"""R6 archive: closed cases are kept `cases.keep_years` after closing (important ones
`cases.keep_important_years`), then purged; each purged case leaves a `case_statistic` row (no
customer, no text), so the counts by kind, channel, department and deadline stay intact.
`case_facts` reads both for the statistics (R7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, select

from careops.db.case_models import Case, CaseEvent, CaseStatistic
from careops.db.insert import insert_ignoring_duplicates
from careops.db.uow import UnitOfWork
from careops.rules.cases import CaseState
from careops.services.case_notices import CaseEnv


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    purged_important: int
    kept_closed: int  # closed, not yet due


@dataclass(frozen=True)
class CaseFact:
    kind: str
    channel: str
    department: str | None
    special: bool
    received_at: datetime
    due_at: datetime | None  # None: pending (its calendar year unpublished)
    answered_at: datetime | None
    opinion: str | None
    reopened_count: int


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 Feb
        return day.replace(year=day.year - years, day=28)


def purge_cases(uow: UnitOfWork, env: CaseEnv, now: datetime, *, dry_run: bool = False
                ) -> PurgeResult:
    today = now.astimezone(env.tz).date()
    cut = {flag: datetime.combine(_years_before(today, years), time(0), tzinfo=env.tz)
           for flag, years in ((False, env.config.keep_years),
                               (True, env.config.keep_important_years))}
    with uow:
        uow.lock("purge-cases")
        session = uow.session
        closed = session.scalars(select(Case).where(Case.state == CaseState.CLOSED)).all()
        due = [c for c in closed if c.closed_at is not None and c.closed_at < cut[c.important]]
        result = PurgeResult(len(due), sum(1 for c in due if c.important), len(closed) - len(due))
        if due and not dry_run:
            insert_ignoring_duplicates(session, CaseStatistic, [{
                "case_id": c.id, "kind": c.kind, "channel": c.channel,
                "department": c.department, "special": c.special, "received_at": c.received_at,
                "due_at": c.due_at, "answered_at": c.answered_at, "opinion": c.opinion,
                "reopened_count": c.reopened_count or 0, "closed_at": c.closed_at,
                "purged_at": now} for c in due], ["case_id"])
            ids = [c.id for c in due]
            session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
            session.execute(delete(Case).where(Case.id.in_(ids)))
            uow.commit()
    return result


def case_facts(uow: UnitOfWork, start: datetime, end: datetime) -> list[CaseFact]:
    """Every case received in [start, end): live ones and purged ones (their statistics)."""
    with uow:
        s = uow.session
        live = s.scalars(select(Case).where(Case.received_at >= start, Case.received_at < end))
        gone = s.scalars(select(CaseStatistic).where(
            CaseStatistic.received_at >= start, CaseStatistic.received_at < end))
        return [CaseFact(str(c.kind), c.channel, c.department, c.special, c.received_at,
                         c.due_at, c.answered_at, str(c.opinion) if c.opinion else None,
                         c.reopened_count or 0) for c in [*live, *gone]]
