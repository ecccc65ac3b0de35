"""survey-digest — R2: the CS head's weekly digest of the needs survey.

Response rate (invited who answered / invited), answers by channel (web, phone, letter),
invited contacts still without an answer, gifts returned; mailed to the CS head and published
as an artifact.
Scheduled Mondays 09:00 in December and January; acts while the current campaign is open
(until a week after it closes). Run by hand with `year` for any campaign.
"""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from careops.clock import local_today
from careops.rules.survey import campaign_year
from careops.settings import get_settings
from tasks.artifacts import publish_markdown
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.survey import campaign_closes_task, digest_task


class SurveyDigestParams(BaseModel):
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="Campaign year. Empty: the current campaign, if open.")


@flow(name="survey-digest", log_prints=True, **FAILURE_HOOKS)
def survey_digest(params: SurveyDigestParams | None = None) -> dict:
    params = params or SurveyDigestParams()
    logger = get_run_logger()
    today = local_today(get_settings().tz)
    year = params.year
    if year is None:
        year = campaign_year(today)
        closes_text = campaign_closes_task(year)
        if closes_text is None:
            logger.info("no %s campaign: nothing to do", year)
            return {"skipped": f"no {year} campaign"}
        closes = date.fromisoformat(closes_text)
        if today > closes + timedelta(days=7):
            logger.info("the %s survey closed on %s: nothing to do", year, closes)
            return {"skipped": f"the {year} survey closed on {closes}"}
    figures = digest_task(year)
    publish_markdown(
        f"survey-digest-{year}",
        f"# Needs survey {year}: response rate {figures['rate']}\n\n"
        f"- answered: **{figures['answered_invited']}** of {figures['invited']} invited "
        f"({figures['members']} customers in the campaign; "
        f"{figures['without_invitation']} more answers without invitation)\n"
        f"- by channel: {figures['by_channel'] or '–'}\n"
        f"- invited, no answer yet: {figures['not_answered']}\n"
        f"- gifts returned: {figures['returned_gifts']}\n"
        f"- closes at the end of {figures['closes_on']}\n",
        f"Survey response rate {year}",
    )
    figures["delivery"] = deliver_outbox_task()
    return figures


if __name__ == "__main__":
    survey_digest()
