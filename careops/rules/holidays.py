"""R3 holiday periods and watch windows, as pure rules over the working-day calendar.

A holiday period is a maximal run of consecutive non-working days that holds at least one
statutory holiday (so the adjacent weekend belongs to it). Its watch window runs from 18:00 of
the last working day before it (a make-up Saturday counts) to 24:00 of its last day, written
as 00:00 of the next day. A run of non-working days with no statutory holiday (an ordinary
weekend) is no period.

Statutory holidays are the seven of 《全国年节及纪念日放假办法》; rules.md names New Year, May
Day, National Day and Spring Festival "at least", so which ones are watched is configurable
(`holiday_watch.holidays`). Days are matched by the calendar's Chinese name, so a supplement
file (config/calendar/YYYY.toml) that names its days "国庆节" etc. works the same way.

A period's id is `<year>-<key>` of its main holiday (e.g. `2026-national-day`); when one run
holds two (National Day with Mid-Autumn in 2025), the first in `HOLIDAYS` order gives the id.

Provisional periods: a year whose official arrangement is not published yet (config/calendar/
YYYY.toml missing) would leave R3 blind, so the watch plans it with `provisional_supplement`:
the statutory days the `holidays` package knows for the year plus the weekends, no make-up
working days (none are known before the notice). Over such a calendar
(`WorkCalendar.provisional`) the functions below work unchanged and mark every period that
depends on a provisional day `provisional`. Watching more is safe; the published calendar
replaces the plan when its file arrives (same id, window extended, shortened or moved).
No database, no Prefect, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careops.calendar import WorkCalendar, YearSupplement
from careops.errors import CareopsError

# key -> Chinese names the calendar uses for the holiday's own days (补假 days included).
# Order: which holiday names a period holding several.
HOLIDAYS: dict[str, tuple[str, ...]] = {
    "spring-festival": ("春节", "农历除夕", "除夕"),
    "national-day": ("国庆节", "国庆"),
    "new-year": ("元旦",),
    "may-day": ("劳动节", "五一"),
    "mid-autumn": ("中秋节", "中秋"),
    "qingming": ("清明节", "清明"),
    "dragon-boat": ("端午节", "端午"),
}
DEFAULT_HOLIDAYS: tuple[str, ...] = tuple(HOLIDAYS)
WINDOW_START = time(18, 0)
_DAY = timedelta(days=1)
_SUBSTITUTE = "休息日"  # "休息日（由 … 调休）": a moved day off, not a holiday of its own


class UnknownHoliday(CareopsError):
    pass


def check_holidays(keys: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [k for k in keys if k not in HOLIDAYS]
    if unknown:
        raise UnknownHoliday(f"unknown holiday(s) {', '.join(unknown)}: use {', '.join(HOLIDAYS)}")
    return tuple(keys)


def holiday_key(name: str | None, watched: tuple[str, ...] = DEFAULT_HOLIDAYS) -> str | None:
    """The statutory holiday a day's calendar name stands for, if it is one of `watched`."""
    if not name or name.startswith(_SUBSTITUTE):
        return None
    for key in watched:
        if any(word in name for word in HOLIDAYS[key]):
            return key
    return None


@dataclass(frozen=True)
class HolidayPeriod:
    id: str  # "2026-national-day"
    keys: tuple[str, ...]  # the statutory holidays it holds, in HOLIDAYS order
    names: tuple[str, ...]  # their Chinese names ("国庆节", "中秋节")
    first_day: date
    last_day: date
    last_working_day: date  # before first_day: the window opens at 18:00 on it
    start: datetime  # aware, in the calendar's timezone
    end: datetime  # 00:00 of the day after last_day (24:00 of last_day)
    # planned on an unpublished year's provisional calendar (statutory days + weekends)
    provisional: bool = False

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def window_dates(self) -> list[date]:
        """Local dates the window touches: the evening of the last working day, then the period."""
        out = [self.last_working_day]
        day = self.first_day
        while day <= self.last_day:
            out.append(day)
            day += _DAY
        return out

    def is_open(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "days": self.days,
            "holidays": list(self.keys),
            "names": list(self.names),
            "provisional": self.provisional,
        }


def provisional_supplement(year: int, statutory: Mapping[date, str]) -> YearSupplement:
    """The provisional calendar of an unpublished `year`: its `statutory` days off (the
    `holidays` package's days and names, careops.calendar.statutory_days) plus the weekends
    (YearSupplement's default), no make-up working days. Days of other years are ignored."""
    days = {d: name for d, name in statutory.items() if d.year == year}
    return YearSupplement(year, frozenset(days), frozenset(), days)


