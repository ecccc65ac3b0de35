"""R2 tasks: build the campaign, mail the gift list, invite, remind, digest, summarise, enter.

Each task is one or a few units of work on the careops services; they pass years and plain
dicts, never ORM objects, and retry on a transient error (every step is idempotent).
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import task

from careops.bootstrap import get_mailer
from careops.clock import local_today, utcnow
from careops.db.models.survey import AnswerChannel
from careops.db.uow import UnitOfWork
from careops.errors import NotFound
from careops.services.survey import reports
from careops.services.survey.answers import AnswerInput, enter_answer
from careops.services.survey.campaign import build_campaign, get_campaign
from careops.services.survey.gift_shipments import shipments
from careops.services.survey.invitations import invite, remind
from careops.services.survey.links import survey_links
from careops.settings import get_settings

RETRY = {"retries": 2, "retry_delay_seconds": [5, 30]}


def _today():
    return local_today(get_settings().tz)


@task(**RETRY)
def build_campaign_task(year: int) -> dict:
    settings = get_settings()
    built = build_campaign(UnitOfWork(), year, _today(), settings.survey, utcnow())
    data = built.as_dict()
    data["gift_list_to"] = reports.queue_gift_list(UnitOfWork(), built, get_mailer(), settings,
                                                   utcnow())
    return data


@task
def shipments_task(year: int) -> list[dict]:
    uow = UnitOfWork()
    with uow:
        return [s.as_row() for s in shipments(uow.session, year)]


@task(**RETRY)
def invite_task(year: int) -> dict:
    result = invite(UnitOfWork(), year, get_mailer(), survey_links(), _today(), utcnow())
    return asdict(result)


@task(**RETRY)
def remind_task(year: int) -> dict:
    days = get_settings().survey.reminder_days
    result = remind(UnitOfWork(), year, get_mailer(), survey_links(), _today(), days, utcnow())
    return asdict(result)


@task(**RETRY)
def digest_task(year: int) -> dict:
    figures = reports.queue_digest(UnitOfWork(), year, _today(), get_mailer(), get_settings(),
                                   utcnow())
    figures["closes_on"] = figures["closes_on"].isoformat()
    return figures


@task(**RETRY)
def summary_task(year: int) -> dict:
    return reports.queue_summary(UnitOfWork(), year, get_mailer(), get_settings(), utcnow())


@task(**RETRY)
def enter_answer_task(year: int, customer_code: str, data: AnswerInput, channel: str,
                      entered_by: str) -> int:
    return enter_answer(UnitOfWork(), year, customer_code, data, AnswerChannel(channel),
                        entered_by, utcnow())


@task
def campaign_closes_task(year: int) -> str | None:
    """The day the year's survey closes (ISO), or None when there is no campaign."""
    uow = UnitOfWork()
    try:
        with uow:
            return get_campaign(uow.session, year).closes_on.isoformat()
    except NotFound:
        return None
