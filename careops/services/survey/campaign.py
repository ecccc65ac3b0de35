"""R2: build the year's campaign once — members, gift kinds, planned shipments.

`build_campaign` runs under the year's lock and inserts with ON CONFLICT DO NOTHING, so a
re-run, a retry or two runs at once add every customer once; a customer delivered since the last
run joins. Customers who asked for no calls are members too (gift and letter; they get no call).
Customers with no delivered project, or only retired ones, are not members: they are returned
in `listed_for_cs` for CS to decide (gift by hand, or nothing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.common import Customer, Project
from careops.db.models.survey import (
    CampaignMember,
    GiftShipmentEvent,
    ShipmentStatus,
    SurveyCampaign,
)
from careops.db.uow import UnitOfWork
from careops.errors import NotFound
from careops.process_settings import SurveySettings
from careops.rules.survey import ProjectFacts, campaign_projects, cohort, gift_kind, shipment_code


@dataclass(frozen=True)
class ListedCustomer:
    code: str
    name: str
    reason: str  # "no delivered project" | "only retired projects"

    def as_row(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "reason": self.reason}


@dataclass
class CampaignResult:
    year: int
    campaign_day: str
    closes_on: str
    created: int = 0
    members: int = 0
    new_customers: int = 0
    old_customers: int = 0
    no_calls: int = 0
    without_email: list[str] = field(default_factory=list)  # customer codes: phone or letter
    listed_for_cs: list[ListedCustomer] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "listed_for_cs"}
        data["listed_for_cs"] = [c.as_row() for c in self.listed_for_cs]
        return data


def campaign_day(year: int, today: date) -> date:
    """The day whose deliveries count: today, or 31 December for a past year's campaign."""
    return min(today, date(year, 12, 31))


def closes_on(year: int, settings: SurveySettings) -> date:
    return date.fromisoformat(f"{year + 1}-{settings.closes_on}")


def build_campaign(
    uow: UnitOfWork, year: int, today: date, settings: SurveySettings, now: datetime
) -> CampaignResult:
    """Create (or complete) the campaign of `year` on `today`; see the module docstring."""
    day = campaign_day(year, today)
    with uow:
        uow.lock(f"survey-campaign:{year}")
        session = uow.session
        campaign = _campaign(session, year, day, closes_on(year, settings), now)
        result = CampaignResult(year, day.isoformat(), campaign.closes_on.isoformat())
        before = _member_count(session, campaign.id)
        rows, result.listed_for_cs = _members(session, campaign.id, year, day, settings, now)
        insert_ignoring_duplicates(session, CampaignMember, rows, ["campaign_id", "customer_id"])
        _plan_shipments(session, campaign.id, now)
        result.created = _member_count(session, campaign.id) - before
        _count_members(session, campaign.id, result)
        uow.commit()
    return result


def get_campaign(session: Session, year: int) -> SurveyCampaign:
    campaign = session.scalar(select(SurveyCampaign).where(SurveyCampaign.year == year))
    if campaign is None:
        raise NotFound(f"no campaign for {year}: run december-campaign (careops campaign build "
                       f"--year {year}) first")
    return campaign


def _campaign(
    session: Session, year: int, day: date, closes: date, now: datetime
) -> SurveyCampaign:
    insert_ignoring_duplicates(
        session, SurveyCampaign,
        [{"year": year, "built_on": day, "closes_on": closes, "created_at": now}], ["year"],
    )
    return get_campaign(session, year)


def _members(
    session: Session, campaign_id: int, year: int, day: date, settings: SurveySettings,
    now: datetime,
) -> tuple[list[dict], list[ListedCustomer]]:
    projects: dict[int, list[ProjectFacts]] = defaultdict(list)
    query = select(Project.customer_id, Project.delivered_on, Project.retired_on)
    for customer_id, delivered, retired in session.connection().execute(query):
        projects[customer_id].append(ProjectFacts(delivered, retired))
    customers = session.connection().execute(
        select(Customer.id, Customer.code, Customer.name, Customer.tier, Customer.no_calls,
               Customer.contact_name, Customer.contact_phone, Customer.address)
        .order_by(Customer.code)
    )
    rows, listed = [], []
    for cid, code, name, tier, no_calls, contact, phone, address in customers:
        facts = [p for p in projects.get(cid, []) if p.delivered_on and p.delivered_on <= day]
        if not campaign_projects(facts, day):
            reason = "only retired projects" if facts else "no delivered project"
            listed.append(ListedCustomer(code, name, reason))
            continue
        which = cohort(facts, year)
        rows.append({
            "campaign_id": campaign_id, "customer_id": cid, "cohort": which,
            "tier": tier, "gift_kind": gift_kind(settings.gifts, tier, which),
            "no_calls": bool(no_calls), "shipment_code": shipment_code(year, code),
            "shipment_status": ShipmentStatus.PLANNED, "shipment_changed_at": now,
            "recipient_name": contact, "recipient_phone": phone, "recipient_address": address,
            "reminders_sent": 0, "created_at": now,
        })
    return rows, listed


def _plan_shipments(session: Session, campaign_id: int, now: datetime) -> None:
    members = session.scalars(
        select(CampaignMember.id).where(CampaignMember.campaign_id == campaign_id)
    )
    rows = [{"member_id": mid, "status": ShipmentStatus.PLANNED, "happened_on": None,
             "source": "december-campaign", "recorded_at": now} for mid in members]
    insert_ignoring_duplicates(session, GiftShipmentEvent, rows, ["member_id", "status"])


def _member_count(session: Session, campaign_id: int) -> int:
    query = select(func.count()).where(CampaignMember.campaign_id == campaign_id)
    return session.scalar(query) or 0


def _count_members(session: Session, campaign_id: int, result: CampaignResult) -> None:
    query = (
        select(CampaignMember.cohort, CampaignMember.no_calls, Customer.code,
               Customer.contact_email)
        .join(Customer, Customer.id == CampaignMember.customer_id)
        .where(CampaignMember.campaign_id == campaign_id)
        .order_by(Customer.code)
    )
    for which, no_calls, code, email in session.execute(query):
        result.members += 1
        if which == "new":
            result.new_customers += 1
        else:
            result.old_customers += 1
        result.no_calls += bool(no_calls)
        if not email:
            result.without_email.append(code)



def demo_survey_link(
    uow: UnitOfWork, today: date, settings: SurveySettings, links, now: datetime
) -> tuple[str, str] | None:
    """On the demo data: build the current campaign (no mail) and return one customer's
    (name, personal survey link) for the stack's console; None without a member."""
    from careops.rules.survey import campaign_year

    year = campaign_year(today)
    build_campaign(uow, year, today, settings, now)
    with uow:
        campaign = get_campaign(uow.session, year)
        row = uow.session.execute(
            select(CampaignMember.id, Customer.name, Customer.contact_email)
            .join(Customer, Customer.id == CampaignMember.customer_id)
            .where(CampaignMember.campaign_id == campaign.id,
                   Customer.contact_email.is_not(None))
            .order_by(CampaignMember.id).limit(1)
        ).first()
    return (row.name, links.url(row.id, row.contact_email)) if row else None
