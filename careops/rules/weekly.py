"""R4 weekly report (周报制度) as pure rules: the meeting calendar, the steps' times, the texts.

No database, no Prefect, no network. The calendar is passed in as `is_working_day` (a
`WorkCalendar.is_working_day`), which raises `UnknownCalendarYear` for an unpublished year.

- The meeting of an ISO week (Monday–Sunday) is its Friday when Friday is a working day, else the
  last working day before Friday in the same week (Thursday, ..., Monday). A week with no working
  day from Monday to Friday has no meeting. A make-up Saturday or Sunday (调休) never holds the
  meeting: it is not "before Friday".
- On the meeting day: reminder, late nudge, compile and meeting at the configured local times, so a
  moved meeting moves its steps with it.
- A submission (situation, customer feedback, optional problems needing help) is a non-empty text
  of at most `max_chars` characters per field. After the compile it is late.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careops.errors import CareopsError

IsWorkingDay = Callable[[date], bool]
MAX_TEXT_CHARS = 20_000
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
_FRIDAY = 4


class WeeklyInputError(CareopsError):
    """Bad input to the weekly report: an unknown week, a week without meeting, a bad text."""


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week, written `2026-W48` (Monday to Sunday)."""

    year: int
    week: int

    def __post_init__(self) -> None:
        last = date(self.year, 12, 28).isocalendar().week  # Dec 28 is always in the last week
        if not 1 <= self.week <= last:
            raise WeeklyInputError(f"{self.year} has weeks 1 to {last}, not week {self.week}")

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        match = _WEEK.match(text or "")
        if match is None:
            raise WeeklyInputError(f"{text!r} is not a week: write it like 2026-W48")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def meeting_day(week: IsoWeek, is_working_day: IsWorkingDay) -> date | None:
    """The week's meeting date (R4), or None when Monday to Friday has no working day."""
    for offset in range(_FRIDAY, -1, -1):
        day = week.monday + timedelta(days=offset)
        if is_working_day(day):
            return day
    return None


def weeks_between(start: date, end: date) -> Iterator[IsoWeek]:
    """The ISO weeks whose Monday-to-Sunday span touches [start, end]."""
    week = IsoWeek.of(start)
    while week.monday <= end:
        yield week
        week = week.shifted(1)


def meetings_between(start: date, end: date, is_working_day: IsWorkingDay) -> list[date]:
    """Every meeting date from start to end (both included), in order."""
    if start > end:
        raise WeeklyInputError(f"--from {start} is after --to {end}")
    days = (meeting_day(week, is_working_day) for week in weeks_between(start, end))
    return [d for d in days if d is not None and start <= d <= end]


def next_meeting(after: date, is_working_day: IsWorkingDay, *, weeks: int = 8) -> date | None:
    """The first meeting on or after `after` within `weeks` weeks (None: none found)."""
    week = IsoWeek.of(after)
    for _ in range(weeks):
        day = meeting_day(week, is_working_day)
        if day is not None and day >= after:
            return day
        week = week.shifted(1)
    return None


@dataclass(frozen=True)
class StepTimes:
    """The local times of the meeting day's steps (config/careops.toml [weekly])."""

    reminder: time = time(9, 30)
    nudge: time = time(13, 0)
    compile: time = time(14, 0)
    meeting: time = time(15, 0)

    def __post_init__(self) -> None:
        if not self.reminder < self.nudge < self.compile <= self.meeting:
            raise WeeklyInputError(
                "weekly times must be in order reminder < nudge < compile <= meeting, got "
                f"{self.reminder:%H:%M}, {self.nudge:%H:%M}, {self.compile:%H:%M}, "
                f"{self.meeting:%H:%M}"
            )


@dataclass(frozen=True)
class MeetingSchedule:
    """One meeting and its steps as aware datetimes."""

    week: IsoWeek
    day: date
    reminder_at: datetime
    nudge_at: datetime
    compile_at: datetime
    meeting_at: datetime

    @property
    def moved(self) -> bool:
        """True when the meeting is not on the week's Friday."""
        return self.day.weekday() != _FRIDAY


def schedule(week: IsoWeek, day: date, times: StepTimes, tz: ZoneInfo) -> MeetingSchedule:
    def at(t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=tz)

    return MeetingSchedule(
        week, day, at(times.reminder), at(times.nudge), at(times.compile), at(times.meeting)
    )


def clean_text(field: str, text: str | None, max_chars: int = MAX_TEXT_CHARS, *,
               required: bool = True) -> str:
    """`text` stripped; an error naming `field` when it is empty (if required) or too long."""
    cleaned = (text or "").replace("\r\n", "\n").strip()
    if required and not cleaned:
        raise WeeklyInputError(f"{field} is empty: write a few lines")
    if len(cleaned) > max_chars:
        raise WeeklyInputError(
            f"{field} is {len(cleaned)} characters long (at most {max_chars})"
        )
    return cleaned


def submission_rate(submitted: int, expected: int) -> float | None:
    """Share of the expected people who submitted by the compile (None: nobody was expected)."""
    if expected <= 0:
        return None
    return min(submitted, expected) / expected
