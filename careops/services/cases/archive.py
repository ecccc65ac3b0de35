"""R6 archive: closed cases are kept `cases.keep_years` after closing (important ones
`cases.keep_important_years`), then purged; each purged case leaves a `case_statistic` row (no
customer, no text), so the counts by kind, channel, department and deadline stay intact.
`case_facts` reads both for the statistics (R7), as they stood at an instant (`as_of`): the
answer, the opinion, the reopenings and the department recorded at or after it are left out
(taken from the case's history, `case_event`). A purged case keeps no history: its opinion
counts once it was closed before the instant, its reopenings as they were at the purge.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, select

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.cases import Case, CaseEvent, CaseStatistic
from careops.db.uow import UnitOfWork
from careops.rules.cases import CaseState
from careops.rules.supervision import known_at
from careops.services.cases.notices import CaseEnv


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
    due_after_as_of: bool = False  # pending, but its calendar year starts after the instant


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


def case_facts(uow: UnitOfWork, start: datetime, end: datetime,
               as_of: datetime | None = None) -> list[CaseFact]:
    """Every case received in [start, end): live ones and purged ones (their statistics), as
    they stood at `as_of` (None: as they are now)."""
    with uow:
        s = uow.session
        live = s.scalars(select(Case).where(Case.received_at >= start, Case.received_at < end)
                         ).all()
        gone = s.scalars(select(CaseStatistic).where(
            CaseStatistic.received_at >= start, CaseStatistic.received_at < end)).all()
        if as_of is None:
            return [CaseFact(str(c.kind), c.channel, c.department, c.special, c.received_at,
                             c.due_at, c.answered_at, str(c.opinion) if c.opinion else None,
                             c.reopened_count or 0) for c in [*live, *gone]]
        history: dict[int, list[CaseEvent]] = defaultdict(list)
        for event in s.scalars(
            select(CaseEvent).join(Case, Case.id == CaseEvent.case_id)
            .where(Case.received_at >= start, Case.received_at < end,
                   CaseEvent.kind.in_(_HISTORY)).order_by(CaseEvent.case_id, CaseEvent.id)
        ):
            history[event.case_id].append(event)
        return ([_live_fact(c, history[c.id], as_of) for c in live]
                + [_purged_fact(c, as_of) for c in gone])


_HISTORY = ("result", "opinion", "reopened", "department")


def _live_fact(case: Case, events: list[CaseEvent], as_of: datetime) -> CaseFact:
    """`case` at `as_of`, replayed from its history (a case without that history, e.g.
    imported, keeps its stored values unless they were recorded at or after `as_of`)."""
    before = [e for e in events if e.at < as_of]
    kinds = {e.kind for e in events}
    opinion = str(case.opinion) if case.opinion and (
        case.opinion_at is None or case.opinion_at < as_of) else None
    if "opinion" in kinds:
        opinion = None
        for e in before:  # an opinion stands until the next result is sent
            if e.kind == "opinion":
                opinion = e.details.split(":", 1)[0].strip()
            elif e.kind == "result":
                opinion = None
    reopened = case.reopened_count or 0
    if "reopened" in kinds:
        reopened = sum(1 for e in before if e.kind == "reopened")
    department = case.department
    if "department" in kinds:
        moves = [e.details.split(":", 1)[-1].strip() for e in before if e.kind == "department"]
        department = moves[-1] if moves else None
    later = (case.due_at is None and case.due_pending_year is not None
             and datetime(case.due_pending_year, 1, 1, tzinfo=as_of.tzinfo) >= as_of)
    return CaseFact(str(case.kind), case.channel, department, case.special, case.received_at,
                    case.due_at, known_at(case.answered_at, as_of), opinion, reopened, later)


def _purged_fact(stat: CaseStatistic, as_of: datetime) -> CaseFact:
    closed = stat.closed_at is not None and stat.closed_at < as_of
    return CaseFact(str(stat.kind), stat.channel, stat.department, stat.special,
                    stat.received_at, stat.due_at, known_at(stat.answered_at, as_of),
                    str(stat.opinion) if stat.opinion and closed else None,
                    stat.reopened_count or 0)
