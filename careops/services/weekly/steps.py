"""R4 meeting-day steps: reminder with draft facts, late nudge, compiled report, late addenda.

Each step is one unit of work under the week's lock. Every mail has a natural outbox key
(`weekly-reminder:<week>:<staff>`, `weekly-nudge:...`, `weekly-report:<week>:<locale>`), so a
re-run, a retry or two runs at once send each once; the meeting row records when each step was
done. After the compile neither reminders nor nudges go out any more.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from careops.charts import ChartError, bar_chart_png
from careops.db.models.common import Department, Staff, StaffRole
from careops.db.models.weekly import WeeklyMeeting, WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.mail.message import InlineImage, inline_cid
from careops.rules import weekly as rules
from careops.rules.weekly import IsoWeek
from careops.services.weekly.facts import week_facts
from careops.services.weekly.meetings import WeeklyEnv, ensure_meeting, link_expires
from careops.services.weekly.report import (
    Person,
    ReportView,
    build_report,
    expected_people,
    rate_chart,
    report_markdown,
    submitted_ids,
    window_of,
)


@dataclass
class StepResult:
    week: str
    meeting_date: str
    step: str
    queued: list[str] = field(default_factory=list)  # staff codes or addresses newly mailed
    already: bool = False  # done by an earlier run: nothing new
    skipped: str | None = None  # why nothing was sent (e.g. compiled already)
    report: dict | None = None


def _schedule(env: WeeklyEnv, meeting: WeeklyMeeting) -> rules.MeetingSchedule:
    return rules.schedule(IsoWeek.parse(meeting.week), meeting.meeting_date, env.times, env.tz)


def _open(uow: UnitOfWork, env: WeeklyEnv, week: IsoWeek, now: datetime) -> WeeklyMeeting:
    uow.lock(f"weekly:{week}")
    return ensure_meeting(uow.session, env, week, now)


def send_reminders(uow: UnitOfWork, env: WeeklyEnv, week: IsoWeek, now: datetime) -> StepResult:
    """Every active TS person not away gets the reminder, with a draft of their week's facts."""
    return _mail_each(uow, env, week, now, "reminder", missing_only=False)


def send_nudges(uow: UnitOfWork, env: WeeklyEnv, week: IsoWeek, now: datetime) -> StepResult:
    """Those still missing (active TS, not away, nothing submitted) get one nudge."""
    return _mail_each(uow, env, week, now, "nudge", missing_only=True)


def _mail_each(uow: UnitOfWork, env: WeeklyEnv, week: IsoWeek, now: datetime, step: str, *,
               missing_only: bool) -> StepResult:
    """One mail per expected person (key weekly-<step>:<week>:<staff>), until the compile."""
    with uow:
        meeting = _open(uow, env, week, now)
        result = StepResult(meeting.week, meeting.meeting_date.isoformat(), step)
        if meeting.compiled_at is not None:
            result.skipped = "the report is already compiled"
            return result
        session, plan = uow.session, _schedule(env, meeting)
        done = submitted_ids(session, meeting.id)
        window = window_of(meeting, env.tz)
        for person in expected_people(session, meeting.week):
            if missing_only and person.id in done:
                continue
            context = {"person": person, "plan": plan, "week": meeting.week,
                       "submitted": person.id in done, **_links(env, session, meeting, person)}
            if step == "reminder":
                context["facts"] = week_facts(session, window, person.id)
            if env.mailer.queue(session, key=f"weekly-{step}:{meeting.week}:{person.code}",
                                template=f"weekly_{step}", locale=person.locale,
                                to=[person.email], context=context, category=f"weekly_{step}",
                                now=now):
                result.queued.append(person.code)
        marker = "reminded_at" if step == "reminder" else "nudged_at"
        result.already = getattr(meeting, marker) is not None and not result.queued
        setattr(meeting, marker, getattr(meeting, marker) or now)
        uow.commit()
    return result


def compile_report(uow: UnitOfWork, env: WeeklyEnv, week: IsoWeek, now: datetime) -> StepResult:
    """Compile the report once: mail it (chart inline) to TS and the CS head, store it."""
    with uow:
        meeting = _open(uow, env, week, now)
        session = uow.session
        result = StepResult(meeting.week, meeting.meeting_date.isoformat(), "compile")
        if meeting.compiled_at is not None:
            result.already = True
            result.report = _summary(meeting)
            return result
        meeting.compiled_at = now
        session.flush()
        view = build_report(session, meeting, env.tz, history_size=env.rules.rate_history_meetings)
        meeting.expected_count, meeting.submitted_count = view.expected, len(view.submissions)
        meeting.report_markdown = report_markdown(view, env.tz)
        plan = _schedule(env, meeting)
        for locale, people in sorted(_by_locale(report_recipients(session, env)).items()):
            to = [p.email for p in people]
            images, chart_cid, chart_error = _chart(env, view, locale)
            env.mailer.queue(session, key=f"weekly-report:{meeting.week}:{locale}",
                             template="weekly_report", locale=locale, to=to,
                             context={"report": view, "plan": plan, "chart_cid": chart_cid,
                                      "chart_error": chart_error},
                             category="weekly_report", inline_images=images, now=now)
            result.queued += to
        result.report = _summary(meeting)
        uow.commit()
    return result


