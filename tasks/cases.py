"""R6 case tasks: each one unit of work in careops.services, plus the case artifacts and the
exact-time scheduling of the deadline sweep."""

from __future__ import annotations

import html
from dataclasses import asdict
from datetime import datetime, timedelta

from prefect import get_run_logger, task

from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.services.cases import steps as service
from careops.services.cases.deadlines import next_notice_at, sweep_deadlines
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import due_text, list_cases, show_case
from careops.settings import get_settings
from careops.wakeups import schedule_wakeup
from tasks.artifacts import markdown_table, publish_markdown, publish_table

SWEEP_DEPLOYMENT = "case-deadlines/case-deadlines"
SCHEDULE_AHEAD = timedelta(hours=36)  # the 3-a-day backstop runs cover anything later


@task(name="open-case")
def open_case_task(data: service.CaseIntake) -> dict:
    return _logged(service.open_case(UnitOfWork(), data, CaseEnv.from_settings(), utcnow()))


def _logged(result: service.CaseResult) -> dict:
    """The result as a dict; a pending deadline is a warning in the run log, not a failure."""
    for warning in result.warnings:
        get_run_logger().warning("case %s: %s", result.case_id, warning)
    return asdict(result)


@task(name="open-case-from-callback")
def open_case_from_callback_task(callback_id: int, kind: str, taken_by: str | None) -> dict:
    from careops.rules.cases import CaseKind

    return _logged(service.open_case_from_callback(
        UnitOfWork(), callback_id, CaseEnv.from_settings(), utcnow(), kind=CaseKind(kind),
        taken_by=taken_by))


@task(name="sweep-case-deadlines", retries=2, retry_delay_seconds=[5, 30])
def sweep_deadlines_task() -> dict:
    r = sweep_deadlines(UnitOfWork(), CaseEnv.from_settings(), utcnow())
    for warning in r.warnings:
        get_run_logger().warning(warning)
    return {"warned": r.warned, "breached": r.breached, "closed": r.closed,
            "deadlines": r.deadlines, "next_notice_at": r.next_notice_at}


@task(name="next-case-notice")
def next_notice_task() -> datetime | None:
    uow = UnitOfWork()
    with uow:
        return next_notice_at(uow.session, utcnow())


@task(name="schedule-case-deadlines")
def schedule_sweep_task(next_at: datetime | None) -> str | None:
    """One case-deadlines run at the minute of the next warning or breach (careops/wakeups.py):
    notices go on time without a sweep every few minutes; the backstop schedule catches a
    wakeup that was lost. Idempotent per minute."""
    if next_at is None or next_at - utcnow() > SCHEDULE_AHEAD:
        return None
    return schedule_wakeup(SWEEP_DEPLOYMENT, next_at, utcnow(), reason="next R6 case notice")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


@task(name="publish-cases")
def publish_cases_task(case_ids: list[int]) -> None:
    """One markdown artifact per case (key case-<id>) and the open-cases table."""
    tz = get_settings().tz
    for case_id in case_ids:
        v = show_case(UnitOfWork(), case_id, tz, utcnow())
        rows = [{"when": _local(e.at), "what": e.kind, "by": html.escape(e.actor),
                 "details": html.escape(e.details)} for e in v.history]
        facts = [("kind / state", f"{v.kind} / {v.state}"),
                 ("customer", html.escape(f"{v.customer_name} ({v.customer_code}) "
                                          f"{v.project_code or ''}")),
                 ("received", f"{_local(v.received_at)} via {v.channel}"),
                 ("due", due_text(v.due_at, v.due_pending_year, tz)),
                 ("owner", html.escape(v.owner_name)),
                 ("deadline met", str(v.deadline_met))]
        body = "\n".join(f"- **{k}**: {val}" for k, val in facts)
        publish_markdown(f"case-{case_id}", f"# Case {case_id}\n\n{body}\n\n## History\n\n"
                         + markdown_table(rows), f"Case {case_id}")
    publish_table("open-cases", list_cases(UnitOfWork(), tz, utcnow()),
                  "Open cases by deadline")
