"""Dates, times, weekdays, months and numbers in a recipient's locale, with Babel (CLDR data).

Every moment is shown in the configured timezone (Asia/Shanghai). The CLDR formats are used
as they are, with two house rules:
- a date and a time are joined by one space ("2026年10月9日 14:30", "9 Oct 2026 14:30");
- English dates are day-month-year with the short month ("9 Oct 2026"), as careops mails have
  always been written (unambiguous for colleagues reading both languages), not CLDR's US order.
A deadline at local midnight reads as "24:00 of the day before" (PRC Civil Code, art. 203):
"2026年10月9日 24:00".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from careops.errors import TemplateError

# per-locale patterns that replace CLDR's choice (CLDR skeleton/pattern syntax)
_HOUSE_DATE = {"en": "d MMM y"}
_HOUSE_MONTH = {"en": "MMM y"}
_HOUSE_DAY_MONTH = {"en": "d MMM"}


@dataclass(frozen=True)
class Formats:
    """The formats of one locale in one timezone: `Formats("zh_CN").date(day)`."""

    locale: str
    timezone: str = "Asia/Shanghai"
    tz: ZoneInfo = field(init=False, repr=False)
    babel: Locale = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.timezone))
        object.__setattr__(self, "babel", Locale.parse(self.locale))

    def local(self, value: date | datetime) -> date | datetime:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise TemplateError(f"naive datetime {value!r} given to a template")
            return value.astimezone(self.tz)
        if isinstance(value, date):
            return value
        raise TemplateError(f"a date or datetime is needed, not {value!r}")

    def date(self, value: date | datetime) -> str:
        """`2026年12月1日` / `1 Dec 2026`."""
        day = self.local(value)
        pattern = _HOUSE_DATE.get(self.babel.language, "medium")
        return format_date(day, pattern, locale=self.babel)

    def day_month(self, value: date | datetime) -> str:
        """`9月30日` / `30 Sep` (short labels, e.g. a chart's axis)."""
        pattern = _HOUSE_DAY_MONTH.get(self.babel.language)
        if pattern:
            return format_date(self.local(value), pattern, locale=self.babel)
        return format_skeleton("MMMd", self.local(value), locale=self.babel)

    def time(self, value: datetime | time) -> str:
        """`14:30` (the locale's 24-hour clock)."""
        return format_skeleton("Hm", value, locale=self.babel)

    def datetime(self, value: datetime) -> str:
        """`2026年12月1日 14:30` / `1 Dec 2026 14:30`."""
        if not isinstance(value, datetime):
            raise TemplateError(f"the datetime filter needs a datetime, not {value!r}")
        moment = self.local(value)
        return f"{self.date(moment)} {self.time(moment)}"

    def deadline(self, value: datetime) -> str:
        """Like `datetime`, but local midnight reads as 24:00 of the day before."""
        moment = self.local(value)
        if isinstance(moment, datetime) and moment.time() == time(0, 0):
            return f"{self.date(moment - timedelta(days=1))} 24:00"
        return self.datetime(value)

    def weekday(self, value: date | datetime) -> str:
        """`星期二` / `Tuesday`."""
        return format_date(self.local(value), "EEEE", locale=self.babel)

    def month(self, value: str | date) -> str:
        """`"2026-12"` (or a date) → `2026年12月` / `Dec 2026`."""
        if isinstance(value, str):
            try:
                year, month = (int(part) for part in value.split("-")[:2])
            except ValueError:
                raise TemplateError(f"the month filter needs YYYY-MM, not {value!r}") from None
            value = date(year, month, 1)
        pattern = _HOUSE_MONTH.get(self.babel.language)
        if pattern:
            return format_date(value, pattern, locale=self.babel)
        return format_skeleton("yMMM", value, locale=self.babel)

    def number(self, value: int | float | None, *, missing: str = "") -> str:
        """`1,234` / `4.5` in the locale's digits and separators; None → `missing`."""
        if value is None:
            return missing
        return format_decimal(value, locale=self.babel)
