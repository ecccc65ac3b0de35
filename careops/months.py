"""A calendar month ("2026-12"), the unit R1 plans and closes callbacks in."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from careops.errors import CareopsError

_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The years careops accepts as input: the calendar and date arithmetic (a month after, working
# days after) stay far from datetime's limits (years 1-9999), and no real date is outside.
MIN_YEAR, MAX_YEAR = 1900, 2999
YEARS = f"careops handles the years {MIN_YEAR}-{MAX_YEAR}"


def check_year(year: int, what: str) -> int:
    """`year`, or CareopsError naming `what` (the input as the user gave it) if out of range."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CareopsError(f"{what} is out of range: {YEARS}")
    return year


def check_day(day: date, what: str) -> date:
    """`day` (a date or datetime), or CareopsError naming `what` if its year is out of range."""
    check_year(day.year, what)
    return day


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _PATTERN.match(text.strip())
        if not match:
            raise CareopsError(f"month {text!r} is not of the form YYYY-MM (e.g. 2026-12)")
        check_year(int(match[1]), f"month {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
