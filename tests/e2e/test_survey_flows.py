"""The R2 flows under Prefect (the session's test server): campaign, reminders, digest,
the UI form for staff entry, the needs summary; a scheduled run acts only on its day."""

from __future__ import annotations

import asyncio

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from careops.db.uow import UnitOfWork
from flows import december_campaign as campaign_module
from flows.december_campaign import DecemberCampaignParams, december_campaign
from flows.enter_survey_answer import SurveyAnswerEntry, enter_survey_answer
from flows.needs_summary import NeedsSummaryParams, needs_summary
from flows.survey_digest import SurveyDigestParams, survey_digest
from flows.survey_reminders import SurveyRemindersParams, survey_reminders
from tasks import survey as survey_tasks
from tests.integration.survey_world import DAY, survey_world

pytestmark = pytest.mark.usefixtures("prefect")


@pytest.fixture
def world(sqlite_settings, monkeypatch):
    survey_world(UnitOfWork())
    monkeypatch.setattr(survey_tasks, "_today", lambda: DAY)


def _artifact_keys(like: str) -> set[str]:
    async def fetch():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_=like)))
            return {a.key for a in found}

    return asyncio.run(fetch())


def test_campaign_entry_reminders_digest_summary_through_the_flows(world, smtp, monkeypatch):
    result = december_campaign(DecemberCampaignParams(year=2026))
    assert result["campaign"]["members"] == 6 and result["invited"]["queued"] == 5
    assert result["listed_for_cs"] == 2 and result["delivery"]["sent"] == 6
    assert {"gift-list-2026", "campaign-listed-for-cs-2026", "campaign-summary-2026"} <= \
        _artifact_keys("%2026")
    again = december_campaign(DecemberCampaignParams(year=2026))
    assert again["campaign"]["created"] == 0 and again["invited"]["queued"] == 0
    assert again["delivery"]["sent"] == 0  # nothing twice

    entered = enter_survey_answer(SurveyAnswerEntry(
        year=2026, customer_code="NEW", channel="phone", entered_by="李雷",
        needs=["website"], budget="50k_200k", timing="q2"))
    assert entered["revision"] == 1

    monkeypatch.setattr(survey_tasks, "_today", lambda: DAY.replace(day=15))
    reminded = survey_reminders(SurveyRemindersParams(year=2026))
    assert (reminded["round"], reminded["queued"]) == (1, 4)  # NEW answered by phone

    smtp.clear()
    digest = survey_digest(SurveyDigestParams(year=2026))
    assert digest["rate"] == "20%" and digest["delivery"]["sent"] == 1
    assert smtp.messages[0].envelope_to == ["csh@careops.test"]

    summary = needs_summary(NeedsSummaryParams(year=2026))
    assert summary["needs"] == {"website": 1} and summary["delivery"]["sent"] == 1
    assert "needs-summary-2026" in _artifact_keys("needs-summary%")


def test_a_scheduled_campaign_run_acts_only_on_decembers_first_working_day(world, monkeypatch):
    from datetime import date

    monkeypatch.setattr(campaign_module, "local_today", lambda _tz: date(2026, 12, 2))
    assert "not December's first working day" in december_campaign()["skipped"]
    monkeypatch.setattr(campaign_module, "local_today", lambda _tz: DAY)
    assert december_campaign()["campaign"]["members"] == 6


def test_the_entry_form_refuses_bad_answers(world):
    from careops.errors import CareopsError

    december_campaign(DecemberCampaignParams(year=2026))
    with pytest.raises(CareopsError, match="budget"):
        enter_survey_answer(SurveyAnswerEntry(year=2026, customer_code="NEW",
                                              entered_by="李雷", budget="lots"))


def test_the_scheduled_digest_acts_only_while_a_campaign_is_open(world, monkeypatch):
    from datetime import date

    from flows import survey_digest as digest_module

    monkeypatch.setattr(digest_module, "local_today", lambda _tz: date(2026, 12, 7))
    assert survey_digest()["skipped"] == "no 2026 campaign"
    december_campaign(DecemberCampaignParams(year=2026))
    assert survey_digest()["year"] == 2026
    monkeypatch.setattr(digest_module, "local_today", lambda _tz: date(2027, 1, 18))
    assert "closed on 2027-01-05" in survey_digest()["skipped"]
