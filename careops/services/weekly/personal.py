"""R4 read model of one person's week, for their personal weekly page (careops.web.staff.weekly).

What the page shows before the person acts: the meeting (date, steps, compiled or not), the
draft facts of the projects they are the TS contact of, their current submission if any, and —
for the TS head only (`may_mark_away`) — the active TS members with their away marks. Reads
only: the page acts through `submissions.submit` and `submissions.mark_away`, as the CLI does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from careops.db.models.common import Staff
from careops.db.models.weekly import WeeklyMeeting, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.errors import NotFound
from careops.rules import weekly as rules
from careops.rules.weekly import IsoWeek
from careops.services.weekly.facts import WeekFacts, WeekWindow, week_facts
from careops.services.weekly.meetings import WeeklyEnv, meeting_date
from careops.services.weekly.report import away_of, ts_staff
from careops.services.weekly.steps import may_mark_away
from careops.services.weekly.submissions import ts_person


@dataclass(frozen=True)
class CurrentSubmission:
    situation: str
    feedback: str
    problems: str
    revision: int
    submitted_at: datetime
    late: bool


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    away: bool
    reason: str


@dataclass
class PersonalWeek:
    week: str
    staff_code: str
    plan: rules.MeetingSchedule
    compiled_at: datetime | None
    facts: WeekFacts
    current: CurrentSubmission | None
    head: bool
    members: list[Member] = field(default_factory=list)  # the head's page only


def personal_week(uow: UnitOfWork, env: WeeklyEnv, staff_id: int, week_text: str
                  ) -> PersonalWeek:
    """`staff_id`'s week `week_text` (WeeklyInputError: not an active TS person, no meeting)."""
    week = IsoWeek.parse(week_text)
    day = meeting_date(week, env)
    with uow:
        session = uow.session
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise NotFound(f"no staff member {staff_id}")
        ts_person(session, staff.code)
        meeting = session.scalar(select(WeeklyMeeting).where(WeeklyMeeting.week == str(week)))
        current = None
        if meeting is not None:
            sub = session.scalar(select(WeeklySubmission).where(
                WeeklySubmission.meeting_id == meeting.id,
                WeeklySubmission.staff_id == staff_id))
            if sub is not None:
                current = CurrentSubmission(sub.situation, sub.feedback, sub.problems,
                                            sub.revision, sub.submitted_at, sub.late)
        window = WeekWindow.of(week.monday, day, env.tz)
        view = PersonalWeek(
            str(week), staff.code, rules.schedule(week, day, env.times, env.tz),
            meeting.compiled_at if meeting is not None else None,
            week_facts(session, window, staff_id), current, may_mark_away(staff))
        if view.head:
            away = away_of(session, str(week))
            view.members = [Member(p.code, p.name, p.id in away, away.get(p.id, ""))
                            for p in ts_staff(session)]
        return view
