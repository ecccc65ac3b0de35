"""R7's holiday availability (R3): the holiday periods that ended in a month, per period and site.

A period is in the month its last day falls in (National Day 2026, 1–7 October, whose window
opens at 18:00 on 30 September, is in the October report). Its figures are the R3
availability report's (`watch_report.build_report`: the watch's checks of the period, by
round slot inside the window, ad-hoc checks left out), never recomputed: one summary row per
period (window, sites watched, checks, % up, incidents, downtime, alerts, reminders) and one
table per period of its sites with a total. A month with no period ending is one line instead
of a table. Periods of a year whose calendar is not published are R3's provisional ones (the
watch's calendar, bootstrap.get_watch_calendar), named "(provisional window)"; once the file is
there the published window replaces them, as it does for the watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from careops.calendar import UnknownCalendarYear, WorkCalendar
from careops.db.uow import UnitOfWork
from careops.i18n import Formats
from careops.months import Month
from careops.rules.holidays import HolidayPeriod, periods_ending_in
from careops.services.watch import report as watch_report


@dataclass(frozen=True)
class WatchSource:
    """What R3 decides a period and its downtime by: the watch's calendar (an unpublished
    year planned provisionally), the watched holidays and the round interval."""

    calendar: WorkCalendar
    holidays: tuple[str, ...]
    interval_minutes: int

    @classmethod
    def from_settings(cls) -> WatchSource:
        from careops.bootstrap import get_watch_calendar
        from careops.settings import get_settings

        rules = get_settings().holiday_watch
        return cls(get_watch_calendar(), tuple(rules.holidays), rules.interval_minutes)


@dataclass
class HolidayTable:
    key: str
    title: str
    basis: str
    headers: list[str]
    rows: list[list]
    empty: str | None = None  # shown instead of the table when there are no rows


def period_name(period: HolidayPeriod, words: dict) -> str:
    """The period's name; a provisional one (its year's calendar unpublished) says so."""
    names = words["separator"].join(words["names"].get(k, k) for k in period.keys)
    name = words["period"].format(names=names, year=period.first_day.year)
    return words["provisional"].format(period=name) if period.provisional else name


def _summary_row(report: watch_report.AvailabilityReport, name: str, window: str) -> list:
    incidents = [i for s in report.sites for i in s.incidents]
    return [
        name,
        window,
        len(report.sites),
        report.checks,
        sum(s.up for s in report.sites),
        report.percent_up,
        len(incidents),
        sum(s.downtime_minutes for s in report.sites),
        len(incidents),
        sum(i["reminders"] for i in incidents),
    ]


def _site_rows(report: watch_report.AvailabilityReport, total: str) -> list[list]:
    rows = [
        [
            s.url,
            s.customer,
            s.project,
            s.checks,
            s.up,
            s.percent_up,
            s.downtime_minutes,
            len(s.incidents),
        ]
        for s in report.sites
    ]
    rows.append(
        [
            total,
            "",
            "",
            report.checks,
            sum(s.up for s in report.sites),
            report.percent_up,
            sum(s.downtime_minutes for s in report.sites),
            sum(len(s.incidents) for s in report.sites),
        ]
    )
    return rows


def holiday_tables(
    uow: UnitOfWork,
    month: Month,
    tz: ZoneInfo,
    locale: str,
    words: dict,
    total: str,
    source: WatchSource,
) -> list[HolidayTable]:
    """The summary table (one row per period ending in `month`) and one table per period."""
    text, fmt = words["holiday"], Formats(locale, str(tz))
    every = source.interval_minutes
    summary = HolidayTable(
        "holidays",
        text["summary"]["title"],
        text["summary"]["basis"].format(every=every),
        list(text["summary"]["headers"]),
        [],
    )
    try:
        periods = periods_ending_in(
            month.first_day, month.last_day, source.calendar, tz, source.holidays
        )
    except UnknownCalendarYear as exc:
        summary.empty = text["unknown_year"].format(year=exc.year, month=fmt.month(str(month)))
        return [summary]
    if not periods:
        summary.empty = text["none"].format(month=fmt.month(str(month)))
        return [summary]
    out = [summary]
    for period in periods:
        report = watch_report.build_report(uow, period, every)
        name = period_name(period, text)
        window = text["window"].format(
            start=fmt.datetime(period.start), end=fmt.deadline(period.end)
        )
        summary.rows.append(_summary_row(report, name, window))
        if report.sites:
            out.append(
                HolidayTable(
                    f"holiday:{period.id}",
                    text["sites"]["title"].format(period=name),
                    text["sites"]["basis"].format(window=window, every=every),
                    list(text["sites"]["headers"]),
                    _site_rows(report, total),
                )
            )
    return out