def queue_addendum(session: Session, env: WeeklyEnv, meeting: WeeklyMeeting,
                   submission: WeeklySubmission, now: datetime) -> list[str]:
    """Mail a submission that came after the compile to the report's recipients."""
    person = session.get(Staff, submission.staff_id)
    assert person is not None
    plan = _schedule(env, meeting)
    sent: list[str] = []
    for locale, people in sorted(_by_locale(report_recipients(session, env)).items()):
        to = [p.email for p in people]
        key = f"weekly-addendum:{meeting.week}:{person.code}:{submission.revision}:{locale}"
        env.mailer.queue(session, key=key[:200], template="weekly_addendum", locale=locale,
                         to=to, category="weekly_addendum", now=now,
                         context={"plan": plan, "week": meeting.week, "person": person,
                                  "submission": submission})
        sent += to
    return sent


def may_mark_away(staff: Staff | Row) -> bool:
    """Whether `staff` (or a plain row with its active, department and role) marks TS members
    away on the weekly page: the active TS head."""
    return bool(staff.active and staff.department == Department.TS
                and staff.role == StaffRole.HEAD)


def report_recipients(session: Session, env: WeeklyEnv) -> list[Person]:
    """TS head, supervisor and members (all active TS staff) and the CS head."""
    from careops.services.weekly.report import ts_staff

    people = {p.email.lower(): p for p in ts_staff(session)}
    heads = list(session.scalars(select(Staff).where(
        Staff.department == Department.CS, Staff.role == StaffRole.HEAD,
        Staff.active.is_(True)).order_by(Staff.id)))
    if heads:
        for h in heads:
            people.setdefault(h.email.lower(), Person(h.id, h.code, h.name, h.email, h.locale))
    else:
        people.setdefault(env.cs_head_email.lower(),
                          Person(0, "", "客服部负责人", env.cs_head_email, env.default_locale))
    return list(people.values())


def _by_locale(people: list[Person]) -> dict[str, list[Person]]:
    groups: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        groups[p.locale or "zh_CN"].append(p)
    return groups


def _links(env: WeeklyEnv, session: Session, meeting: WeeklyMeeting, person: Person
           ) -> dict[str, object]:
    """How `person` submits: their personal link to the weekly page (scope "weekly", subject
    the week, until `link_expires`) when the mailer makes links, else the configured page; the
    Prefect UI form and the command line always. `can_mark_away`: the TS head's page also marks
    members away."""
    week = meeting.week
    links: dict[str, object] = {
        "ui_form_url": env.links.ui_form_url, "cli_command": env.links.cli(week, person.code),
        "web_url": env.links.web_url(week, person.code), "link_until": None,
        "can_mark_away": False}
    staff = session.get(Staff, person.id)
    if staff is None:
        return links
    expires = link_expires(meeting.meeting_date, env.tz)
    personal = env.mailer.staff_link(staff, "weekly", week, expires)
    if personal is not None:
        links.update(web_url=personal, link_until=expires,
                     can_mark_away=may_mark_away(staff))
    return links


def _chart(env: WeeklyEnv, view: ReportView, locale: str
           ) -> tuple[list[InlineImage], str | None, str | None]:
    """The submission-rate chart as an inline image; a chart that cannot be drawn is named
    in the mail instead (the report itself must go out)."""
    try:
        png = bar_chart_png(rate_chart(view.history, locale), env.font_file)
    except ChartError as exc:
        return [], None, str(exc)
    cid = inline_cid(env.mailer.sender, f"weekly-rate-{view.week}")
    return [InlineImage(cid, png)], cid, None


def _summary(meeting: WeeklyMeeting) -> dict:
    return {"week": meeting.week, "meeting_date": meeting.meeting_date.isoformat(),
            "expected": meeting.expected_count, "submitted": meeting.submitted_count,
            "compiled_at": meeting.compiled_at.isoformat() if meeting.compiled_at else None}


def overdue_meetings(uow: UnitOfWork, today: date) -> list[str]:
    """Weeks whose meeting is before `today`, reminded but not compiled (oldest first)."""
    with uow:
        return list(uow.session.scalars(
            select(WeeklyMeeting.week)
            .where(WeeklyMeeting.meeting_date < today, WeeklyMeeting.compiled_at.is_(None),
                   WeeklyMeeting.reminded_at.is_not(None))
            .order_by(WeeklyMeeting.meeting_date)))


def show_report(uow: UnitOfWork, env: WeeklyEnv, week: IsoWeek) -> str:
    """The report as compiled plus any late submissions; before the compile, a live preview."""
    from careops.services.weekly.report import late_markdown

    with uow:
        session = uow.session
        meeting = session.scalar(select(WeeklyMeeting).where(WeeklyMeeting.week == str(week)))
        if meeting is None:
            day = rules.meeting_day(week, env.calendar.is_working_day)
            if day is None:
                raise rules.WeeklyInputError(f"{week} has no meeting (no working day)")
            return f"# Weekly report {week} — meeting {day.isoformat()}\n\nNothing yet: no " \
                   "reminder, submission or compile for this week.\n"
        view = build_report(session, meeting, env.tz,
                            history_size=env.rules.rate_history_meetings)
        if meeting.report_markdown is None:
            return ("_Not compiled yet: a preview of what the compile would send._\n\n"
                    + report_markdown(view, env.tz))
        late = late_markdown(view, env.tz)
        return meeting.report_markdown + ("\n" + late if late else "")
