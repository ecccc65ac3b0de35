"""Which working-day calendars careops needs published on a given (local) day. Pure.

- Every year from today to `days_ahead` days ahead (the doctor looks 90 days ahead: deadlines,
  callbacks and watch windows are computed that far).
- From 1 November on, next year's too, however short the horizon: the State Council publishes
  the next year's holiday arrangement in the autumn, and ops should add it before December's
  planning needs it. Before 1 November next year is needed only when the horizon reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

NEXT_YEAR_FROM = (11, 1)  # (month, day): from this local date on, next year's calendar is due


@dataclass(frozen=True)
class NeededYear:
    year: int
    reason: str  # "today", "horizon" (a date within days_ahead) or "next year" (from 1 November)


def next_year_due(today: date) -> bool:
    """True from 1 November (local date) to 31 December: next year's calendar is due."""
    return (today.month, today.day) >= NEXT_YEAR_FROM


def years_needed(today: date, days_ahead: int) -> list[NeededYear]:
    """The calendar years needed on `today`, each with its first reason, in year order."""
    last = today + timedelta(days=days_ahead)
    needed = {today.year: "today"}
    for year in range(today.year + 1, last.year + 1):
        needed[year] = "horizon"
    if next_year_due(today):
        needed.setdefault(today.year + 1, "next year")
    return [NeededYear(year, reason) for year, reason in sorted(needed.items())]
