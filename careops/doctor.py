"""`careops doctor`: is careops healthy? One row per check, each naming what is wrong.

Checks, in order: the database (reachable, at the newest migration); SMTP (connect, STARTTLS
and login when configured); the working-day calendar for the next 90 days (and, from
1 November, next year's); the key that signs customers' links (set or generated, not one that
ships in the source, long enough); the Prefect API (reachable, every deployment of prefect.yaml
there with its schedules, a live worker on the pool); the outbox (pending, retrying, failed, the
oldest waiting mail); the last run of every scheduled deployment. A check that cannot run
because an earlier one failed (no Prefect API: no deployments) says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from careops.settings import PROJECT_ROOT, Settings

CALENDAR_DAYS_AHEAD = 90
MAIL_WAIT_WARNING = timedelta(minutes=15)


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def as_dict(self) -> dict:
        return asdict(self) | {"status": str(self.status)}


def run_checks(settings: Settings, now: datetime, today: date) -> list[Check]:
    """Every check, each isolated: one that raises becomes a failed row, the rest still run."""
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("database", lambda: check_database(settings.database_url)),
        ("smtp", lambda: check_smtp(settings)),
        ("calendar", lambda: check_calendar(today)),
        ("web secret key", lambda: check_web_key(settings)),
        ("outbox", lambda: check_outbox(now)),
    ]
    rows = [_safely(name, fn) for name, fn in checks]
    rows.extend(check_prefect(settings))
    return rows


def _safely(name: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a doctor reports every fault as a row
        from careops.db.faults import describe_fault

        return Check(name, Status.FAIL, describe_fault(exc) or _one_line(exc))


def _one_line(exc: BaseException) -> str:
    return (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:300]


def check_database(url: str) -> Check:
    from careops.db.backup import schema_revision
    from careops.db.engine import normalise_url
    from careops.db.faults import describe_fault, masked_url
    from careops.db.migrate import head_revision

    where = masked_url(normalise_url(url))
    try:
        revision, head = schema_revision(url), head_revision()
    except Exception as exc:  # noqa: BLE001 - the reason is the row, with the masked URL
        reason = describe_fault(exc, normalise_url(url)) or _one_line(exc)
        return Check("database", Status.FAIL, f"{where}: {reason}")
    if revision != head:
        return Check("database", Status.FAIL, f"{where} is at {revision or 'no schema'}, the code "
                     f"needs {head}: run `careops db upgrade`")
    return Check("database", Status.OK, f"{where}, schema {revision}")


def check_smtp(settings: Settings) -> Check:
    from careops.mail.delivery import probe

    smtp = settings.smtp
    steps = ["EHLO"] + (["STARTTLS"] if smtp.security == "starttls" else []) + (
        ["TLS"] if smtp.security == "ssl" else []) + (["AUTH"] if smtp.username else [])
    problem = probe(smtp)
    if problem:
        return Check("smtp", Status.FAIL, problem)
    return Check("smtp", Status.OK, f"{smtp.host}:{smtp.port} answers ({', '.join(steps)})")


def check_calendar(today: date, days_ahead: int = CALENDAR_DAYS_AHEAD) -> Check:
    """Every calendar year `careops.rules.calendar_years.years_needed` asks for is published."""
    from careops.bootstrap import get_calendar
    from careops.rules.calendar_years import years_needed

    calendar = get_calendar()
    last = today + timedelta(days=days_ahead)
    needed = years_needed(today, days_ahead)
    wanted = [n.year for n in needed]
    missing = [n for n in needed if not calendar.is_published(n.year)]
    if missing:
        files = ", ".join(f"config/calendar/{n.year}.toml" for n in missing)
        why = "; ".join(
            f"{n.year}: next year's calendar is due from 1 November" if n.reason == "next year"
            else f"{n.year}: dates up to {last} need it" for n in missing)
        return Check("calendar", Status.FAIL, f"working days unknown for "
                     f"{[n.year for n in missing]} ({why}): add {files} "
                     "from the State Council's notice (config/calendar/README.md)")
    return Check("calendar", Status.OK, f"working days known through {last} ({wanted})")


def check_web_key(settings: Settings) -> Check:
    """The key of the customers' links: there, not one that ships in the source, long enough
    (careops.secrets); the detail names where it is, never its value."""
    from careops.secrets import SecretProblem, web_key_file, web_secret_key

    try:
        web_secret_key(settings)
    except SecretProblem as exc:
        return Check("web secret key", Status.FAIL, str(exc))
    where = ("web.secret_key (configured)" if settings.web.secret_key is not None
             else str(web_key_file(settings)))
    return Check("web secret key", Status.OK, f"{where}: a private key, long enough")


def check_outbox(now: datetime) -> Check:
    from sqlalchemy import func, select

    from careops.db.models.outbox import OutboxMessage as M
    from careops.db.models.outbox import OutboxStatus
    from careops.db.uow import UnitOfWork

    uow = UnitOfWork()
    with uow:
        rows = uow.session.execute(
            select(M.status, func.count(), func.min(M.created_at), func.max(M.attempts))
            .where(M.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]))
            .group_by(M.status)
        ).all()
        retrying = uow.session.scalar(
            select(func.count()).where(M.status == OutboxStatus.PENDING, M.attempts > 0)
        )
    counts = {str(status): count for status, count, _oldest, _att in rows}
    oldest = min((o for s, _c, o, _a in rows if s != OutboxStatus.FAILED and o), default=None)
    age = now - oldest if oldest else None
    detail = (f"pending {counts.get('pending', 0)} (retrying {retrying}), sending "
              f"{counts.get('sending', 0)}, failed {counts.get('failed', 0)}")
    if age is not None:
        detail += f"; oldest waiting {int(age.total_seconds() // 60)} min"
    if counts.get("failed"):
        return Check("outbox", Status.FAIL, detail + ": see `careops outbox list --status failed`")
    if age is not None and age > MAIL_WAIT_WARNING:
        return Check("outbox", Status.WARN, detail)
    return Check("outbox", Status.OK, detail)


def check_prefect(settings: Settings) -> list[Check]:
    from careops.stack.prefect_setup import planned_deployments
    from careops.wakeups import api_url

    api = api_url()
    planned = planned_deployments(PROJECT_ROOT)
    try:
        from careops.stack.prefect_state import read_state

        state = read_state(api, settings.prefect.work_pool, [p.name for p in planned])
    except Exception as exc:  # noqa: BLE001
        why = _one_line(exc)
        return [Check("prefect api", Status.FAIL, f"{api}: {why}"),
                Check("deployments", Status.FAIL, "not checked: no Prefect API"),
                Check("worker", Status.FAIL, "not checked: no Prefect API"),
                Check("last runs", Status.FAIL, "not checked: no Prefect API")]
    rows = [Check("prefect api", Status.OK, f"{api} answers")]
    problems = []
    for item in planned:
        schedules = state.schedules.get(item.name)
        if schedules is None:
            problems.append(f"{item.name} missing")
        elif sorted(schedules) != sorted(item.schedules):
            declared = list(item.schedules)
            problems.append(f"{item.name} has {schedules}, prefect.yaml says {declared}")
    rows.append(Check("deployments", Status.FAIL if problems else Status.OK,
                      "; ".join(problems) + " (run `prefect deploy --all`)" if problems
                      else f"all {len(planned)} of prefect.yaml, schedules as declared"))
    rows.append(Check("worker", Status.OK if state.online_workers else Status.FAIL,
                      f"{len(state.online_workers)} online on pool {settings.prefect.work_pool!r}"
                      + (f": {', '.join(state.online_workers)}" if state.online_workers else
                         " (start `prefect worker start --pool careops`)")))
    bad = [f"{name}: {run_state}" for name, run_state in sorted(state.last_runs.items())
           if run_state not in ("COMPLETED", "none yet")]
    summary = ", ".join(f"{n} {s}" for n, s in sorted(state.last_runs.items()))
    rows.append(Check("last runs", Status.FAIL if bad else Status.OK,
                      ("; ".join(bad) if bad else summary) or "no scheduled deployment"))
    return rows
