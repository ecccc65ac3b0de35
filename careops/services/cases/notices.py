"""R6 notices: who gets which case mail, queued in the caller's transaction and logged.

Roles: owner, cs_head, gm, leadership, customer, ops (the configured ops_email). A role nobody
holds falls back to the configured address (cs_head_email, gm_email, leadership_emails), so a
notice is never lost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.calendar import WorkCalendar
from careops.db.models.cases import Case, CaseEvent
from careops.db.models.common import Department, Staff, StaffRole
from careops.mailer import Mailer
from careops.process_settings import CaseSettings
from careops.rules.cases import DeadlineRule
from careops.settings import Settings
from careops.web.tokens import LinkSigner

OPINION_PURPOSE = "case-opinion"
# The owner's personal link to the case page (careops.web.staff.cases) works until the case's
# deadline (or the mail, if later) plus this many days: a token's expiry is fixed when the mail
# is made, when the closing date is unknown; the deadline is known, and 30 days after it cover a
# late result and the customer's opinion window (cases.opinion_days, 14). Closing the case makes
# the page read-only at once (database state), whatever the link's expiry.
CASE_LINK_DAYS = 30


@dataclass(frozen=True)
class CaseEnv:
    """What the case services need besides the database."""

    mailer: Mailer
    calendar: WorkCalendar
    tz: ZoneInfo
    config: CaseSettings
    cs_head_email: str
    gm_email: str
    leadership_emails: list[str]
    web_url: str
    signer: LinkSigner
    default_locale: str = "zh_CN"
    ops_email: str = ""  # who adds config/calendar/YYYY.toml: told of a pending deadline

    @property
    def rule(self) -> DeadlineRule:
        c = self.config
        hour, minute = (int(p) for p in c.warn_morning.split(":"))
        return DeadlineRule(
            c.consultation_hours, c.complaint_working_days, c.special_complaint_working_days,
            c.suggestion_working_days, c.warn_hours_before_consultation, time(hour, minute),
        )

    @property
    def opinion_seconds(self) -> int:
        return self.config.opinion_days * 86400

    def opinion_url(self, case_id: int, recipient: str) -> str:
        return f"{self.web_url}/opinion/{self.signer.make(case_id, recipient)}"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> CaseEnv:
        from careops.bootstrap import get_calendar, get_mailer
        from careops.secrets import web_secret_key
        from careops.settings import get_settings

        s = settings or get_settings()
        return cls(
            get_mailer(), get_calendar(), s.tz, s.cases, s.cs_head_email, s.gm_email,
            list(s.leadership_emails), s.web.url,
            LinkSigner(lambda: web_secret_key(s), OPINION_PURPOSE), s.default_locale,
            s.ops_email,
        )


@dataclass(frozen=True)
class Recipient:
    email: str
    locale: str
    name: str


def heads(session: Session, department: str) -> list[Staff]:
    """Active heads of a department; else its active managers/members for GM/leadership."""
    query = select(Staff).where(Staff.department == department, Staff.active.is_(True))
    found = list(session.scalars(query.where(Staff.role == StaffRole.HEAD).order_by(Staff.id)))
    if found or department not in (Department.GM, Department.LEADERSHIP):
        return found
    return list(session.scalars(query.order_by(Staff.id)))


def resolve(session: Session, env: CaseEnv, case: Case, roles: list[str]) -> list[Recipient]:
    out: dict[str, Recipient] = {}

    def add(email: str | None, locale: str | None, name: str) -> None:
        if email and email.lower() not in out:
            out[email.lower()] = Recipient(email, locale or env.default_locale, name)

    for role in roles:
        if role == "owner":
            add(case.owner.email, case.owner.locale, case.owner.name)
            continue
        if role == "ops":
            add(env.ops_email, None, "ops")
            continue
        if role == "customer":
            c = case.customer
            add(c.contact_email, c.locale, c.contact_name)
            continue
        department, fallback, label = {
            "cs_head": (Department.CS, [env.cs_head_email], "客服部负责人"),
            "gm": (Department.GM, [env.gm_email], "总经理"),
            "leadership": (Department.LEADERSHIP, env.leadership_emails, "高层领导"),
        }[role]
        people = heads(session, department)
        for person in people:
            add(person.email, person.locale, person.name)
        if not people:
            for email in fallback:
                add(email, None, label)
    return list(out.values())


@dataclass(frozen=True)
class CustomerCaseView:
    """What a customer may read about their case."""

    id: int
    kind: str
    contact_name: str
    customer_name: str
    received_at: datetime
    text: str
    result: str | None


def case_link_expiry(due_at: datetime | None, now: datetime) -> datetime:
    """When the owner's case link stops working: deadline (pending: now) + CASE_LINK_DAYS."""
    return max(due_at or now, now) + timedelta(days=CASE_LINK_DAYS)


def owner_link(env: CaseEnv, case: Case, now: datetime) -> tuple[str, datetime] | None:
    """The current owner's personal link to the case page and its expiry (None: no key)."""
    expires = case_link_expiry(case.due_at, now)
    url = env.mailer.staff_link(case.owner, "case", f"case:{case.id}", expires)
    return (url, expires) if url else None


def customer_view(case: Case) -> CustomerCaseView:
    return CustomerCaseView(case.id, str(case.kind), case.customer.contact_name,
                            case.customer.name, case.received_at, case.text, case.result)


def record_event(
    session: Session, case: Case, kind: str, actor: str, details: str, now: datetime
) -> CaseEvent:
    event = CaseEvent(case_id=case.id, at=now, kind=kind, actor=actor, details=details)
    session.add(event)
    session.flush()
    return event


def notify(
    session: Session, env: CaseEnv, case: Case, template: str, roles: list[str], now: datetime,
    *, tag: str = "", context: dict[str, Any] | None = None,
) -> list[str]:
    """Mail `template` about `case` to `roles` (one mail per locale; the customer's alone).
    The case owner, when among the recipients, gets a mail of their own carrying their personal
    link to the case page (`case_url`, `case_url_until`)."""
    from careops.services.cases.queries import case_view

    people = resolve(session, env, case, roles)
    if not people:
        return []
    groups: dict[str, list[Recipient]] = defaultdict(list)
    for person in people:
        groups[person.locale].append(person)
    customer = roles == ["customer"]
    # the customer's mail sees customer-facing values only: no internal field can leak into it
    view = customer_view(case) if customer else case_view(session, case, env.tz)
    link = None if customer else owner_link(env, case, now)
    owner = case.owner.email.lower()

    def batches(group: list[Recipient]) -> list[list[Recipient]]:
        if customer:
            return [[p] for p in group]
        if link is None:
            return [group]
        mine = [p for p in group if p.email.lower() == owner]
        rest = [p for p in group if p.email.lower() != owner]
        return [b for b in (mine, rest) if b]

    for locale, group in sorted(groups.items()):
        for batch in batches(group):
            to = [p.email for p in batch]
            extra = dict(context or {})
            if customer and template == "case_result":
                extra["opinion_url"] = env.opinion_url(case.id, to[0])
            if link is not None and to[0].lower() == owner:
                extra["case_url"], extra["case_url_until"] = link
            env.mailer.queue(
                session,
                key=f"case:{case.id}:{template}:{tag}:{locale}:{to[0].lower()}"[:200],
                template=template, locale=locale, to=to, category=template,
                context={"case": view, "recipients": batch, **extra}, now=now,
            )
    addresses = [p.email for p in people]
    record_event(session, case, f"notice:{template}", "careops", "to " + ", ".join(addresses),
                 now)
    return addresses
