"""R6 deadline sweep: warn owners, escalate breaches, close cases whose opinion never came.

One transaction: the due rows are claimed (`FOR UPDATE SKIP LOCKED` on PostgreSQL; the SQLite
transaction holds the write lock from BEGIN IMMEDIATE), each notice is marked on the row
(`warned_at`, `breach_notified_at`) and keyed in the outbox, so each goes once, whatever
re-runs or concurrent sweeps. A case already breached when first seen gets the breach only (a
late sweep is no storm). `next_notice_at` tells the flow when the next notice falls due, so it
can schedule a run for exactly then.

First the sweep sets the deadlines left pending for an unpublished calendar year as soon as
that year's `config/calendar/YYYY.toml` is there (careops/services/cases/pending.py); their
warnings and breaches then follow in the same run, as for any case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from careops.db.models.cases import Case
from careops.db.uow import UnitOfWork
from careops.rules.cases import CaseKind, CaseState
from careops.services.cases.notices import CaseEnv, notify, record_event
from careops.services.cases.pending import pending_cases, settle_pending


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    deadlines: list[int] = field(default_factory=list)  # pending deadlines set by this run
    warnings: list[str] = field(default_factory=list)
    next_notice_at: datetime | None = None

    @property
    def acted(self) -> bool:
        return bool(self.warned or self.breached or self.closed or self.deadlines)


def _claim(uow: UnitOfWork, query):
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Case)
    return uow.session.scalars(query).all()


def sweep_deadlines(uow: UnitOfWork, env: CaseEnv, now: datetime, *, limit: int = 500
                    ) -> SweepResult:
    result = SweepResult()
    with uow:
        session = uow.session
        if uow.dialect == "sqlite":
            uow.lock("case-deadlines")
        for case in _claim(uow, pending_cases(session, limit)):
            year = case.due_pending_year
            if year is not None and not env.calendar.is_published(year):
                continue  # still unpublished: nothing to do, ops were told
            result.warnings += [f"case {case.id}: {w}" for w in
                                settle_pending(session, env, case, now)]
            if case.due_at is not None:
                result.deadlines.append(case.id)
        session.flush()
        unanswered = (Case.answered_at.is_(None), Case.state != CaseState.CLOSED)
        for case in _claim(uow, select(Case).where(
            *unanswered, Case.breach_notified_at.is_(None), Case.due_at <= now,
        ).order_by(Case.due_at, Case.id).limit(limit)):
            roles = ["cs_head", "gm"] if case.kind == CaseKind.COMPLAINT else ["cs_head"]
            record_event(session, case, "breach", "case-deadlines",
                         f"deadline {case.due_at.astimezone(env.tz):%Y-%m-%d %H:%M} passed "
                         "without a result", now)
            notify(session, env, case, "case_breach", roles, now)
            case.breach_notified_at = now
            case.warned_at = case.warned_at or now  # no warning after the breach
            result.breached.append(case.id)
        for case in _claim(uow, select(Case).where(
            *unanswered, Case.warned_at.is_(None), Case.warn_at <= now, Case.due_at > now,
        ).order_by(Case.warn_at, Case.id).limit(limit)):
            notify(session, env, case, "case_warning", ["owner"], now)
            case.warned_at = now
            result.warned.append(case.id)
        window = timedelta(days=env.config.opinion_days)
        for case in _claim(uow, select(Case).where(
            Case.state == CaseState.ANSWERED, Case.result_sent_at <= now - window,
        ).order_by(Case.id).limit(limit)):
            case.state, case.closed_at = CaseState.CLOSED, now
            record_event(session, case, "closed", "case-deadlines",
                         f"no opinion within {env.config.opinion_days} days", now)
            result.closed.append(case.id)
        session.flush()
        result.next_notice_at = next_notice_at(session, now)
        uow.commit()
    return result


def next_notice_at(session, now: datetime) -> datetime | None:
    """The earliest warning or breach still to send after `now` (None: nothing pending)."""
    base = (Case.answered_at.is_(None), Case.state != CaseState.CLOSED)
    warn = session.scalar(select(func.min(Case.warn_at)).where(
        *base, Case.warned_at.is_(None), Case.warn_at > now))
    due = session.scalar(select(func.min(Case.due_at)).where(
        *base, Case.breach_notified_at.is_(None), Case.due_at > now))
    found = [m for m in (warn, due) if m is not None]
    if not found:
        return None
    earliest = min(found)
    # SQLite returns naive values from aggregates: they are UTC, like every stored time
    if earliest.tzinfo is None:
        from datetime import UTC

        earliest = earliest.replace(tzinfo=UTC)
    return earliest
