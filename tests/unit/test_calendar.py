"""WorkCalendar: the official China calendar with make-up working days, and its 2027 edge."""

from datetime import date
from pathlib import Path

import pytest

from careops.calendar import (
    CalendarFileError,
    UnknownCalendarYear,
    WorkCalendar,
    load_calendar,
)
from careops.errors import CareopsError
from careops.settings import PROJECT_ROOT

D = date.fromisoformat
CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-02-13", True),  # Fri before Spring Festival
        ("2026-02-14", True),  # Sat make-up working day
        ("2026-02-15", False),  # Sun, first day of the break
        ("2026-02-17", False),  # Spring Festival
        ("2026-02-20", False),  # Fri, substituted day off
        ("2026-02-23", False),  # Mon, substituted day off
        ("2026-02-24", True),  # first working day after
        ("2026-02-28", True),  # Sat make-up working day
        ("2026-09-20", True),  # Sun make-up for National Day
        ("2026-10-01", False),
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # Sat make-up
        ("2026-10-11", False),  # ordinary Sunday
        ("2026-01-02", False),  # Fri after New Year's Day
        ("2026-01-04", True),  # Sun make-up
        ("2026-03-07", False),  # ordinary Saturday
        ("2026-03-09", True),  # ordinary Monday
    ],
)
def test_is_working_day_2026(day: str, working: bool) -> None:
    assert CAL.is_working_day(D(day)) is working


@pytest.mark.parametrize(
    ("day", "rolled"),
    [
        ("2026-02-14", "2026-02-14"),
        ("2026-02-15", "2026-02-24"),
        ("2026-02-17", "2026-02-24"),
        ("2026-02-28", "2026-02-28"),
        ("2026-01-31", "2026-02-02"),  # Sat -> Mon across the month
        ("2026-10-01", "2026-10-08"),
        ("2026-10-04", "2026-10-08"),
        ("2026-10-10", "2026-10-10"),
        ("2026-12-31", "2026-12-31"),  # Thu: works without any 2027 calendar
    ],
)
def test_roll_forward(day: str, rolled: str) -> None:
    assert CAL.roll_forward(D(day)) == D(rolled)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),  # the make-up Saturday counts
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 3, "2026-02-25"),
        ("2026-02-17", 1, "2026-02-24"),  # received on a holiday: next working day is day 1
        ("2026-03-06", 7, "2026-03-17"),
    ],
)
def test_add_working_days(day: str, n: int, expected: str) -> None:
    assert CAL.add_working_days(D(day), n) == D(expected)


def test_add_working_days_rejects_non_positive_n() -> None:
    with pytest.raises(CareopsError, match="n >= 1"):
        CAL.add_working_days(D("2026-03-06"), 0)


def test_month_bounds_and_ranges() -> None:
    assert CAL.first_working_day(2026, 1) == D("2026-01-04")
    assert CAL.first_working_day(2026, 10) == D("2026-10-08")
    assert CAL.last_working_day(2026, 2) == D("2026-02-28")
    assert CAL.last_working_day(2026, 12) == D("2026-12-31")
    assert CAL.last_working_day_before(D("2026-10-01")) == D("2026-09-30")
    assert CAL.last_working_day_before(D("2026-02-15")) == D("2026-02-14")
    assert CAL.last_working_day_before(D("2026-01-01")) == D("2025-12-31")
    expected = ["2026-02-12", "2026-02-13", "2026-02-14", "2026-02-24", "2026-02-25"]
    assert CAL.working_days(D("2026-02-12"), D("2026-02-25")) == [D(x) for x in expected]
    assert CAL.working_days(D("2026-02-25"), D("2026-02-12")) == []


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2026-02-17", "春节"),
        ("2026-10-01", "国庆节"),
        ("2026-02-23", "休息日（由 2026-02-28 调休）"),
        ("2026-02-24", None),
        ("2026-03-07", None),
    ],
)
def test_holiday_name(day: str, name: str | None) -> None:
    assert CAL.holiday_name(D(day)) == name


