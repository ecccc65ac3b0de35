"""R2 campaign build on a frozen day: members, new/old, gift kinds, listed for CS, re-runs."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from sqlalchemy import select

from careops.db.models.common import Customer
from careops.db.models.survey import CampaignMember, GiftShipmentEvent
from careops.process_settings import SurveySettings
from careops.services.survey.campaign import build_campaign
from tests.integration.survey_world import DAY, GIFTS, NOW, survey_world
from tests.support.factories import World


def _members(uow) -> dict[str, SimpleNamespace]:
    columns = ("cohort", "gift_kind", "no_calls", "shipment_code", "shipment_status")
    with uow:
        rows = uow.session.execute(
            select(Customer.code, *(getattr(CampaignMember, c) for c in columns))
            .join(CampaignMember.customer)
        ).all()
    return {code: SimpleNamespace(**dict(zip(columns, rest, strict=True)))
            for code, *rest in rows}


def test_members_cohorts_gifts_and_the_customers_listed_for_cs(uow):
    survey_world(uow)
    result = build_campaign(uow, 2026, DAY, SurveySettings(), NOW)
    members = _members(uow)
    assert set(members) == {"NEW", "OLD", "MIXED", "NOCALL", "EN", "NOMAIL"}
    assert {c: str(m.cohort) for c, m in members.items()} == {
        "NEW": "new", "OLD": "old", "MIXED": "old", "NOCALL": "old", "EN": "old", "NOMAIL": "old"}
    assert members["NEW"].gift_kind == GIFTS["A"]["new"]
    assert members["OLD"].gift_kind == GIFTS["B"]["old"]
    assert members["EN"].gift_kind == GIFTS["C"]["old"]
    assert members["NOMAIL"].gift_kind == GIFTS["*"]["old"]  # tier Z: the fallback row
    assert members["NOCALL"].no_calls is True  # gift and letter anyway
    assert members["NEW"].shipment_code == "G2026-NEW"
    assert str(members["NEW"].shipment_status) == "planned"
    assert (result.members, result.new_customers, result.old_customers) == (6, 1, 5)
    assert result.created == 6 and result.no_calls == 1
    assert result.without_email == ["NOMAIL"]
    assert {(c.code, c.reason) for c in result.listed_for_cs} == {
        ("RETIRED", "only retired projects"), ("PENDING", "no delivered project")}
    assert result.closes_on == "2027-01-05"


def test_rerun_creates_nothing_twice_and_adds_customers_delivered_since(uow):
    survey_world(uow)
    build_campaign(uow, 2026, DAY, SurveySettings(), NOW)
    again = build_campaign(uow, 2026, DAY, SurveySettings(), NOW)
    assert (again.created, again.members) == (0, 6)
    world = World(uow)
    late = world.customer("LATE")
    world.project("P-LATE", late, date(2026, 12, 3))
    later = build_campaign(uow, 2026, date(2026, 12, 4), SurveySettings(), NOW)
    assert (later.created, later.members, later.new_customers) == (1, 7, 2)
    with uow:
        events = uow.session.scalars(select(GiftShipmentEvent.status)).all()
    assert len(events) == 7 and set(events) == {"planned"}


def test_a_past_year_counts_deliveries_up_to_its_31_december(uow):
    survey_world(uow)
    result = build_campaign(uow, 2025, DAY, SurveySettings(), NOW)
    members = _members(uow)
    # NEW and MIXED's new project came in 2026; MIXED's old one was retired by 2025, and
    # RETIRED's on 31 December 2025 itself: not in service on the campaign day
    assert set(members) == {"OLD", "NOCALL", "EN", "NOMAIL"}
    assert {c: str(m.cohort) for c, m in members.items()}["NOCALL"] == "new"
    assert result.campaign_day == "2025-12-31"


def test_the_gift_table_comes_from_the_settings(uow):
    survey_world(uow)
    table = {"A": {"new": "茶具", "old": "茶叶"}, "*": {"new": "台历", "old": "贺卡"}}
    build_campaign(uow, 2026, DAY, SurveySettings(gifts=table), NOW)
    members = _members(uow)
    assert (members["NEW"].gift_kind, members["MIXED"].gift_kind,
            members["OLD"].gift_kind) == ("茶具", "茶叶", "贺卡")
