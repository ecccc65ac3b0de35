"""R4 read model: who is expected, who submitted, the report of a meeting and its markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.charts import BarChart
from careops.db.models.common import Department, Staff
from careops.db.models.weekly import WeeklyAway, WeeklyMeeting, WeeklySubmission
from careops.i18n import Formats, translate
from careops.rules.weekly import IsoWeek, submission_rate
from careops.services.weekly.facts import WeekFacts, WeekWindow, week_facts


@dataclass(frozen=True)
class Person:
    id: int
    code: str
    name: str
    email: str
    locale: str


@dataclass(frozen=True)
class SubmissionView:
    staff_code: str
    staff_name: str
    situation: str
    feedback: str
    problems: str
    submitted_at: datetime
    revision: int
    late: bool


@dataclass(frozen=True)
class RatePoint:
    week: str
    meeting_date: date
    expected: int
    submitted: int

    @property
    def rate(self) -> float | None:
        return submission_rate(self.submitted, self.expected)


@dataclass
class ReportView:
    week: str
    meeting_date: date
    compiled_at: datetime | None
    submissions: list[SubmissionView] = field(default_factory=list)
    late: list[SubmissionView] = field(default_factory=list)
    missing: list[Person] = field(default_factory=list)
    away: list[tuple[Person, str]] = field(default_factory=list)
    facts: WeekFacts = field(default_factory=WeekFacts)
    history: list[RatePoint] = field(default_factory=list)

    @property
    def expected(self) -> int:
        """On-time submitters plus those missing at the compile (away people excepted)."""
        late_only = {s.staff_code for s in self.late} - {s.staff_code for s in self.submissions}
        return len(self.submissions) + len(self.missing) + len(late_only)

    @property
    def rate(self) -> float | None:
        return submission_rate(len(self.submissions), self.expected)


def _person(s: Staff) -> Person:
    return Person(s.id, s.code, s.name, s.email, s.locale)


def ts_staff(session: Session) -> list[Person]:
    query = select(Staff).where(Staff.department == Department.TS, Staff.active.is_(True))
    return [_person(s) for s in session.scalars(query.order_by(Staff.code))]


def away_of(session: Session, week: str) -> dict[int, str]:
    rows = session.execute(select(WeeklyAway.staff_id, WeeklyAway.reason)
                           .where(WeeklyAway.week == week))
    return dict(rows.tuples().all())


def expected_people(session: Session, week: str) -> list[Person]:
    """Active TS staff not marked away for the week."""
    away = away_of(session, week)
    return [p for p in ts_staff(session) if p.id not in away]


def submitted_ids(session: Session, meeting_id: int) -> set[int]:
    return set(session.scalars(select(WeeklySubmission.staff_id)
                               .where(WeeklySubmission.meeting_id == meeting_id)))


def window_of(meeting: WeeklyMeeting, tz: ZoneInfo) -> WeekWindow:
    return WeekWindow.of(IsoWeek.parse(meeting.week).monday, meeting.meeting_date, tz)


def build_report(session: Session, meeting: WeeklyMeeting, tz: ZoneInfo, *,
                 history_size: int = 8) -> ReportView:
    """The meeting's report as of now: on-time submissions, late ones, missing, away, facts."""
    view = ReportView(meeting.week, meeting.meeting_date, meeting.compiled_at)
    away = away_of(session, meeting.week)
    subs = list(session.scalars(select(WeeklySubmission).where(
        WeeklySubmission.meeting_id == meeting.id).order_by(WeeklySubmission.id)))
    ids = {sub.staff_id for sub in subs}  # whoever submitted, even if moved or gone since
    staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(ids)))}
    on_time: set[int] = set()
    late: set[int] = set()
    compiled = meeting.compiled_at
    for sub in subs:
        person = staff[sub.staff_id]
        item = SubmissionView(person.code, person.name, sub.situation, sub.feedback,
                              sub.problems, sub.submitted_at, sub.revision, sub.late)
        if compiled is None or sub.first_submitted_at <= compiled:
            view.submissions.append(item)
            on_time.add(sub.staff_id)
        if sub.late:  # its current text came after the compile (first or replacing)
            view.late.append(item)
            late.add(sub.staff_id)
    view.submissions.sort(key=lambda s: s.staff_code)
    for person in ts_staff(session):
        if person.id in away:
            view.away.append((person, away[person.id]))
        elif person.id not in on_time and person.id not in late:
            view.missing.append(person)
    view.facts = week_facts(session, window_of(meeting, tz))
    earlier = session.execute(
        select(WeeklyMeeting.week, WeeklyMeeting.meeting_date, WeeklyMeeting.expected_count,
               WeeklyMeeting.submitted_count)
        .where(WeeklyMeeting.compiled_at.is_not(None),
               WeeklyMeeting.meeting_date < meeting.meeting_date)
        .order_by(WeeklyMeeting.meeting_date.desc()).limit(max(history_size - 1, 0))
    ).all()
    view.history = [RatePoint(w, d, e or 0, s or 0) for w, d, e, s in reversed(earlier)]
    view.history.append(RatePoint(meeting.week, meeting.meeting_date, view.expected,
                                  len(view.submissions)))
    return view


