"""R4 read model of one person's week, for their personal weekly page (careops.web.staff.weekly).

What the page shows before the person acts: the meeting (date, steps, compiled or not), the
draft facts of the projects they are the TS contact of, their current submission if any, and —
for the TS head only (`may_mark_away`) — the active TS members with their away marks. Reads
only: the page acts through `submissions.submit` and `submissions.mark_away`, as the CLI does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select

from careops.db.models.common import Department, Staff
from careops.db.models.weekly import WeeklyAway, WeeklyMeeting, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.errors import NotFound
from careops.rules import weekly as rules
from careops.rules.weekly import IsoWeek, WeeklyInputError
from careops.services.weekly.facts import WeekFacts, WeekWindow, week_facts
from careops.services.weekly.meetings import WeeklyEnv, meeting_date
from careops.services.weekly.steps import may_mark_away
from careops.services.weekly.submissions import ts_problem


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


# Prebuilt once (plain columns, the person and the week bound per call): the page reads them on
# every view, and building the statements and their cache keys, and ORM rows, cost more than
# the queries. The person with the week's meeting and their submission, if any, in one row.
_st, _mt, _sb = Staff.__table__, WeeklyMeeting.__table__, WeeklySubmission.__table__
_aw = WeeklyAway.__table__
_PERSON_WEEK = (
    select(_st.c.code, _st.c.name, _st.c.department, _st.c.role, _st.c.active, _mt.c.compiled_at,
           _sb.c.id.label("submission_id"), _sb.c.situation, _sb.c.feedback, _sb.c.problems,
           _sb.c.revision, _sb.c.submitted_at, _sb.c.late)
    .select_from(_st.outerjoin(_mt, _mt.c.week == bindparam("week"))
                 .outerjoin(_sb, (_sb.c.meeting_id == _mt.c.id) & (_sb.c.staff_id == _st.c.id)))
    .where(_st.c.id == bindparam("staff_id")))
# The head's page: the active TS members (as report.ts_staff) with their away marks (away_of).
_MEMBERS = (
    select(_st.c.code, _st.c.name, _aw.c.id.label("away_id"), _aw.c.reason)
    .select_from(_st.outerjoin(_aw, (_aw.c.staff_id == _st.c.id)
                               & (_aw.c.week == bindparam("week"))))
    .where(_st.c.department == Department.TS, _st.c.active.is_(True)).order_by(_st.c.code))


def personal_week(uow: UnitOfWork, env: WeeklyEnv, staff_id: int, week_text: str
                  ) -> PersonalWeek:
    """`staff_id`'s week `week_text` (WeeklyInputError: not an active TS person, no meeting)."""
    week = IsoWeek.parse(week_text)
    day = meeting_date(week, env)
    with uow:
        session = uow.session
        conn = session.connection()
        row = conn.execute(_PERSON_WEEK, {"staff_id": staff_id, "week": str(week)}).first()
        if row is None:
            raise NotFound(f"no staff member {staff_id}")
        problem = ts_problem(row)
        if problem is not None:
            raise WeeklyInputError(problem)
        current = None
        if row.submission_id is not None:
            current = CurrentSubmission(row.situation, row.feedback, row.problems, row.revision,
                                        row.submitted_at, row.late)
        window = WeekWindow.of(week.monday, day, env.tz)
        view = PersonalWeek(
            str(week), row.code, rules.schedule(week, day, env.times, env.tz), row.compiled_at,
            week_facts(session, window, staff_id), current, may_mark_away(row))
        if view.head:
            view.members = [Member(m.code, m.name, m.away_id is not None,
                                   m.reason if m.away_id is not None else "")
                            for m in conn.execute(_MEMBERS, {"week": str(week)})]
        return view
