"""R4 meeting calendar and submission texts: table-driven over 2025–2026 (China calendar)."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from careops.calendar import UnknownCalendarYear, WorkCalendar
from careops.rules.weekly import (
    IsoWeek,
    StepTimes,
    WeeklyInputError,
    clean_text,
    meeting_day,
    meetings_between,
    next_meeting,
    schedule,
    submission_rate,
)

CAL = WorkCalendar()

# week, its Monday, the meeting (None: no meeting), why
MEETINGS = [
    ("2025-W01", date(2024, 12, 30), date(2025, 1, 3), "ISO week across New Year 2025"),
    ("2025-W05", date(2025, 1, 27), date(2025, 1, 27), "Spring Festival 2025: only Monday works"),
    ("2025-W06", date(2025, 2, 3), date(2025, 2, 7), "make-up Saturday 02-08 is after Friday"),
    ("2025-W14", date(2025, 3, 31), date(2025, 4, 3), "Qingming Friday 04-04"),
    ("2025-W18", date(2025, 4, 28), date(2025, 4, 30), "Labour Day Thursday-Friday"),
    ("2025-W22", date(2025, 5, 26), date(2025, 5, 30), "Dragon Boat starts Saturday"),
    ("2025-W40", date(2025, 9, 29), date(2025, 9, 30), "National Day 2025 from Wednesday"),
    ("2025-W41", date(2025, 10, 6), date(2025, 10, 10), "make-up Saturday 10-11 is after Friday"),
    ("2026-W01", date(2025, 12, 29), date(2025, 12, 31), "the year-crossing week 2025-12-29"),
    ("2026-W02", date(2026, 1, 5), date(2026, 1, 9), "make-up Sunday 01-04 is in the week before"),
    ("2026-W07", date(2026, 2, 9), date(2026, 2, 13), "make-up Saturday 02-14 is after Friday"),
    ("2026-W08", date(2026, 2, 16), None, "Spring Festival 2026: no working day"),
    ("2026-W09", date(2026, 2, 23), date(2026, 2, 27), "Monday 02-23 still off"),
    ("2026-W14", date(2026, 3, 30), date(2026, 4, 3), "Qingming starts Saturday"),
    ("2026-W18", date(2026, 4, 27), date(2026, 4, 30), "Labour Day Friday 05-01"),
    ("2026-W19", date(2026, 5, 4), date(2026, 5, 8), "make-up Saturday 05-09 is after Friday"),
    ("2026-W25", date(2026, 6, 15), date(2026, 6, 18), "Dragon Boat Friday 06-19"),
    ("2026-W39", date(2026, 9, 21), date(2026, 9, 24), "Mid-Autumn Friday 09-25"),
    ("2026-W40", date(2026, 9, 28), date(2026, 9, 30), "2026-10-02's meeting moves to Wed 09-30"),
    ("2026-W41", date(2026, 10, 5), date(2026, 10, 9), "National Day ends Wednesday 10-07"),
    ("2026-W48", date(2026, 11, 23), date(2026, 11, 27), "an ordinary Friday"),
]


@pytest.mark.parametrize(("week", "monday", "meeting", "why"), MEETINGS,
                         ids=[m[0] for m in MEETINGS])
def test_meeting_day(week, monday, meeting, why):
    parsed = IsoWeek.parse(week)
    assert parsed.monday == monday and str(parsed) == week
    assert meeting_day(parsed, CAL.is_working_day) == meeting, why


def test_meetings_of_2026_from_the_preview_example():
    days = meetings_between(date(2026, 1, 5), date(2026, 12, 27), CAL.is_working_day)
    assert len(days) == 50  # 51 weeks, Spring Festival has none
    assert date(2026, 9, 30) in days and date(2026, 10, 2) not in days
    assert not any(date(2026, 2, 16) <= d <= date(2026, 2, 22) for d in days)
    assert all(d.weekday() < 5 for d in days) and days == sorted(days)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 12, 29), date(2026, 1, 4), [date(2025, 12, 31)]),
        (date(2026, 2, 14), date(2026, 2, 26), []),
        (date(2026, 9, 30), date(2026, 9, 30), [date(2026, 9, 30)]),
        (date(2026, 10, 1), date(2026, 10, 8), []),
    ],
)
def test_meetings_between_bounds(start, end, expected):
    assert meetings_between(start, end, CAL.is_working_day) == expected


def test_next_meeting_skips_a_week_without_one():
    assert next_meeting(date(2026, 2, 14), CAL.is_working_day) == date(2026, 2, 27)
    assert next_meeting(date(2026, 9, 30), CAL.is_working_day) == date(2026, 9, 30)
    assert next_meeting(date(2026, 10, 1), CAL.is_working_day) == date(2026, 10, 9)


def test_unpublished_year_is_refused_not_guessed():
    with pytest.raises(UnknownCalendarYear, match="2027"):
        meeting_day(IsoWeek.parse("2027-W10"), CAL.is_working_day)
    with pytest.raises(UnknownCalendarYear):  # 2026-W53 ends on Friday 2027-01-01
        meeting_day(IsoWeek.parse("2026-W53"), CAL.is_working_day)


@pytest.mark.parametrize(
    ("text", "error"),
    [("2026-48", "not a week"), ("W48", "not a week"), ("2026-W54", "weeks 1 to 53"),
     ("2025-W53", "weeks 1 to 52"), ("2026-W00", "weeks 1 to 53"), ("", "not a week")],
)
def test_bad_weeks(text, error):
    with pytest.raises(WeeklyInputError, match=error):
        IsoWeek.parse(text)


def test_week_spellings_and_arithmetic():
    assert IsoWeek.parse("2026w48") == IsoWeek(2026, 48)
    assert IsoWeek.of(date(2026, 1, 1)) == IsoWeek(2026, 1)
    assert IsoWeek(2026, 1).shifted(-1) == IsoWeek(2025, 52)
    assert IsoWeek(2026, 1).sunday == date(2026, 1, 4)


def test_schedule_follows_a_moved_meeting():
    tz = ZoneInfo("Asia/Shanghai")
    s = schedule(IsoWeek(2026, 40), date(2026, 9, 30), StepTimes(), tz)
    assert s.moved and s.reminder_at.isoformat() == "2026-09-30T09:30:00+08:00"
    assert (s.nudge_at.hour, s.compile_at.hour, s.meeting_at.hour) == (13, 14, 15)
    assert not schedule(IsoWeek(2026, 48), date(2026, 11, 27), StepTimes(), tz).moved
    with pytest.raises(WeeklyInputError, match="in order"):
        StepTimes(reminder=time(14, 0))


@pytest.mark.parametrize(
    ("text", "error"),
    [("", "situation is empty"), ("  \n ", "situation is empty"),
     ("字" * 20_001, "20001 characters long")],
)
def test_bad_texts(text, error):
    with pytest.raises(WeeklyInputError, match=error):
        clean_text("situation", text)


def test_texts_are_stripped_and_optional_ones_may_be_empty():
    assert clean_text("situation", " 正常\r\n运行 ") == "正常\n运行"
    assert clean_text("problems", "", required=False) == ""
    assert len(clean_text("situation", "字" * 20_000)) == 20_000


def test_submission_rate():
    assert submission_rate(3, 4) == 0.75
    assert submission_rate(0, 0) is None
