"""R4 weekly report: submissions (with history, late addenda) and away marks.

Every write of a week takes the lock `weekly:<week>` (advisory lock on PostgreSQL, the write
lock on SQLite), so a submission and the compile of the same week see each other: a text is
either in the compiled report or sent as a late addendum, never lost between the two.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.common import Department, Staff
from careops.db.models.weekly import WeeklyAway, WeeklyRevision, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, NotFound
from careops.rules import weekly as rules
from careops.rules.weekly import IsoWeek, WeeklyInputError
from careops.services.weekly.meetings import WeeklyEnv, ensure_meeting, meeting_date
from careops.services.weekly.steps import queue_addendum

if TYPE_CHECKING:
    from sqlalchemy import Row

CHANNELS = ("ui", "cli", "web")


@dataclass(frozen=True)
class SubmissionInput:
    staff_code: str
    situation: str
    feedback: str
    problems: str = ""
    week: str | None = None  # default: the current week
    channel: str = "cli"


@dataclass(frozen=True)
class SubmitResult:
    week: str
    meeting_date: str
    staff_code: str
    revision: int
    changed: bool  # False: the same text again, nothing stored
    late: bool
    addendum_to: list[str]


def week_of(text: str | None, env: WeeklyEnv, now: datetime) -> IsoWeek:
    return IsoWeek.parse(text) if text else IsoWeek.of(now.astimezone(env.tz).date())


def ts_person(session: Session, code: str) -> Staff:
    """The active TS staff member with `code`, or an error naming what is wrong."""
    code = (code or "").strip()
    person = session.scalar(select(Staff).where(Staff.code == code))
    if person is None:
        codes = list(session.scalars(select(Staff.code).where(Staff.department == Department.TS)))
        close = difflib.get_close_matches(code, codes, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFound(f"unknown staff code {code!r}{hint}")
    problem = ts_problem(person)
    if problem is not None:
        raise WeeklyInputError(problem)
    return person


def ts_problem(person: Staff | Row) -> str | None:
    """Why `person` (a Staff, or a row with its code, name, department and active) hands in no
    weekly report; None for an active TS staff member."""
    if person.department != Department.TS:
        return (f"{person.code} ({person.name}) is in {person.department.value}, not TS: the "
                "weekly report is for TS staff")
    if not person.active:
        return f"{person.code} ({person.name}) is not an active staff member"
    return None


def submit(uow: UnitOfWork, env: WeeklyEnv, data: SubmissionInput, now: datetime
           ) -> SubmitResult:
    """Store a person's report for the week; replaces an earlier one (kept as a revision).

    After the compile the text is accepted, marked late, and mailed as an addendum to the
    report's recipients. The same text again changes nothing (a retried run).
    """
    if data.channel not in CHANNELS:
        raise CareopsError(f"channel {data.channel!r} is not one of {', '.join(CHANNELS)}")
    limit = env.rules.max_text_chars
    situation = rules.clean_text("situation", data.situation, limit)
    feedback = rules.clean_text("customer feedback", data.feedback, limit)
    problems = rules.clean_text("problems needing help", data.problems, limit, required=False)
    week = week_of(data.week, env, now)
    meeting_date(week, env)  # no meeting that week, or its calendar year is not published
    today = now.astimezone(env.tz).date()
    if week.monday > today:
        raise WeeklyInputError(f"{week} has not started yet (today is {today}): submit in that "
                               "week")
    with uow:
        session = uow.session
        person = ts_person(session, data.staff_code)
        uow.lock(f"weekly:{week}")
        meeting = ensure_meeting(session, env, week, now)
        current = session.scalar(select(WeeklySubmission).where(
            WeeklySubmission.meeting_id == meeting.id, WeeklySubmission.staff_id == person.id))
        texts = (situation, feedback, problems)
        if current is not None and (current.situation, current.feedback, current.problems) == texts:
            return SubmitResult(str(week), meeting.meeting_date.isoformat(), person.code,
                                current.revision, False, current.late, [])
        late = meeting.compiled_at is not None
        if current is None:
            current = WeeklySubmission(meeting_id=meeting.id, staff_id=person.id, revision=0,
                                       first_submitted_at=now)
            session.add(current)
        current.situation, current.feedback, current.problems = texts
        current.revision += 1
        current.late, current.submitted_at, current.channel = late, now, data.channel
        session.flush()
        session.add(WeeklyRevision(
            submission_id=current.id, revision=current.revision, situation=situation,
            feedback=feedback, problems=problems, late=late, submitted_at=now,
            channel=data.channel))
        addendum: list[str] = []
        if late:
            addendum = queue_addendum(session, env, meeting, current, now)
        result = SubmitResult(str(week), meeting.meeting_date.isoformat(), person.code,
                              current.revision, True, late, addendum)
        uow.commit()
    return result


@dataclass(frozen=True)
class AwayResult:
    week: str
    staff_code: str
    changed: bool


def mark_away(uow: UnitOfWork, env: WeeklyEnv, staff_code: str, week_text: str, now: datetime,
              *, reason: str = "", undo: bool = False) -> AwayResult:
    """Mark a TS person away for a week (not reminded, nudged nor counted missing), or undo it."""
    week = IsoWeek.parse(week_text)
    meeting_date(week, env)  # a week without meeting (or an unpublished year) is refused
    reason = rules.clean_text("reason", reason, 300, required=False)
    with uow:
        session = uow.session
        person = ts_person(session, staff_code)
        uow.lock(f"weekly:{week}")
        if undo:
            changed = session.execute(delete(WeeklyAway).where(
                WeeklyAway.week == str(week), WeeklyAway.staff_id == person.id)).rowcount > 0
        else:
            before = session.scalar(select(WeeklyAway.id).where(
                WeeklyAway.week == str(week), WeeklyAway.staff_id == person.id))
            insert_ignoring_duplicates(session, WeeklyAway, [
                {"week": str(week), "staff_id": person.id, "reason": reason, "created_at": now}
            ], ["week", "staff_id"])
            changed = before is None
        uow.commit()
    return AwayResult(str(week), person.code, changed)
