"""R3 holiday watch tasks: each round is one batched task (never one task per site)."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task

from careops.charts import BarChart, ChartError, bar_chart_png
from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.rules.holidays import HolidayPeriod, period_by_id
from careops.services.watch import adhoc as watch_adhoc
from careops.services.watch import periods as watch_periods
from careops.services.watch import report as watch_report
from careops.services.watch import rounds as site_watch
from careops.services.watch.notices import WatchEnv
from careops.site_checker import run_checks
from tasks.artifacts import markdown_table, publish_markdown, publish_table


def _period(env: WatchEnv, period_id: str) -> HolidayPeriod:
    """The period as planned now (a provisional window replaced by the published one), else
    as last stored; CareopsError naming it when neither knows it."""
    period = watch_periods.replan(UnitOfWork(), env, period_id)
    return period or period_by_id(period_id, env.calendar, env.tz, env.holidays)


def _check(env: WatchEnv, site_ids: list[int] | None = None) -> dict:
    rules = env.rules
    return run_checks(site_watch.targets(UnitOfWork(), site_ids), timeout=rules.timeout_seconds,
                      concurrency=rules.concurrency, ca_file=rules.ca_file)


@task(name="watch-round", retries=1, retry_delay_seconds=[10])
def watch_round_task(period_id: str, at: datetime) -> dict:
    """Check every active site once and act on the results (alerts, reminders, recoveries)."""
    env = WatchEnv.from_settings()
    results = _check(env)
    outcome = site_watch.record_round(UnitOfWork(), env, _period(env, period_id), at, results,
                                      utcnow())
    logger = get_run_logger()
    for warning in outcome.warnings:
        logger.warning(warning)
    logger.info("round %s: %d checked, %d failing, %d alert(s), %d reminder(s), "
                "%d acknowledged (no reminders), %d recovery", at.isoformat(), outcome.checked,
                len(outcome.failing), len(outcome.alerts), len(outcome.reminders),
                len(outcome.acknowledged), len(outcome.recoveries))
    return outcome.as_dict()


@task(name="check-sites")
def check_sites_task(names: list[str]) -> list[dict]:
    """Check the chosen sites now (URLs or project codes; none: every active site)."""
    env = WatchEnv.from_settings()
    ids = watch_adhoc.resolve_sites(UnitOfWork(), names)
    rows = watch_adhoc.record_adhoc(UnitOfWork(), _check(env, ids), utcnow())
    publish_table("check-sites", rows, f"Sites checked now: {sum(r['ok'] for r in rows)} of "
                  f"{len(rows)} up")
    return rows


@task(name="watch-readiness", retries=1, retry_delay_seconds=[30])
def readiness_task(period_id: str) -> dict:
    """Check every site now, the certificates, TS contacts and the roster; mail once."""
    env = WatchEnv.from_settings()
    period = _period(env, period_id)
    report = watch_periods.readiness(UnitOfWork(), env, period, _check(env), utcnow())
    publish_table(f"holiday-readiness-{period.id}", report.rows() or [{"what": "all ready"}],
                  f"Readiness for {period.id} ({_plan_word(period)}window "
                  f"{period.start:%Y-%m-%d %H:%M} → {period.end:%Y-%m-%d %H:%M}): "
                  f"{report.problems} item(s) to fix")
    return {"period": period.id, "sites": report.sites, "problems": report.problems,
            "mailed": report.mailed}


def _plan_word(period: HolidayPeriod) -> str:
    return "PROVISIONAL " if period.provisional else ""


def _chart(env: WatchEnv, report: watch_report.AvailabilityReport) -> bytes | None:
    if not report.customers:
        return None
    from careops.settings import get_settings

    chart = BarChart(
        f"{report.period.first_day.year}年{'、'.join(report.period.names)}"
        f"{'（暂定值守窗口）' if report.period.provisional else ''} 各客户网站可用率",
        [c.customer for c in report.customers], [c.percent_up for c in report.customers],
        y_label="可用率 %", y_max=100.0, value_format="{:.2f}%")
    try:
        return bar_chart_png(chart, get_settings().charts.font_file)
    except ChartError as exc:
        get_run_logger().warning("availability chart skipped: %s", exc)
        return None


def report_markdown(report: watch_report.AvailabilityReport) -> str:
    period = report.period
    window = "Provisional window" if period.provisional else "Window"
    head = (f"# Availability {period.id}\n\n{window} {period.start:%Y-%m-%d %H:%M} → "
            f"{period.end:%Y-%m-%d %H:%M} (+08:00), a round every {report.interval_minutes} "
            f"min: {report.checks} checks, {report.percent_up}% up.\n\n")
    if period.provisional:
        head += ("The window is provisional: its year's calendar is not published, so it was "
                 "planned from the statutory days and weekends (no make-up working days).\n\n")
    if report.left_out:
        head += (f"{report.left_out} round(s) watched under an earlier plan fall outside this "
                 "window and are left out.\n\n")
    head += "## Per customer\n\n"
    tz = period.start.tzinfo
    incidents = [{"site": s.url, "from": f"{i['started_at'].astimezone(tz):%m-%d %H:%M}",
                  "to": f"{i['ended_at'].astimezone(tz):%m-%d %H:%M}",
                  "minutes": i["minutes"], "error": i["error"]}
                 for s in report.sites for i in s.incidents]
    return (head + markdown_table(report.customer_rows()) + "\n## Per site\n\n"
            + markdown_table(report.site_rows()) + "\n## Incidents\n\n"
            + markdown_table(incidents))


@task(name="watch-report", retries=1, retry_delay_seconds=[30])
def report_task(period_id: str, *, mail: bool = True) -> dict:
    """Close the window, build the availability report, publish it, mail it once, prune."""
    env = WatchEnv.from_settings()
    period = _period(env, period_id)
    cut = site_watch.close_period(UnitOfWork(), period) if utcnow() >= period.end else 0
    report = watch_report.build_report(UnitOfWork(), period, env.rules.interval_minutes)
    publish_markdown(f"holiday-availability-{period.id}", report_markdown(report),
                     f"Availability report {period.id}")
    mailed = mail and watch_report.mail_report(UnitOfWork(), env, report, _chart(env, report),
                                               utcnow())
    pruned = watch_report.prune(UnitOfWork(), utcnow(), env.rules.retention_days)
    return {"period": period.id, "checks": report.checks, "percent_up": report.percent_up,
            "sites": len(report.sites), "cut": cut, "mailed": mailed, "pruned": pruned,
            "provisional": period.provisional, "left_out": report.left_out}
