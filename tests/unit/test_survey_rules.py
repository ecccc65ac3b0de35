"""R2 pure rules, the survey settings, the signed links and prefect.yaml's survey schedules."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from careops.process_settings import SurveySettings
from careops.rules.survey import (
    Cohort,
    ProjectFacts,
    ShipmentStatus,
    ShipmentStepError,
    campaign_year,
    cohort,
    gift_kind,
    month_day,
    next_steps,
)
from careops.services.survey.invitations import reminder_round
from careops.services.survey.links import LinkExpired, LinkInvalid, SurveyLinks
from careops.settings import PROJECT_ROOT, Settings

P, S, D, R = (ShipmentStatus.PLANNED, ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED,
              ShipmentStatus.RETURNED)


def test_new_means_first_delivery_in_the_campaign_year_even_if_that_project_retired():
    assert cohort([ProjectFacts(date(2026, 1, 1), None)], 2026) == Cohort.NEW
    assert cohort([ProjectFacts(date(2025, 12, 31), date(2026, 2, 1)),
                   ProjectFacts(date(2026, 3, 1), None)], 2026) == Cohort.OLD


def test_gift_kind_by_tier_and_cohort_with_the_fallback_row():
    table = {"A": {"new": "a-new", "old": "a-old"}, "*": {"new": "any-new", "old": "any-old"}}
    assert gift_kind(table, "a", Cohort.NEW) == "a-new"
    assert gift_kind(table, "C", Cohort.OLD) == "any-old"


def test_shipment_steps():
    assert next_steps(P, S) == [S]
    assert next_steps(P, D) == [S, D]  # shipped is implied
    assert next_steps(S, R) == [R]
    assert next_steps(D, D) == []
    for current, reported in ((S, P), (D, S), (D, R), (R, D)):
        with pytest.raises(ShipmentStepError):
            next_steps(current, reported)


def test_campaign_year_and_days():
    assert campaign_year(date(2026, 12, 1)) == 2026
    assert campaign_year(date(2027, 1, 6)) == 2026
    assert month_day(2026, "01-05") == date(2027, 1, 5)
    assert month_day(2026, "12-15") == date(2026, 12, 15)
    days = ["12-15", "12-22"]
    assert [reminder_round(date(2026, 12, d), 2026, days) for d in (14, 15, 21, 22, 31)] == [
        0, 1, 1, 2, 2]


def test_settings_refuse_three_reminders_a_non_december_reminder_and_a_table_without_fallback():
    with pytest.raises(ValidationError, match="at most two"):
        SurveySettings(reminder_days=["12-10", "12-15", "12-20"])
    with pytest.raises(ValidationError, match="December"):
        SurveySettings(reminder_days=["11-30"])
    with pytest.raises(ValidationError, match="MM-DD"):
        SurveySettings(closes_on="01-32")
    with pytest.raises(ValidationError, match="fallback"):
        SurveySettings(gifts={"A": {"new": "x", "old": "y"}})
    with pytest.raises(ValidationError, match="lacks old"):
        SurveySettings(gifts={"*": {"new": "x"}})


KEY = "unit-test-key-of-the-survey-links-7e3a"


def test_links_are_personal_signed_and_expire(monkeypatch):
    links = SurveyLinks(KEY, "http://127.0.0.1:8400/", valid_days=30)
    url = links.url(42, "Li@Example.cn")
    assert url.startswith("http://127.0.0.1:8400/survey/")
    token = url.rsplit("/", 1)[1]
    claim = links.read(token)
    assert (claim.member_id, claim.recipient) == (42, "li@example.cn")
    with pytest.raises(LinkInvalid):
        links.read(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))  # altered
    with pytest.raises(LinkInvalid):
        SurveyLinks(KEY + "-another", "http://x", 30).read(token)  # forged with another key
    with pytest.raises(LinkInvalid):
        links.read("not-a-token")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 31 * 86400)
    with pytest.raises(LinkExpired):
        links.read(token)


def _crons() -> dict[str, str]:
    config = yaml.safe_load(Path(PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d["schedules"][0]["cron"] for d in config["deployments"]
            if d.get("schedules")}


def test_prefect_yaml_runs_reminders_and_summary_on_the_configured_days():
    settings = Settings().survey  # config/careops.toml
    crons = _crons()
    _m, _h, days, month, _w = crons["survey-reminders"].split()
    assert month == "12"
    assert sorted(int(d) for d in days.split(",")) == [int(d[3:]) for d in settings.reminder_days]
    _m, _h, day, month, _w = crons["needs-summary"].split()
    assert (month, int(day)) == ("1", int(settings.summary_on[3:]))
    assert crons["december-campaign"].split()[2:4] == ["1-10", "12"]


def test_yearly_deployments_are_waited_for_only_when_due_within_the_horizon():
    from datetime import UTC, datetime

    from careops.stack.prefect_setup import planned_deployments

    planned = {p.name: p for p in planned_deployments(PROJECT_ROOT)}
    december, summary = planned["december-campaign"], planned["needs-summary"]
    assert december.fires_within(datetime(2026, 11, 1, tzinfo=UTC))
    assert not december.fires_within(datetime(2027, 2, 1, tzinfo=UTC))
    assert summary.fires_within(datetime(2026, 12, 1, tzinfo=UTC))
    assert not summary.fires_within(datetime(2027, 2, 1, tzinfo=UTC))
    assert planned["fault-watch"].fires_within(datetime(2027, 2, 1, tzinfo=UTC))


def test_management_addresses_are_checked():
    with pytest.raises(ValidationError, match="management_emails"):
        SurveySettings(management_emails=["boss,evil@example.cn"])
