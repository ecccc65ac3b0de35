"""R4: the week's meeting (its date, its row, created once) and what every weekly service
takes besides the database (WeeklyEnv: mail, calendar, settings, submit links)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.calendar import WorkCalendar
from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.weekly import WeeklyMeeting
from careops.mailer import Mailer
from careops.process_settings import WeeklySettings
from careops.rules import weekly as rules
from careops.rules.weekly import IsoWeek, WeeklyInputError
from careops.settings import Settings


@dataclass(frozen=True)
class SubmitLinks:
    """Where a person submits. `ui_form_url`: the Prefect UI run form of submit-weekly-report;
    `web_url_template`: careops's own web page once it exists ({week}, {staff_code})."""

    ui_form_url: str
    web_url_template: str | None = None

    def web_url(self, week: str, staff_code: str) -> str | None:
        if not self.web_url_template:
            return None
        return self.web_url_template.format(week=week, staff_code=staff_code)

    @staticmethod
    def cli(week: str, staff_code: str) -> str:
        return (f"careops weekly submit --staff {staff_code} --week {week} "
                "--situation-file situation.md --feedback-file feedback.md")


@dataclass(frozen=True)
class WeeklyEnv:
    """What the weekly services need besides the database."""

    mailer: Mailer
    calendar: WorkCalendar
    rules: WeeklySettings
    tz: ZoneInfo
    cs_head_email: str
    font_file: Path
    links: SubmitLinks
    default_locale: str = "zh_CN"

    @property
    def times(self) -> rules.StepTimes:
        r = self.rules
        return rules.StepTimes(r.reminder_at, r.nudge_at, r.compile_at, r.meeting_at)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *,
                      ui_form_url: str | None = None) -> WeeklyEnv:
        from careops.bootstrap import get_calendar, get_mailer
        from careops.settings import get_settings

        s = settings or get_settings()
        links = SubmitLinks(ui_form_url or f"{s.base_url.rstrip('/')}/deployments",
                            s.weekly.submit_url_template)
        return cls(get_mailer(), get_calendar(), s.weekly, s.tz, s.cs_head_email,
                   s.path(s.charts.font_file), links, s.default_locale)


def meeting_date(week: IsoWeek, env: WeeklyEnv) -> date:
    day = rules.meeting_day(week, env.calendar.is_working_day)
    if day is None:
        raise WeeklyInputError(
            f"{week} has no meeting: no working day from Monday {week.monday} to Friday "
            f"{week.monday + timedelta(days=4)}"
        )
    return day


# A personal weekly link (scope "weekly", subject the ISO week) works until the end of the
# meeting day plus this many days: late addenda are taken for a week after the meeting, and by
# then the next week's reminder carries a new link.
LINK_DAYS_AFTER_MEETING = 7


def link_expires(day: date, tz: ZoneInfo) -> datetime:
    """When a weekly link for the meeting on `day` stops working: local midnight ending the
    meeting day, plus LINK_DAYS_AFTER_MEETING days."""
    return datetime.combine(day + timedelta(days=LINK_DAYS_AFTER_MEETING + 1), time(0),
                            tzinfo=tz)


def ensure_meeting(session: Session, env: WeeklyEnv, week: IsoWeek, now: datetime
                   ) -> WeeklyMeeting:
    """The week's meeting row, created once (WeeklyInputError for a week without meeting)."""
    day = meeting_date(week, env)
    insert_ignoring_duplicates(session, WeeklyMeeting, [
        {"week": str(week), "meeting_date": day, "created_at": now}], ["week"])
    meeting = session.scalar(select(WeeklyMeeting).where(WeeklyMeeting.week == str(week)))
    assert meeting is not None
    return meeting
