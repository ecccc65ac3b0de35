"""The calendars needed on a day: the horizon, and next year's from 1 November."""

from datetime import date

import pytest

from careops.rules.calendar_years import NeededYear, next_year_due, years_needed

D = date.fromisoformat


@pytest.mark.parametrize(
    ("day", "due"),
    [
        ("2026-01-01", False),
        ("2026-10-31", False),
        ("2026-11-01", True),
        ("2026-11-30", True),
        ("2026-12-31", True),
    ],
)
def test_next_year_due_from_1_november(day, due):
    assert next_year_due(D(day)) is due


@pytest.mark.parametrize(
    ("day", "days_ahead", "expected"),
    [
        # a short horizon: the 1 November rule alone brings next year in
        ("2026-10-31", 30, [(2026, "today")]),
        ("2026-11-01", 30, [(2026, "today"), (2027, "next year")]),
        ("2026-12-31", 0, [(2026, "today"), (2027, "next year")]),
        # the doctor's 90 days reach next year from 3 October: the horizon is the first reason
        ("2026-10-02", 90, [(2026, "today")]),
        ("2026-10-03", 90, [(2026, "today"), (2027, "horizon")]),
        ("2026-10-31", 90, [(2026, "today"), (2027, "horizon")]),
        ("2026-11-01", 90, [(2026, "today"), (2027, "horizon")]),
        # January: last year's rule is over, next year far away
        ("2027-01-01", 90, [(2027, "today")]),
        # a horizon over two new years lists each year once
        ("2026-12-01", 400, [(2026, "today"), (2027, "horizon"), (2028, "horizon")]),
    ],
)
def test_years_needed(day, days_ahead, expected):
    assert years_needed(D(day), days_ahead) == [NeededYear(y, r) for y, r in expected]
