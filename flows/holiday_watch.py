"""holiday-watch — R3 holiday service assurance: readiness, the watch window, the report.

What a run does, by the calendar (`careops preview holiday-windows --year 2026`):

- On the readiness day (`readiness_working_days` working days before a window opens, 09:00):
  checks every site now, certificates that expire before the window's end + margin, sites
  without a TS contact and window days nobody of CS is on duty; one mail to the CS and TS
  heads (once per period) and a table artifact.
- While a window is open: this one run watches the whole window — a `watch-round` task every
  `interval_minutes` (one batched task per round over every site), alerts / reminders /
  recoveries / grouped alerts, a progress artifact — holding the period's lease in the
  database. When the window closes: the availability report (mail + artifact).
- A year whose calendar is not published (config/calendar/YYYY.toml missing) is not left
  unwatched: its periods are planned provisionally (the statutory days the `holidays` package
  knows plus the weekends, no make-up working days), marked provisional in every mail and
  report, and ops are mailed once per year. When the file arrives, the next step (every round
  of a running watch included) re-plans the period from the published calendar: same id, the
  window extended, shortened or moved. Rounds already watched are kept; the report counts
  those inside the published window and says how many fell outside.
- Otherwise, and at the end of every run: it schedules itself (careops/wakeups.py) for the
  next readiness day at 09:00 and the next window's opening minute, and leaves.

Why so few runs: outside windows nothing runs but a weekly safety sweep (prefect.yaml) that
re-schedules those wakeups should one be lost; inside a window one run per window instead of
one per round. Crash-safe: the state is in the database (streaks, incidents, the slot of every
stored result, mails by outbox key), and while it watches, the run keeps a dead man's switch —
a wakeup `lease_minutes` + 1 ahead, moved on every round — so if its worker dies, a new run
starts, takes the stale lease over and goes on from the stored state. Requires a migrated
careops database, imported sites (`careops import sites`) and SMTP.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dtime

from prefect import flow, get_run_logger, runtime
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from pydantic import BaseModel

from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.rules.holidays import HolidayPeriod, current_or_next, readiness_day, round_slot
from careops.services.watch import periods as watch_periods
from careops.services.watch.notices import WatchEnv
from careops.wakeups import cancel_wakeup, schedule_wakeup
from tasks.holiday_watch import readiness_task, report_task, watch_round_task
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS

DEPLOYMENT = "holiday-watch/holiday-watch"
READINESS_AT = dtime(9, 0)
# Injected by tests (a FrozenClock and a sleep that moves it); real time otherwise.
clock = utcnow
sleep = time.sleep


class HolidayWatchParams(BaseModel):
    """No parameters: the run acts on the calendar and the stored state."""


def _readiness_moment(env: WatchEnv, period: HolidayPeriod) -> datetime:
    day = readiness_day(period, env.calendar, env.rules.readiness_working_days)
    return datetime.combine(day, READINESS_AT, env.tz)


@flow(name="holiday-watch", log_prints=True, **FAILURE_HOOKS)
def holiday_watch(params: HolidayWatchParams | None = None) -> dict:
    logger = get_run_logger()
    env = WatchEnv.from_settings()
    result: dict = {}
    now = clock()
    for period_id in watch_periods.unreported(UnitOfWork()):  # a run that died at the end
        stored = watch_periods.replan(UnitOfWork(), env, period_id)
        if stored is not None and now >= stored.end:
            result.setdefault("reports", []).append(report_task(period_id))
    period = current_or_next(now, env.calendar, env.tz, env.holidays)
    if period is None:
        year = now.astimezone(env.tz).year + 1
        logger.warning("no holiday period ahead: the calendar of %d is not published yet; "
                       "add config/calendar/%d.toml (ops are mailed once)", year, year)
        told = watch_periods.calendar_missing(UnitOfWork(), env, year, clock())
        return {"period": None, "calendar_missing": year, "ops_told": told,
                "delivery": deliver_outbox_task()}
    result["period"] = period.id
    year = watch_periods.unpublished_year(env, period)
    if year is not None:
        logger.warning("%s is planned provisionally (window %s → %s): the calendar of %d is not "
                       "published yet; add config/calendar/%d.toml (ops are mailed once)",
                       period.id, period.start, period.end, year, year)
        result |= {"provisional": True, "calendar_missing": year, "ops_told": (
            watch_periods.calendar_missing(UnitOfWork(), env, year, clock(), period))}
    if now < period.start and now >= _readiness_moment(env, period):
        result["readiness"] = readiness_task(period.id)
    if period.is_open(now):
        result["watch"], period = _watch(env, period)
        if clock() >= period.end:
            result["report"] = report_task(period.id)
    result["delivery"] = deliver_outbox_task()
    result["next"] = _plan(WatchEnv.from_settings())  # the calendar as it is now
    return result


def _watch(env: WatchEnv, period: HolidayPeriod) -> tuple[dict, HolidayPeriod]:
    """Rounds until the window closes (or another run takes the lease over). Each round reads
    the current plan: a published calendar replacing a provisional window extends, shortens or
    moves it under the running watch. Returns the figures and the period as last planned."""
    logger = get_run_logger()
    rules = env.rules
    holder = str(runtime.flow_run.id or f"local-{clock():%H%M%S}")
    if not watch_periods.claim(UnitOfWork(), period, holder, clock(), rules.lease_minutes):
        logger.info("%s is being watched by another run: nothing to do", period.id)
        return {"rounds": 0, "watched_by_another_run": True}, period
    progress = create_progress_artifact(
        0.0, key=f"holiday-watch-{period.id}", description=f"Watching {period.id}")
    rounds, alerts, switch = 0, 0, None
    step = timedelta(minutes=rules.interval_minutes)
    replanned = 0
    try:
        while True:
            now = clock()
            current = watch_periods.replan(UnitOfWork(), WatchEnv.from_settings(), period.id)
            if current is not None and (current.start, current.end) != (period.start, period.end):
                logger.warning("%s re-planned: window %s → %s (%s)", period.id, current.start,
                               current.end, "provisional" if current.provisional else "published")
                replanned += 1
            period = current or period
            if not period.is_open(now):
                break
            at = round_slot(period, now, rules.interval_minutes)
            outcome = watch_round_task(period.id, at)
            deliver_outbox_task()
            rounds += 1
            alerts += outcome["alerts"] + outcome["reminders"]
            done = ((at - period.start) / step + 1) / ((period.end - period.start) / step) * 100
            update_progress_artifact(progress, min(done, 100.0), description=(
                f"{period.id}: round {at.astimezone(env.tz):%m-%d %H:%M}, {outcome['checked']} "
                f"checked, {outcome['failing']} failing ({outcome['acknowledged']} acknowledged); "
                f"{alerts} alert(s) so far"))
            if not watch_periods.renew(UnitOfWork(), period.id, holder, clock()):
                logger.warning("the lease of %s was taken over: stopping", period.id)
                break
            switch = _rearm(switch, clock() + timedelta(minutes=rules.lease_minutes + 1))
            wait = (at + step - clock()).total_seconds()
            if wait > 0:
                sleep(wait)
    finally:
        watch_periods.release(UnitOfWork(), period.id, holder)
    if switch is not None:
        cancel_wakeup(switch)
    figures = {"rounds": rounds, "alerts": alerts}
    return (figures | {"replanned": replanned}) if replanned else figures, period


def _rearm(previous: str | None, at: datetime) -> str | None:
    """The dead man's switch: one wakeup ahead of the watch, the superseded one deleted."""
    run = schedule_wakeup(DEPLOYMENT, at, clock(), reason="holiday watch dead man's switch")
    if previous is not None and run != previous:
        cancel_wakeup(previous)
    return run or previous


def _plan(env: WatchEnv) -> dict:
    """Wakeups for the next readiness check and the next window (idempotent per minute)."""
    now = clock()
    period = current_or_next(now, env.calendar, env.tz, env.holidays)
    if period is None or period.is_open(now):
        return {}
    planned = {}
    for what, at in (("readiness", _readiness_moment(env, period)), ("window", period.start)):
        if at > now:
            planned[what] = at.isoformat()
            schedule_wakeup(DEPLOYMENT, at, now, reason=f"{period.id} {what}")
    return planned


if __name__ == "__main__":
    holiday_watch()
