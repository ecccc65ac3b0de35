"""The R3 holiday watch as flows/holiday_watch.py runs it — readiness, one round per slot of
an open window, the availability report, the next wakeups — with a fake site checker: each
site is up or down per half-hour block by a seeded random draw (no network)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from datetime import time as dtime

from careops.rules.holidays import HolidayPeriod, current_or_next, readiness_day, round_slot
from careops.rules.site_conditions import Response
from careops.services.watch import periods as watch_periods
from careops.services.watch import report as watch_report
from careops.services.watch import rounds as site_watch
from careops.services.watch.notices import WatchEnv
from careops.simulation.core import Sim

READINESS_AT = dtime(9, 0)  # flows/holiday_watch.py
HOLDER = "simulation"
DOWN_SHARE = 0.04  # of half-hour blocks a site is down


def check_sites(sim: Sim, at: datetime) -> dict[int, Response]:
    """The fake checker: deterministic by seed, site and half-hour block."""
    results = {}
    for target in site_watch.targets(sim.uow()):
        draw = random.Random(f"{sim.seed}:{target.site_id}:{int(at.timestamp()) // 1800}")
        if draw.random() < DOWN_SHARE:
            results[target.site_id] = Response(elapsed_ms=10, error="cannot connect (simulated)")
        else:
            expires = at + timedelta(days=draw.randint(5, 400))
            results[target.site_id] = Response(
                status=200, elapsed_ms=draw.randint(40, 900), body="ok", cert_expires_at=expires
            )
    return results


def _readiness_moment(env: WatchEnv, period: HolidayPeriod) -> datetime:
    day = readiness_day(period, env.calendar, env.rules.readiness_working_days)
    return datetime.combine(day, READINESS_AT, env.tz)


def holiday_watch(sim: Sim) -> dict:
    """One holiday-watch run (the weekly sweep or a wakeup)."""
    env = WatchEnv.from_settings()
    now = sim.now
    result: dict = {"reports": 0}
    for period_id in watch_periods.unreported(sim.uow()):
        stored = watch_periods.replan(sim.uow(), env, period_id)
        if stored is not None and now >= stored.end and not _watching(sim, stored):
            result["reports"] += _report(sim, env, stored)
    period = current_or_next(now, env.calendar, env.tz, env.holidays)
    if period is None:
        year = now.astimezone(env.tz).year + 1
        told = watch_periods.calendar_missing(sim.uow(), env, year, now)
        return result | {"calendar missing": 1, "ops told": told}
    year = watch_periods.unpublished_year(env, period)
    if year is not None:  # watched on a provisional window; ops told once per year
        told = watch_periods.calendar_missing(sim.uow(), env, year, now, period)
        result |= {"calendar missing": 1, "ops told": told}
    if _readiness_moment(env, period) <= now < period.start:
        report = watch_periods.readiness(sim.uow(), env, period, check_sites(sim, now), now)
        result |= {"readiness checks": 1, "readiness problems": report.problems}
    if (
        period.is_open(now)
        and not _watching(sim, period)
        and watch_periods.claim(sim.uow(), period, HOLDER, now, env.rules.lease_minutes)
    ):
        sim.state.setdefault("watching", set()).add(period.id)
        result["windows watched"] = 1
        _next_round(sim, period, round_slot(period, now, env.rules.interval_minutes))
    for _what, at in _plan(env, now):
        sim.agenda.at(at, "holiday-watch", holiday_watch)
    return result


def _watching(sim: Sim, period: HolidayPeriod) -> bool:
    return period.id in sim.state.get("watching", set())


def _next_round(sim: Sim, period: HolidayPeriod, at: datetime) -> None:
    def step(sim: Sim) -> dict:
        return _round(sim, period, at)

    sim.agenda.at(max(at, sim.now), f"holiday-watch round {period.id}", step)


def _round(sim: Sim, period: HolidayPeriod, at: datetime) -> dict:
    env = WatchEnv.from_settings()
    period = watch_periods.replan(sim.uow(), env, period.id) or period  # the plan as it is now
    if not period.is_open(at):  # re-planned by a published calendar: shortened or moved
        watch_periods.release(sim.uow(), period.id, HOLDER)
        sim.state["watching"].discard(period.id)
        sim.agenda.at(max(sim.now, min(period.end, at)), "holiday-watch", holiday_watch)
        return {"rounds": 0}
    outcome = site_watch.record_round(sim.uow(), env, period, at, check_sites(sim, at), sim.now)
    watch_periods.renew(sim.uow(), period.id, HOLDER, sim.now)
    figures = {
        "rounds": 1,
        "failing": outcome.failing,
        "alerts": outcome.alerts,
        "reminders": outcome.reminders,
        "recoveries": outcome.recoveries,
    }
    following = at + timedelta(minutes=env.rules.interval_minutes)
    if following < period.end:
        _next_round(sim, period, following)
        return figures
    watch_periods.release(sim.uow(), period.id, HOLDER)
    sim.state["watching"].discard(period.id)

    def finish(sim: Sim) -> dict:
        return {"reports": _report(sim, WatchEnv.from_settings(), period)}

    sim.agenda.at(period.end, "holiday-watch", finish)
    return figures


def _report(sim: Sim, env: WatchEnv, period: HolidayPeriod) -> int:
    site_watch.close_period(sim.uow(), period)
    report = watch_report.build_report(sim.uow(), period, env.rules.interval_minutes)
    mailed = watch_report.mail_report(sim.uow(), env, report, _chart(sim, report), sim.now)
    watch_report.prune(sim.uow(), sim.now, env.rules.retention_days)
    return int(mailed)


def _chart(sim: Sim, report: watch_report.AvailabilityReport) -> bytes | None:
    """The availability chart, as tasks/holiday_watch.py draws it."""
    from careops.charts import BarChart, ChartError, bar_chart_png

    if not report.customers:
        return None
    chart = BarChart(
        f"{report.period.first_day.year}年{'、'.join(report.period.names)} 各客户网站可用率",
        [c.customer for c in report.customers],
        [c.percent_up for c in report.customers],
        y_label="可用率 %",
        y_max=100.0,
        value_format="{:.2f}%",
    )
    try:
        return bar_chart_png(chart, sim.settings.charts.font_file)
    except ChartError:
        return None


def _plan(env: WatchEnv, now: datetime) -> list[tuple[str, datetime]]:
    period = current_or_next(now, env.calendar, env.tz, env.holidays)
    if period is None or period.is_open(now):
        return []
    return [
        (what, at)
        for what, at in (("readiness", _readiness_moment(env, period)), ("window", period.start))
        if at > now
    ]
