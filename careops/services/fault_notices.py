"""R5 notices: resolve recipient roles to people, queue the mails, record notice + timeline.

Everything is written in the caller's transaction (mail in the outbox, FaultNotice, FaultEvent),
so a notice exists if and only if the step it reports was committed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.calendar import WorkCalendar
from careops.db.fault_models import Fault, FaultEvent, FaultNotice
from careops.db.models import Department, Staff, StaffRole
from careops.mailer import Mailer
from careops.rules.faults import Purpose, recipient_roles
from careops.settings import FaultSettings, Settings

TEMPLATES = {
    Purpose.NOTICE: "fault_notice",
    Purpose.FILED: "fault_filed",
    Purpose.FILING_REMINDER: "fault_chase",
    Purpose.FILING_ESCALATION: "fault_escalation",
    Purpose.UPDATE: "fault_update",
    Purpose.ANALYSIS_REQUEST: "fault_analysis_request",
    Purpose.ANALYSIS_REMINDER: "fault_analysis_chase",
    Purpose.ANALYSIS_OVERDUE: "fault_analysis_chase",
    Purpose.REPORT: "fault_analysis_report",
}


@dataclass(frozen=True)
class FaultEnv:
    """What the fault services need besides the database: mail, calendar, configuration."""

    mailer: Mailer
    calendar: WorkCalendar
    rules: FaultSettings
    tz: ZoneInfo
    leadership_emails: list[str]
    biz_email: str
    default_locale: str = "zh_CN"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> FaultEnv:
        from careops.bootstrap import get_calendar, get_mailer
        from careops.settings import get_settings

        settings = settings or get_settings()
        return cls(
            get_mailer(), get_calendar(), settings.faults, settings.tz,
            list(settings.leadership_emails), settings.biz_email, settings.default_locale,
        )


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str
    name: str


def _staff(session: Session, staff_id: int | None) -> list[Staff]:
    person = session.get(Staff, staff_id) if staff_id else None
    return [person] if person is not None and person.active else []


def _by_role(session: Session, department: str, *roles: StaffRole) -> list[Staff]:
    """Active staff of `department` with the first of `roles` anyone has (no roles: all)."""
    query = select(Staff).where(Staff.department == department, Staff.active.is_(True))
    if not roles:
        return list(session.scalars(query.order_by(Staff.id)))
    for role in roles:
        people = list(session.scalars(query.where(Staff.role == role).order_by(Staff.id)))
        if people:
            return people
    return []


def resolve(session: Session, env: FaultEnv, fault: Fault, roles: list[str]) -> list[Recipient]:
    """The people behind `roles` for this fault's project, each address once."""
    project = fault.project
    out: dict[str, Recipient] = {}

    def add(email: str | None, locale: str | None, name: str) -> None:
        if email and email.lower() not in out:
            out[email.lower()] = Recipient(email, locale or env.default_locale, name)

    for role in roles:
        people: list[Staff] = []
        if role == "sales":
            people = _staff(session, project.sales_id)
        elif role == "manager":
            people = _staff(session, project.manager_id)
        elif role == "ts_contact":
            people = _staff(session, project.ts_contact_id)
        elif role.startswith("head:"):
            people = _by_role(session, role[5:], StaffRole.HEAD)
        elif role == "ts_supervisor":
            people = _by_role(session, Department.TS, StaffRole.SUPERVISOR, StaffRole.HEAD)
        elif role == "leadership":
            people = _by_role(session, Department.LEADERSHIP)
            if not people:
                for email in env.leadership_emails:
                    add(email, None, "高层领导")
        elif role == "customer":
            add(project.customer.contact_email, project.customer.locale,
                project.customer.contact_name)
        elif role == "biz":
            add(env.biz_email, None, "业务部")
        for person in people:
            add(person.email, person.locale, person.name)
    return list(out.values())


def record_event(
    session: Session, fault: Fault, kind: str, actor: str, details: str, now: datetime
) -> FaultEvent:
    event = FaultEvent(fault_id=fault.id, at=now, kind=kind, actor=actor, details=details)
    session.add(event)
    session.flush()
    return event


def notify(
    session: Session,
    env: FaultEnv,
    fault: Fault,
    purpose: Purpose,
    now: datetime,
    *,
    tag: str = "",
    context: dict[str, Any] | None = None,
) -> list[str]:
    """Mail `purpose` about `fault` to its recipients (one mail per locale), record it all.

    `tag` makes the outbox key unique per occurrence (e.g. the chase number). Nobody found for
    the roles (no manager on the project ...) → senior leadership, so a notice is never lost.
    """
    roles = recipient_roles(
        purpose, fault.severity, env.rules.major_departments, env.rules.minor_departments
    )
    people = resolve(session, env, fault, roles)
    if not people:
        people = resolve(session, env, fault, ["leadership"])
    groups: dict[str, list[Recipient]] = defaultdict(list)
    for person in people:
        groups[person.locale].append(person)
    addresses = [p.email for p in people]
    event = record_event(
        session, fault, f"notice:{purpose}", "careops", "to " + ", ".join(addresses), now
    )
    from careops.services.fault_queries import fault_view  # the view needs the events

    view = fault_view(session, fault)
    for locale, group in sorted(groups.items()):
        # the report goes to each address alone: the customer never sees internal addresses
        batches = [[p] for p in group] if purpose == Purpose.REPORT else [group]
        for batch in batches:
            to = [p.email for p in batch]
            suffix = f":{to[0].lower()}" if purpose == Purpose.REPORT else ""
            key = f"fault:{fault.id}:{purpose}:{tag}:{locale}{suffix}"
            env.mailer.queue(
                session,
                key=key[:200],
                template=TEMPLATES[purpose],
                locale=locale,
                to=to,
                category=f"fault_{purpose}"[:50],
                context={"fault": view, "purpose": str(purpose), "recipients": batch,
                         **(context or {})},
                now=now,
            )
            session.add(FaultNotice(
                fault_id=fault.id, event_id=event.id, purpose=str(purpose),
                recipients=",".join(to), outbox_key=key[:200], created_at=now,
            ))
    return addresses