def rate_chart(history: list[RatePoint], locale: str) -> BarChart:
    """The submission rate of the meetings in `history` (oldest first), labelled in `locale`."""
    formats = Formats(locale)
    labels = [formats.day_month(p.meeting_date) for p in history]
    values = [None if p.rate is None else round(p.rate * 100, 1) for p in history]
    title = translate(locale, "Weekly report submission rate, last %(n)s meetings",
                      n=len(history))
    return BarChart(title, labels, values, y_label=translate(locale, "Submitted (%)"), y_max=100,
                    value_format="{:.0f}%", highlight_last=True)


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines()) or "> -"


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report_markdown(view: ReportView, tz: ZoneInfo) -> str:
    """The compiled report as markdown (the Prefect artifact and `careops weekly show`)."""
    rate = "-" if view.rate is None else f"{view.rate:.0%}"
    f = view.facts.figures()
    lines = [
        f"# Weekly report {view.week} — meeting {view.meeting_date.isoformat()}",
        "",
        f"- submitted on time: **{len(view.submissions)} of {view.expected}** ({rate})",
        f"- missing: {', '.join(f'{p.name} ({p.code})' for p in view.missing) or 'nobody'}",
        f"- away: {', '.join(f'{p.name} ({p.code})' for p, _r in view.away) or 'nobody'}",
        f"- compiled: {_local(view.compiled_at, tz)}",
        "",
        "## The department's week in figures",
        "",
        f"- callbacks done {f['callbacks_done']}, not reached {f['callbacks_not_reached']}, "
        f"missed {f['callbacks_missed']}",
        f"- faults reported {f['faults_reported']}, resolved {f['faults_resolved']}",
        "",
        "## Submission rate, last meetings",
        "",
        "| meeting | submitted | expected | rate |",
        "|---|---|---|---|",
    ]
    for p in view.history:
        shown = "-" if p.rate is None else f"{p.rate:.0%}"
        lines.append(f"| {p.meeting_date.isoformat()} | {p.submitted} | {p.expected} | {shown} |")
    lines += ["", "## Submissions", ""]
    lines += _submissions_md(view.submissions, tz) or ["_none_"]
    return "\n".join(lines).rstrip() + "\n"


def late_markdown(view: ReportView, tz: ZoneInfo) -> str:
    """Texts that came after the compile (each was mailed as an addendum); empty if none."""
    if not view.late:
        return ""
    lines = ["## Late submissions (after the compile, sent as addenda)", ""]
    return "\n".join(lines + _submissions_md(view.late, tz)).rstrip() + "\n"


def _submissions_md(items: list[SubmissionView], tz: ZoneInfo) -> list[str]:
    lines: list[str] = []
    for s in items:
        revised = f", revision {s.revision}" if s.revision > 1 else ""
        lines += [f"### {_md_cell(s.staff_name)} ({s.staff_code}) — "
                  f"{_local(s.submitted_at, tz)}{revised}", "",
                  "**Service situation**", "", _quote(s.situation), "",
                  "**Customer feedback**", "", _quote(s.feedback), ""]
        if s.problems:
            lines += ["**Problems needing help**", "", _quote(s.problems), ""]
    return lines
