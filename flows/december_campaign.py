"""december-campaign — R2 December needs survey and New Year gifts: build, list, invite.

Builds the year's campaign once: every customer with a delivered project in service, new (first
delivery this year) or old, the gift kind from `[survey.gifts]` by tier and new/old; customers
who asked for no calls are included (gift and letter, no call); customers with no delivered or
only retired projects are listed for CS. Mails the CS head the gift list (XLSX for the courier)
and every contact with an e-mail address the greeting and survey invitation with a personal
link (zh_CN, or en by the customer's locale). Artifacts: the summary, the shipment list, the
customers listed for CS.

Scheduled 09:00 on 1-10 December (Asia/Shanghai); a scheduled run acts only on December's first
working day. Run it by hand with `year` for any year. Requires a migrated careops database and
the web app's `web.public_url` for the links. Safe to re-run, retry or run twice at once.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from careops.bootstrap import get_calendar
from careops.clock import local_today
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown, publish_table
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.survey import build_campaign_task, invite_task, shipments_task


class DecemberCampaignParams(BaseModel):
    year: int | None = Field(
        default=None, ge=2000, le=2100,
        description="Campaign year. Empty: this year, on December's first working day only.",
    )


@flow(name="december-campaign", log_prints=True, **FAILURE_HOOKS)
def december_campaign(params: DecemberCampaignParams | None = None) -> dict:
    params = params or DecemberCampaignParams()
    logger = get_run_logger()
    today = local_today(get_settings().tz)
    year = params.year
    if year is None:
        first = get_calendar().first_working_day(today.year, 12) if today.month == 12 else None
        if today != first:
            logger.info("today %s is not December's first working day: nothing to do", today)
            return {"skipped": f"today {today} is not December's first working day"}
        year = today.year
    built = build_campaign_task(year)
    invited = invite_task(year)
    delivery = deliver_outbox_task()
    publish_table(f"gift-list-{year}", shipments_task(year), f"Gift shipments {year}")
    if built["listed_for_cs"]:
        publish_table(f"campaign-listed-for-cs-{year}", built["listed_for_cs"],
                      f"Customers without a delivered project in service ({year}): CS decides")
    publish_markdown(f"campaign-summary-{year}", _summary(built, invited), f"Campaign {year}")
    logger.info("campaign %s: %d members (%d new), %d invited by this run", year,
                built["members"], built["new_customers"], invited["queued"])
    return {"campaign": {k: v for k, v in built.items() if k != "listed_for_cs"},
            "listed_for_cs": len(built["listed_for_cs"]), "invited": invited,
            "delivery": delivery}


def _summary(built: dict, invited: dict) -> str:
    return (
        f"# December campaign {built['year']}\n\n"
        f"- members: **{built['members']}** ({built['new_customers']} new, "
        f"{built['old_customers']} old); added by this run: {built['created']}\n"
        f"- customers who want no calls (gift and letter only): {built['no_calls']}\n"
        f"- invitations queued by this run: **{invited['queued']}** {invited['skipped']}\n"
        f"- without an e-mail address (phone or letter): {len(built['without_email'])}\n"
        f"- gift list mailed to: {built['gift_list_to']}\n"
        f"- survey closes at the end of {built['closes_on']}\n\n"
        f"## Listed for CS\n\n{markdown_table(built['listed_for_cs'])}"
    )


if __name__ == "__main__":
    december_campaign()