def test_published_years() -> None:
    years = CAL.published_years
    assert set(range(2015, 2027)) <= set(years)
    assert 2027 not in years
    assert CAL.is_published(1999) and not CAL.is_published(2027)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.is_working_day(D("2027-01-04")),
        lambda c: c.roll_forward(D("2027-03-01")),
        lambda c: c.add_working_days(D("2026-12-30"), 2),
        lambda c: c.working_days(D("2026-12-28"), D("2027-01-08")),
        lambda c: c.first_working_day(2027, 1),
        lambda c: c.holiday_name(D("2027-01-01")),
    ],
)
def test_unpublished_year_raises_naming_year_and_file(call) -> None:
    with pytest.raises(UnknownCalendarYear) as err:
        call(WorkCalendar())
    assert err.value.year == 2027
    assert "2027" in str(err.value) and "config/calendar/2027.toml" in str(err.value)


SUPPLEMENT_2027 = """
days_off = [2027-01-01, 2027-02-08, 2027-02-09, 2027-02-10, 2027-02-11, 2027-02-12]
workdays = [2027-02-20, 2026-12-27]
[names]
2027-02-08 = "春节"
"""


def test_config_file_supplies_an_unpublished_year(tmp_path: Path) -> None:
    (tmp_path / "2027.toml").write_text(SUPPLEMENT_2027, encoding="utf-8")
    cal = load_calendar(tmp_path)
    assert 2027 in cal.published_years
    assert cal.is_working_day(D("2027-02-05"))  # the package estimates this Friday as a day off
    assert not cal.is_working_day(D("2027-02-08"))
    assert cal.is_working_day(D("2027-02-20"))  # make-up Saturday from the file
    assert cal.roll_forward(D("2027-02-06")) == D("2027-02-15")
    assert cal.add_working_days(D("2026-12-31"), 1) == D("2027-01-04")
    assert cal.holiday_name(D("2027-02-08")) == "春节"
    assert cal.holiday_name(D("2027-02-09")) == "休息日"
    # A make-up Sunday of the neighbouring year overrides the package for that day only.
    assert cal.is_working_day(D("2026-12-27"))
    assert not WorkCalendar().is_working_day(D("2026-12-27"))
    assert not cal.is_working_day(D("2026-12-26"))


def test_config_file_replaces_a_published_year(tmp_path: Path) -> None:
    (tmp_path / "2026.toml").write_text("days_off = [2026-01-01]\n", encoding="utf-8")
    cal = load_calendar(tmp_path)
    assert not cal.is_working_day(D("2026-01-01"))
    assert cal.is_working_day(D("2026-10-01"))  # not in the file: an ordinary Thursday
    assert not cal.is_working_day(D("2026-02-14"))  # no make-up Saturday in the file


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("2027.toml", "days_off = [2027-02-20]\nworkdays = [2027-02-20]", "both a day off"),
        ("2027.toml", "workdays = [2027-02-22]", "is a weekday"),
        ("2027.toml", "days_off = [2027-02-08]\n[names]\n2027-02-09 = 'x'", "not a day off"),
        ("2027.toml", "day_off = [2027-02-08]", "unknown key(s) day_off"),
        ("2027.toml", "days_off = ['Feb 8']", "'Feb 8' is not a date"),
        ("2027.toml", "days_off = [2029-02-08]", "not in or next to 2027"),
        ("2027.toml", "days_off = 2027-02-08", "must be a list"),
        ("2027.toml", "days_off = [", "cannot read"),
        ("holidays.toml", "", "named YYYY.toml"),
    ],
)
def test_malformed_calendar_file_names_the_file(
    tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(CalendarFileError) as err:
        load_calendar(tmp_path)
    assert name in str(err.value)
    assert fragment in str(err.value)


def test_missing_directory_means_package_only(tmp_path: Path) -> None:
    cal = load_calendar(tmp_path / "absent")
    assert cal.roll_forward(D("2026-10-01")) == D("2026-10-08")


def test_repository_calendar_directory_loads() -> None:
    cal = load_calendar(PROJECT_ROOT / "config" / "calendar")  # the .example file is ignored
    assert cal.roll_forward(D("2026-02-17")) == D("2026-02-24")
