"""Two campaign runs at once (build + gift list + invitations, separate processes) create
every member once and mail every contact once; so do two answers saved at once."""

from __future__ import annotations

from sqlalchemy import func, select

from careops.db.models.outbox import OutboxMessage
from careops.db.models.survey import CampaignMember, SurveyAnswer
from tests.integration.survey_world import survey_world
from tests.support.concurrency import run_together


def campaign_in_this_process(year: int) -> int:
    from careops.bootstrap import get_mailer
    from careops.db.uow import UnitOfWork
    from careops.services.survey import reports as survey_reports
    from careops.services.survey.campaign import build_campaign
    from careops.services.survey.invitations import invite
    from careops.services.survey.links import survey_links
    from careops.settings import get_settings
    from tests.integration.survey_world import DAY, NOW

    settings = get_settings()
    built = build_campaign(UnitOfWork(), year, DAY, settings.survey, NOW)
    survey_reports.queue_gift_list(UnitOfWork(), built, get_mailer(), settings, NOW)
    return invite(UnitOfWork(), year, get_mailer(), survey_links(), DAY, NOW).queued


def answer_in_this_process(member_id: int) -> int:
    from careops.db.uow import UnitOfWork
    from careops.services.survey.answers import parse_answer, save_answer
    from tests.integration.survey_world import DAY, NOW

    return save_answer(UnitOfWork(), member_id, parse_answer({"needs": ["app"]}), DAY, NOW)


def test_two_campaign_runs_at_once(uow, db_url, settings):
    survey_world(uow)
    env = {"CAREOPS_DATABASE_URL": db_url}
    queued = run_together(campaign_in_this_process, (2026,), env)
    assert sorted(queued) == [0, 5]
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(CampaignMember)) == 6
        keys = uow.session.scalars(select(OutboxMessage.key)).all()
    assert len(keys) == 6 and sum(k.startswith("survey-invitation:") for k in keys) == 5

    with uow:
        member = uow.session.scalar(select(CampaignMember.id).limit(1))
    revisions = run_together(answer_in_this_process, (member,), env)
    assert sorted(revisions) == [1, 2]
    with uow:
        assert uow.session.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