def _period(run: list[date], cal: WorkCalendar, tz: ZoneInfo,
            watched: tuple[str, ...]) -> HolidayPeriod | None:
    found = {holiday_key(cal.holiday_name(day), watched) for day in run} - {None}
    if not found:
        return None
    keys = tuple(k for k in HOLIDAYS if k in found)
    first, last = run[0], run[-1]
    before = cal.last_working_day_before(first)
    main_day = next(d for d in run if holiday_key(cal.holiday_name(d), (keys[0],)))
    return HolidayPeriod(
        id=f"{main_day.year}-{keys[0]}",
        keys=keys,
        names=tuple(HOLIDAYS[k][0] for k in keys),
        first_day=first,
        last_day=last,
        last_working_day=before,
        start=datetime.combine(before, WINDOW_START, tz),
        end=datetime.combine(last + _DAY, time(0), tz),
        provisional=any(cal.is_provisional(y) for y in range(before.year, (last + _DAY).year + 1)),
    )


def periods_starting_in(
    year: int, cal: WorkCalendar, tz: ZoneInfo, watched: tuple[str, ...] = DEFAULT_HOLIDAYS
) -> list[HolidayPeriod]:
    """Every holiday period whose first day falls in `year`, in order.

    Raises UnknownCalendarYear when `year` (or a neighbouring year the edge periods reach)
    is not published.
    """
    out: list[HolidayPeriod] = []
    day, stop = date(year, 1, 1), date(year + 1, 1, 1)
    if not cal.is_working_day(day - _DAY):  # a run that began last year belongs to last year
        while not cal.is_working_day(day):
            day += _DAY
    while day < stop:
        if cal.is_working_day(day):
            day += _DAY
            continue
        run = [day]
        while not cal.is_working_day(run[-1] + _DAY):
            run.append(run[-1] + _DAY)
        period = _period(run, cal, tz, watched)
        if period is not None:
            out.append(period)
        day = run[-1] + _DAY
    return out


def periods_ending_in(
    first: date, last: date, cal: WorkCalendar, tz: ZoneInfo,
    watched: tuple[str, ...] = DEFAULT_HOLIDAYS,
) -> list[HolidayPeriod]:
    """Every holiday period whose last day falls in `first`..`last` (a month), in order: one
    spanning a month end belongs to the month it ended in. Raises UnknownCalendarYear when a
    year the search needs is not published."""
    out: dict[str, HolidayPeriod] = {}
    for year in range(first.year - 1, last.year + 1):  # a run may begin the year before
        for period in periods_starting_in(year, cal, tz, watched):
            if first <= period.last_day <= last:
                out.setdefault(period.id, period)
    return sorted(out.values(), key=lambda p: p.first_day)


def period_by_id(
    period_id: str, cal: WorkCalendar, tz: ZoneInfo, watched: tuple[str, ...] = DEFAULT_HOLIDAYS
) -> HolidayPeriod:
    """The period named `2026-national-day`; CareopsError naming it if there is none."""
    head, _, key = period_id.partition("-")
    if not head.isdigit() or key not in HOLIDAYS:
        raise CareopsError(
            f"period {period_id!r} is not like 2026-national-day (keys: {', '.join(HOLIDAYS)})"
        )
    year = int(head)
    for candidate_year in (year - 1, year):  # a New Year period may begin on 30/31 December
        try:
            periods = periods_starting_in(candidate_year, cal, tz, watched)
        except CareopsError:
            if candidate_year < year:
                continue
            raise
        for period in periods:
            if period.id == period_id:
                return period
    raise CareopsError(f"no holiday period {period_id!r} in the {year} calendar")


def current_or_next(
    now: datetime, cal: WorkCalendar, tz: ZoneInfo, watched: tuple[str, ...] = DEFAULT_HOLIDAYS
) -> HolidayPeriod | None:
    """The period whose window is open at `now`, else the next one to open (this year or the
    next; None when the next year's calendar is not published yet)."""
    year = now.astimezone(tz).year
    for y in (year - 1, year, year + 1):
        try:
            periods = periods_starting_in(y, cal, tz, watched)
        except CareopsError:
            continue
        for period in periods:
            if now < period.end:
                return period
    return None


def round_times(period: HolidayPeriod, interval_minutes: int) -> list[datetime]:
    """The round slots of a window: its start, then every `interval_minutes` before its end."""
    step = timedelta(minutes=interval_minutes)
    out, at = [], period.start
    while at < period.end:
        out.append(at)
        at += step
    return out


def round_slot(period: HolidayPeriod, moment: datetime, interval_minutes: int) -> datetime:
    """The round slot a moment inside the window belongs to (the latest slot at or before it)."""
    step = timedelta(minutes=interval_minutes)
    n = (moment - period.start) // step
    return period.start + n * step


def readiness_day(period: HolidayPeriod, cal: WorkCalendar, working_days: int) -> date:
    """The working day `working_days` working days before the window's opening day."""
    day, n = period.last_working_day, working_days
    while n:
        day -= _DAY
        if cal.is_working_day(day):
            n -= 1
    return day
