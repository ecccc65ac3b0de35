"""R3 mail: who hears about a site, and queuing the watch's mails in the caller's transaction.

A site's alert, reminders and recovery notice go to the project's TS contact and the CS person
on duty that day (the roster, by the round's local date). Nobody is skipped silently: no TS
contact (or an inactive one) → the TS head, else the TS mailbox; nobody on duty → the CS head;
the mail names who was missing. Grouped alerts (our own network is the likely cause) go to
the TS head and ops; readiness to the CS head and the TS head; the report to the CS head, the
TS head and BIZ. A mail asking people to act (an alert, a reminder: `queue(..., link=...)`)
goes to each staff member on their own, with their personal "I'm on it" link (scope "alert",
careops/web/staff/alerts.py), when the installation makes links.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.calendar import WorkCalendar
from careops.db.models.common import Department, Staff, StaffRole
from careops.db.models.watch import DutyShift, MonitoredSite
from careops.mailer import Attachment, Mailer
from careops.process_settings import HolidayWatchSettings
from careops.settings import Settings


@dataclass(frozen=True)
class WatchEnv:
    mailer: Mailer
    calendar: WorkCalendar  # bootstrap.get_watch_calendar: unpublished years planned provisionally
    rules: HolidayWatchSettings
    tz: ZoneInfo
    ops_email: str
    cs_head_email: str
    biz_email: str
    ts_mailbox: str = ""
    default_locale: str = "zh_CN"
    font_file: str | None = None

    @property
    def holidays(self) -> tuple[str, ...]:
        return tuple(self.rules.holidays)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> WatchEnv:
        from careops.bootstrap import get_mailer, get_watch_calendar
        from careops.settings import get_settings

        settings = settings or get_settings()
        return cls(get_mailer(), get_watch_calendar(), settings.holiday_watch, settings.tz,
                   settings.ops_email, settings.cs_head_email, settings.biz_email,
                   settings.department_mailboxes.get("TS", ""), settings.default_locale)


@dataclass(frozen=True)
class Person:
    email: str
    locale: str
    name: str
    staff_id: int | None = None  # a staff member (gets a personal link), else a mailbox


@dataclass(frozen=True)
class LinkSpec:
    """The personal link an alert carries: its page, item and expiry (the window's end)."""

    scope: str
    subject: str
    expires: datetime


@dataclass
class Audience:
    people: list[Person] = field(default_factory=list)
    # who should hear and cannot: {"kind": "ts_contact", "project": code} or
    # {"kind": "duty", "day": date}; the mail says so in its language, `describe` for logs
    missing: list[dict] = field(default_factory=list)

    def describe(self) -> list[str]:
        return [f"project {m['project']} has no active TS contact: the TS head was told"
                if m["kind"] == "ts_contact" else
                f"nobody of CS is on duty on {m['day']}: the CS head was told"
                for m in self.missing]

    def add(self, person: Person | None) -> None:
        if person is not None and person.email not in {p.email for p in self.people}:
            self.people.append(person)


def _person(staff: Staff | None) -> Person | None:
    if staff is None or not staff.active or not staff.email:
        return None
    return Person(staff.email, staff.locale, staff.name, staff.id)


def department_head(session: Session, department: Department) -> Staff | None:
    return session.scalars(
        select(Staff).where(Staff.department == department, Staff.role == StaffRole.HEAD,
                            Staff.active.is_(True)).order_by(Staff.id)).first()


def ts_head(session: Session, env: WatchEnv) -> Person | None:
    head = _person(department_head(session, Department.TS))
    if head is None and env.ts_mailbox:
        return Person(env.ts_mailbox, env.default_locale, "技术服务部")
    return head


def cs_head(session: Session, env: WatchEnv) -> Person:
    head = _person(department_head(session, Department.CS))
    return head or Person(env.cs_head_email, env.default_locale, "客服部负责人")


def on_duty(session: Session, day: date) -> Staff | None:
    shift = session.scalar(select(DutyShift).where(DutyShift.day == day))
    return shift.staff if shift is not None else None


def site_audience(session: Session, env: WatchEnv, site: MonitoredSite, day: date) -> Audience:
    audience = Audience()
    project = site.project
    contact = _person(session.get(Staff, project.ts_contact_id)) if project.ts_contact_id else None
    if contact is None:
        audience.missing.append({"kind": "ts_contact", "project": project.code})
        audience.add(ts_head(session, env))
    audience.add(contact)
    duty = _person(on_duty(session, day))
    if duty is None:
        audience.missing.append({"kind": "duty", "day": day})
        audience.add(cs_head(session, env))
    audience.add(duty)
    return audience


def queue(
    session: Session, env: WatchEnv, people: list[Person], *, key: str, template: str,
    context: dict[str, Any], now: datetime, attachments: tuple[Attachment, ...] = (),
    link: LinkSpec | None = None,
) -> list[str]:
    """One mail per locale among `people` (keys `<key>:<locale>`); the addresses mailed.
    With `link` (and a mailer that makes links), each staff member gets a mail of their own
    carrying their personal link (key `<key>:s<staff id>`)."""
    groups: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        if link is not None and person.staff_id is not None and env.mailer.links is not None:
            staff = session.get(Staff, person.staff_id)
            url = env.mailer.staff_link(staff, link.scope, link.subject, link.expires)
            env.mailer.queue(session, key=f"{key}:s{person.staff_id}"[:200], template=template,
                             to=[person.email], locale=person.locale or env.default_locale,
                             category=template, context={**context, "link": url}, now=now,
                             attachments=attachments)
            continue
        groups[person.locale or env.default_locale].append(person)
    for locale, group in sorted(groups.items()):
        env.mailer.queue(session, key=f"{key}:{locale}"[:200], template=template,
                         to=[p.email for p in group], locale=locale, category=template,
                         context=context, now=now, attachments=attachments)
    return [p.email for p in people]
