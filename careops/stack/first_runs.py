"""What a freshly started stack runs once: catch-up wakeups, and on fresh demo data the first
plan-callbacks run and one demo customer's survey page."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from rich.console import Console

from careops.clock import local_today, utcnow
from careops.db.engine import get_engine
from careops.db.uow import UnitOfWork
from careops.stack import prefect_setup
from careops.stack.config import StackConfig


def catch_up(config: StackConfig, console: Console) -> None:
    """fault-watch and case-deadlines runs in a minute: chases and case notices that fell due
    while the stack was down go out.

    Scheduled like every wakeup (careops/wakeups.py), so the first scheduled run of a fresh
    stack completes in the UI within two minutes of the start.
    """
    from careops.clock import utcnow
    from careops.wakeups import schedule_wakeup

    now = utcnow()
    # a minute apart: two flow runs starting together on a fresh SQLite server contend
    for minutes, deployment in (
        (1, "fault-watch/fault-watch"),
        (2, "case-deadlines/case-deadlines"),
    ):
        if schedule_wakeup(
            deployment,
            now + timedelta(minutes=minutes),
            now,
            reason="catch up after the stack started",
            api=config.api_url,
        ):
            name = deployment.split("/")[0]
            console.print(f"  {name} catch-up run scheduled in {minutes} minute(s)")


def first_plan(config: StackConfig, console: Console) -> None:
    """On fresh demo data, run the main job once so there is something to look at."""
    month = local_today(ZoneInfo(config.timezone)).strftime("%Y-%m")
    url = prefect_setup.start_run(
        config, "plan-callbacks/plan-callbacks", {"params": {"month": month}}
    )
    console.print(
        f"  started plan-callbacks for {month} on the demo data: {url}\n"
        f"  (the call lists arrive in {config.mail_dir} in a few seconds)",
        highlight=False,
    )


def survey_demo(config: StackConfig, console: Console) -> None:
    """On fresh demo data: this year's survey campaign, and one customer's page to open."""
    from careops.secrets import web_secret_key
    from careops.services.survey.campaign import demo_survey_link
    from careops.services.survey.links import SurveyLinks
    from careops.settings import get_settings

    settings = get_settings()
    links = SurveyLinks(web_secret_key(settings), config.web_url, settings.survey.link_valid_days)
    found = demo_survey_link(
        UnitOfWork(get_engine(config.database_url)),
        local_today(ZoneInfo(config.timezone)),
        settings.survey,
        links,
        utcnow(),
    )
    if found:
        console.print(
            f"  survey page of demo customer {found[0]}: {found[1]}",
            highlight=False,
            soft_wrap=True,
        )
