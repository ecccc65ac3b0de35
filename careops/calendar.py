"""Working days of mainland China: statutory holidays with the official adjusted workdays (调休).

The data comes from the ``holidays`` package (``holidays.China``), which carries the State Council
notices up to its latest release and only *estimates* later years (no make-up working days). A year
is therefore "published" when the package has official data for it or when a supplement file
``config/calendar/YYYY.toml`` provides it; any date arithmetic touching another year raises
:class:`UnknownCalendarYear` instead of guessing. A supplement replaces the package's data for its
year. Results are cached per year: planning calls this ~200k times per run.

One exception, for R3 only: `WorkCalendar.provisional(plan)` gives a calendar that plans an
unpublished year with `plan(year)` instead of refusing it (careops.rules.holidays.
provisional_supplement: the package's statutory days plus the weekends, no make-up working days),
so the holiday watch can plan a *provisional* window; deadlines never use it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import holidays
from holidays.countries.china import ChinaStaticHolidays

from careops.errors import CareopsError

_OFFICIAL_YEARS: frozenset[int] = frozenset(ChinaStaticHolidays.special_public_holidays)
_FIRST_OFFICIAL, _LAST_OFFICIAL = min(_OFFICIAL_YEARS), max(_OFFICIAL_YEARS)
DEFAULT_DAY_OFF_NAME = "休息日"
_FILE_NAME = re.compile(r"^(\d{4})\.toml$")
_ONE_DAY = timedelta(days=1)


class UnknownCalendarYear(CareopsError):
    """Date arithmetic reached a year whose official working-day calendar is not known."""

    def __init__(self, year: int, calendar_dir: str = "config/calendar") -> None:
        self.year = year
        super().__init__(
            f"the working-day calendar for {year} is not published yet: the holidays package "
            f"only estimates it. Add {calendar_dir}/{year}.toml (days_off, workdays) from the "
            "State Council notice."
        )


class CalendarFileError(CareopsError):
    """A config/calendar/YYYY.toml file is malformed."""


@dataclass(frozen=True)
class YearSupplement:
    """One year's official calendar: weekdays off, weekend make-up working days, holiday names.

    ``days_off`` may also list weekend days (harmless). Dates of a neighbouring year are allowed
    (a notice can move a working day across New Year) and override that year's data for those days.
    """

    year: int
    days_off: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    names: dict[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        y = self.year
        for d in sorted(self.days_off & self.workdays):
            raise CalendarFileError(f"calendar {y}: {d} is both a day off and a workday")
        for d in self.days_off | self.workdays:
            if abs(d.year - y) > 1:
                raise CalendarFileError(f"calendar {y}: {d} is not in or next to {y}")
        for d in self.workdays:
            if d.weekday() < 5:
                raise CalendarFileError(
                    f"calendar {self.year}: workday {d} is a weekday; workdays lists only "
                    "make-up working days falling on a Saturday or Sunday"
                )
        for d in self.names:
            if d not in self.days_off:
                raise CalendarFileError(f"calendar {self.year}: name given for {d}, not a day off")


class WorkCalendar:
    """Working-day arithmetic over the official calendar (see the module docstring)."""

    def __init__(
        self,
        supplements: dict[int, YearSupplement] | None = None,
        *,
        calendar_dir: str = "config/calendar",
        plan: Callable[[int], YearSupplement] | None = None,
    ) -> None:
        self._supplements = dict(supplements or {})
        self._calendar_dir = calendar_dir
        self._plan = plan
        self._working: dict[date, bool] = {}
        self._names: dict[date, str] = {}
        self._loaded: set[int] = set()
        self._rolled: dict[date, date] = {}
        # Days a neighbouring year's supplement moved across New Year: date -> is working.
        self._cross: dict[date, bool] = {
            d: d in sup.workdays
            for sup in self._supplements.values()
            for d in sup.days_off | sup.workdays
            if d.year != sup.year
        }

    # -- publication ---------------------------------------------------------------------------
    @property
    def published_years(self) -> tuple[int, ...]:
        """Years with official data (package or supplement); years before the package's first
        official year (2001) are accepted too and use its fixed-date rules."""
        official = range(_FIRST_OFFICIAL, _LAST_OFFICIAL + 1)
        return tuple(sorted(set(official) | set(self._supplements)))

    def is_published(self, year: int) -> bool:
        return year in self._supplements or year <= _LAST_OFFICIAL

    def provisional(self, plan: Callable[[int], YearSupplement]) -> WorkCalendar:
        """This calendar, except that an unpublished year is planned by `plan(year)` instead of
        refused (R3's provisional watch windows only): `is_provisional(year)` says which."""
        return WorkCalendar(self._supplements, calendar_dir=self._calendar_dir, plan=plan)

    def is_provisional(self, year: int) -> bool:
        """True when `year` is unpublished and this calendar plans it provisionally."""
        return self._plan is not None and not self.is_published(year)

    def _load(self, year: int) -> None:
        if year in self._loaded:
            return
        sup = self._supplements.get(year)
        if not self.is_published(year):
            if self._plan is None:
                raise UnknownCalendarYear(year, self._calendar_dir)
            sup = self._plan(year)
        start = date(year, 1, 1)
        days = [start + timedelta(days=i) for i in range((date(year + 1, 1, 1) - start).days)]
        if sup is not None:
            for d in days:
                self._working[d] = d in sup.workdays or (d.weekday() < 5 and d not in sup.days_off)
                if d in sup.days_off:
                    self._names[d] = sup.names.get(d, DEFAULT_DAY_OFF_NAME)
        else:
            cn = holidays.China(years=year, language="zh_CN")
            for d in days:
                self._working[d] = cn.is_working_day(d)
                name = cn.get(d)
                if name is not None:
                    self._names[d] = name
        for d, working in self._cross.items():
            if d.year == year:
                self._working[d] = working
                if working:
                    self._names.pop(d, None)
                else:
                    self._names.setdefault(d, DEFAULT_DAY_OFF_NAME)
        self._loaded.add(year)

    # -- queries -------------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        try:
            return self._working[d]
        except KeyError:
            self._load(d.year)
            return self._working[d]

    def holiday_name(self, d: date) -> str | None:
        """The holiday (or substituted day off) on d, in Chinese; None for ordinary days."""
        self.is_working_day(d)  # loads the year, raising UnknownCalendarYear if unpublished
        return self._names.get(d)

    def roll_forward(self, d: date) -> date:
        """d itself when it is a working day, else the next working day (may cross New Year)."""
        try:
            return self._rolled[d]
        except KeyError:
            pass
        day = d
        while not self.is_working_day(day):
            day += _ONE_DAY
        self._rolled[d] = day
        return day

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d, d not counted (PRC Civil Code arts. 201-203 counting)."""
        if n < 1:
            raise CareopsError(f"add_working_days needs n >= 1, got {n}")
        day = d
        while n:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def last_working_day_before(self, d: date) -> date:
        day = d - _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days from start to end, both included (empty if start > end)."""
        out: list[date] = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                out.append(day)
            day += _ONE_DAY
        return out

    def _month_working_days(self, year: int, month: int) -> list[date]:
        end = date(year + month // 12, month % 12 + 1, 1) - _ONE_DAY
        days = self.working_days(date(year, month, 1), end)
        if not days:
            raise CareopsError(f"{year}-{month:02d} has no working day")
        return days

    def first_working_day(self, year: int, month: int) -> date:
        return self._month_working_days(year, month)[0]

    def last_working_day(self, year: int, month: int) -> date:
        return self._month_working_days(year, month)[-1]


def statutory_days(year: int) -> dict[date, str]:
    """The `holidays` package's holidays of `year`, by Chinese name: the official days of a year
    it has, else its estimate (the statutory days by law, lunar dates included, and its 补假 for
    one falling on a weekend; no make-up working days, no moved days)."""
    return {d: n for d, n in holidays.China(years=year, language="zh_CN").items()
            if d.year == year}


def _as_date(value: object, path: Path, where: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarFileError(f"{path}: {where}: {value!r} is not a date (write 2027-01-01)")


def load_supplement(path: Path) -> YearSupplement:
    """Parse one ``YYYY.toml`` file: ``days_off``, ``workdays`` (date lists), ``[names]``."""
    m = _FILE_NAME.match(path.name)
    if not m:
        raise CalendarFileError(f"{path}: calendar files are named YYYY.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalendarFileError(f"{path}: cannot read: {exc}") from exc
    unknown = sorted(set(data) - {"days_off", "workdays", "names"})
    if unknown:
        raise CalendarFileError(f"{path}: unknown key(s) {', '.join(unknown)}")
    lists: dict[str, frozenset[date]] = {}
    for key in ("days_off", "workdays"):
        raw = data.get(key, [])
        if not isinstance(raw, list):
            raise CalendarFileError(f"{path}: {key} must be a list of dates")
        lists[key] = frozenset(_as_date(v, path, key) for v in raw)
    names_raw = data.get("names", {})
    if not isinstance(names_raw, dict):
        raise CalendarFileError(f"{path}: [names] must be a table of date = \"name\"")
    names = {_as_date(k, path, "names"): str(v) for k, v in names_raw.items()}
    try:
        return YearSupplement(int(m.group(1)), lists["days_off"], lists["workdays"], names)
    except CalendarFileError as exc:
        raise CalendarFileError(f"{path}: {exc}") from None


def load_calendar(calendar_dir: Path) -> WorkCalendar:
    """A WorkCalendar with every ``calendar_dir/YYYY.toml`` (a missing directory means none)."""
    files = sorted(calendar_dir.glob("*.toml")) if calendar_dir.is_dir() else []
    sups = {s.year: s for s in (load_supplement(p) for p in files)}
    return WorkCalendar(sups, calendar_dir=str(calendar_dir))
