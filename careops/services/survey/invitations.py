"""R2 invitations and reminders: the greeting with each contact's personal survey link.

- `invite`: every member with a contact e-mail not yet invited gets the greeting and survey
  invitation in their locale (zh_CN first), 1,000 members per transaction under the year's
  lock: the outbox rows and `invited_at` are written together, so a crash or a second run at
  once never mails anyone twice, and 10,000 members take one run.
- `remind`: on and after each configured reminder day (at most two), members invited and not
  answered get that reminder once (`reminders_sent` counts them); never after the close. A
  member invited after the first reminder day starts at the current round.
Customers without an e-mail address get no mail: they are listed for CS (phone or letter).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from careops.db.models.common import Customer, Project, Staff
from careops.db.models.survey import CampaignMember, SurveyAnswer, SurveyCampaign
from careops.db.uow import UnitOfWork
from careops.mailer import BulkMail, Mailer
from careops.rules.survey import ProjectFacts, campaign_projects
from careops.services.survey.campaign import get_campaign
from careops.services.survey.links import SurveyLinks

BATCH = 1000


@dataclass
class MailingResult:
    year: int
    queued: int = 0
    round: int = 0  # reminders: the round sent (1 or 2); 0 when none is due
    skipped: str = ""  # why nothing was sent (closed, no reminder due)


def invite(
    uow: UnitOfWork, year: int, mailer: Mailer, links: SurveyLinks, today: date, now: datetime
) -> MailingResult:
    """Queue the invitation of every member not yet invited (see the module docstring)."""
    return _mail_in_batches(
        uow, MailingResult(year), mailer, links, today, now,
        where=[CampaignMember.invited_at.is_(None)], template="survey_invitation",
        key=lambda code: f"survey-invitation:{year}:{code}", marks={"invited_at": now},
    )


def reminder_round(today: date, year: int, reminder_days: Sequence[str]) -> int:
    """How many of the year's reminder days (MM-DD of December) have come by `today`."""
    return sum(1 for day in reminder_days if date.fromisoformat(f"{year}-{day}") <= today)


def remind(
    uow: UnitOfWork, year: int, mailer: Mailer, links: SurveyLinks, today: date,
    reminder_days: Sequence[str], now: datetime,
) -> MailingResult:
    """Queue the due reminder to invited members who have not answered."""
    result = MailingResult(year, round=reminder_round(today, year, reminder_days))
    if result.round == 0:
        result.skipped = f"no reminder day yet ({', '.join(reminder_days) or 'none set'})"
        return result
    return _mail_in_batches(
        uow, result, mailer, links, today, now,
        where=[CampaignMember.invited_at.is_not(None),
               CampaignMember.reminders_sent < result.round,
               CampaignMember.id.not_in(select(SurveyAnswer.member_id))],
        template="survey_reminder",
        key=lambda code: f"survey-reminder:{year}:{code}:{result.round}",
        marks={"reminders_sent": result.round, "reminded_at": now},
    )


def _mail_in_batches(
    uow: UnitOfWork, result: MailingResult, mailer: Mailer, links: SurveyLinks, today: date,
    now: datetime, *, where: list, template: str, key: Callable[[str], str], marks: dict,
) -> MailingResult:
    """BATCH members matching `where` per transaction: queue their mail, set `marks`."""
    while True:
        with uow:
            uow.lock(f"survey-mail:{result.year}")
            campaign = get_campaign(uow.session, result.year)
            if today > campaign.closes_on:
                result.skipped = f"the survey closed on {campaign.closes_on}"
                return result
            batch = _members(uow.session, campaign, *where)
            if not batch:
                return result
            _queue(uow.session, mailer, links, campaign, batch, template, key, now,
                   reminder=result.round)
            uow.session.execute(
                update(CampaignMember).where(CampaignMember.id.in_([row.id for row in batch]))
                .values(**marks)
            )
            uow.commit()
            result.queued += len(batch)


def _members(session: Session, campaign: SurveyCampaign, *where) -> list:
    """Up to BATCH members with their customer's contact, as plain rows (no ORM objects)."""
    query = (
        select(CampaignMember.id, CampaignMember.gift_kind, Customer.id.label("customer_id"),
               Customer.code, Customer.name, Customer.contact_name, Customer.contact_email,
               Customer.locale)
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign.id, Customer.contact_email.is_not(None),
               Customer.contact_email != "", *where)
        .order_by(CampaignMember.id)
        .limit(BATCH)
    )
    return list(session.execute(query))


def _queue(
    session: Session, mailer: Mailer, links: SurveyLinks, campaign: SurveyCampaign,
    batch: list, template: str, key, now: datetime, *, reminder: int = 0,
) -> None:
    projects = member_projects(session, [row.customer_id for row in batch], campaign.built_on)
    signature = cs_signature(session)
    mails = [
        BulkMail(
            key=key(row.code),
            to=[f"{row.contact_name} <{row.contact_email}>"],
            locale=row.locale,
            context={
                "year": campaign.year,
                "next_year": campaign.year + 1,
                "customer_name": row.name,
                "contact_name": row.contact_name,
                "projects": projects.get(row.customer_id, []),
                "survey_url": links.url(row.id, row.contact_email),
                "closes_on": campaign.closes_on,
                "gift_kind": row.gift_kind,
                "reminder": reminder,
                "signature": signature,
            },
        )
        for row in batch
    ]
    mailer.queue_many(session, template=template, mails=mails, now=now)


_PROJECTS = (
    select(Project.customer_id, Project.name, Project.delivered_on, Project.retired_on)
    .where(Project.customer_id.in_(bindparam("customers", expanding=True)))
    .order_by(Project.customer_id, Project.delivered_on, Project.code)
)


def member_projects(session: Session, customer_ids: list[int], on: date) -> dict[int, list[str]]:
    """The names of each customer's projects in service on `on` (delivered, not retired)."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = session.connection().execute(_PROJECTS, {"customers": list(customer_ids)})
    for cid, name, delivered, retired in rows:
        if campaign_projects([ProjectFacts(delivered, retired)], on):
            found[cid].append(name)
    return found


def cs_signature(session: Session) -> str:
    """The CS head's name for the letter's signature (empty: "the CS department")."""
    from careops.db.models.common import Department, StaffRole

    head = session.scalars(
        select(Staff.name).where(Staff.department == Department.CS, Staff.role == StaffRole.HEAD,
                                 Staff.active.is_(True)).order_by(Staff.id)
    ).first()
    return head or ""
