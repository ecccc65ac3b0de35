"""R4 through the real path: `careops stack up` (Prefect server + worker + SMTP catcher).

The reminder's link opens the submit-weekly-report run form of this very server; a run of that
deployment (the UI's form) stores the report; weekly-compile mails it with the chart to the
catcher. Then this week's reminder (the real date: the stack's clock) carries the TS person's
personal link to the stack's web app, followed in headless Chromium in both languages: the
report submitted there is in the database ("via link"), in the compile run's mail and in the
run history. Takes ~60-120 s.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.models.staff_actions import StaffAction
from careops.db.models.weekly import WeeklySubmission
from careops.db.uow import UnitOfWork
from careops.settings import PROJECT_ROOT
from tasks.weekly import schedule_steps
from tests.integration.weekly_world import build_world
from tests.support.browser import wait_for_heading, wait_for_text
from tests.support.stack import client_auth, mails, running_stack, wait_for_mail

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]
RUN_TIMEOUT = 90.0


async def _run(api_url: str, name: str, parameters: dict) -> tuple[str, str, str]:
    """Run deployment `name` through the worker; (final state type, its message, deployment id)."""
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url, auth_string=client_auth()) as client:
        deployment = next(d for d in await client.read_deployments() if d.name == name)
        run = await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run.state.type.value, run.state.message or "", str(deployment.id)
            await asyncio.sleep(0.5)
    return "TIMEOUT", "", str(deployment.id)


async def _expected_starts(api_url: str, runs: dict[str, str | None]) -> dict[str, str]:
    from prefect.client.orchestration import PrefectClient

    out = {}
    async with PrefectClient(api_url, auth_string=client_auth()) as client:
        for run_id in runs.values():
            assert run_id is not None, runs
            run = await client.read_flow_run(run_id)
            deployment = await client.read_deployment(run.deployment_id)
            assert run.state is not None and run.state.is_scheduled()
            out[deployment.name] = run.expected_start_time.isoformat()
    return out


SHANGHAI = ZoneInfo("Asia/Shanghai")
SITUATION = "本周巡检 5 个站点 <script>document.title='pwned'</script>"


def _calendar_dir(tmp_path: Path) -> Path:
    """The project's calendar files, plus an empty one (weekends only) for this year and the
    next where neither the holidays package nor config/calendar publishes them: the stack runs
    on the real date, and this week's meeting must be plannable on any date."""
    from careops.calendar import load_calendar

    folder = tmp_path / "calendar"
    folder.mkdir()
    for path in (PROJECT_ROOT / "config" / "calendar").glob("*.toml"):
        (folder / path.name).write_bytes(path.read_bytes())
    calendar = load_calendar(folder)
    year = datetime.now(SHANGHAI).year
    for y in (year - 1, year, year + 1):
        if not calendar.is_published(y):
            (folder / f"{y}.toml").write_text("days_off = []\nworkdays = []\n", encoding="utf-8")
    return folder


def test_weekly_report_through_the_stack(tmp_path: Path, browser) -> None:
    url = f"sqlite:///{tmp_path / 'careops.db'}"  # the database running_stack() gives the stack
    upgrade(url)
    build_world(UnitOfWork(get_engine(url)))
    calendar = {"CAREOPS_CALENDAR_DIR": str(_calendar_dir(tmp_path))}
    with running_stack(tmp_path, "--no-demo", env=calendar) as stack:
        assert stack.database_url == url
        api, w40 = stack.api_url, {"params": {"week": "2026-W40"}}
        state, _msg, _id = asyncio.run(_run(api, "weekly-reminder", w40))
        assert state == "COMPLETED", stack.output
        reminder = wait_for_mail(stack.mail_dir, lambda m: m["To"] == "ts001@careops.test")
        text = reminder.get_body(preferencelist=("plain",)).get_content()
        form = {"staff_code": "TS001", "service_situation": "巡检 3 个站点，均正常",
                "customer_feedback": "客户希望增加培训", "week": "2026-W40"}
        state, _msg, submit_id = asyncio.run(_run(api, "submit-weekly-report", {"form": form}))
        assert state == "COMPLETED", stack.output
        assert f"http://127.0.0.1:{stack.port}/deployments/deployment/{submit_id}/run" in text
        with UnitOfWork(get_engine(url)) as uow:
            assert uow.session.scalar(select(WeeklySubmission.channel)) == "ui"

        bad = dict(form, staff_code="TS0O1")
        state, message, _id = asyncio.run(_run(api, "submit-weekly-report", {"form": bad}))
        assert state == "FAILED" and "unknown staff code 'TS0O1'" in message

        state, _msg, _id = asyncio.run(_run(api, "weekly-compile", w40))
        assert state == "COMPLETED", stack.output
        report = wait_for_mail(stack.mail_dir, lambda m: "周报汇总" in str(m["Subject"]))
        assert "csh@careops.test" in report["To"]
        assert any(p.get_content_type() == "image/png" for p in report.walk())

        # the meeting day's reminder schedules the nudge and the compile at the exact minute
        first = schedule_steps("2026-W50", api=api)  # meeting Friday 2026-12-11
        assert schedule_steps("2026-W50", api=api) == first  # idempotent per deployment, minute
        starts = asyncio.run(_expected_starts(api, first))
        assert starts == {"weekly-nudge": "2026-12-11T05:00:00+00:00",
                          "weekly-compile": "2026-12-11T06:00:00+00:00"}

        _this_week_by_personal_link(stack, url, browser)
    assert "Traceback" not in stack.output


def _this_week_by_personal_link(stack, url: str, browser) -> None:
    """R4's staff page through the stack, in Chromium: this week's reminder to TS001 links to
    the stack's web app; the report submitted there is stored via link, and the compile run of
    the week mails it."""
    year, number, _day = datetime.now(SHANGHAI).isocalendar()
    week = f"{year}-W{number:02d}"
    api, params = stack.api_url, {"params": {"week": week}}
    earlier = {m["Message-ID"] for m in mails(stack.mail_dir)}
    state, _msg, _id = asyncio.run(_run(api, "weekly-reminder", params))
    assert state == "COMPLETED", stack.output
    reminder = wait_for_mail(stack.mail_dir, lambda m: m["Message-ID"] not in earlier
                             and m["To"] == "ts001@careops.test")
    link = _week_link(reminder)
    assert link.startswith(f"http://127.0.0.1:{stack.web_port}/"), link

    browser.get(link)
    wait_for_heading(browser, f"{week} 周报")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")  # a phone's width
    situation = browser.find_element("id", "situation")
    situation.clear()
    situation.send_keys(SITUATION)
    browser.find_element("id", "feedback").send_keys("客户希望增加一次培训")
    browser.find_element("id", "submit-report").click()
    wait_for_text(browser, "#saved", "已保存第 1 版")
    assert browser.title != "pwned"
    browser.find_element("link text", "English").click()
    wait_for_heading(browser, f"Weekly report {week}")
    assert browser.find_element("id", "situation").get_attribute("value") == SITUATION

    with UnitOfWork(get_engine(url)) as uow:
        submission = uow.session.scalars(
            select(WeeklySubmission).where(WeeklySubmission.situation == SITUATION)).one()
        assert submission.channel == "web"
        assert ("weekly.submit", "link") in {
            (a.action, a.via) for a in uow.session.scalars(select(StaffAction))}
    state, _msg, _id = asyncio.run(_run(api, "weekly-compile", params))
    assert state == "COMPLETED", stack.output  # the run history: the week's compile
    # the week's report mail holds it; on a meeting day past the compile time (the reminder
    # scheduled the compile at once), the page's text is a late addendum, mailed at once
    report = wait_for_mail(stack.mail_dir, lambda m: "csh@careops.test" in str(m["To"])
                           and "本周巡检 5 个站点" in m.get_body(
                               preferencelist=("plain",)).get_content())
    assert "&lt;script&gt;" in report.get_body(preferencelist=("html",)).get_content()


def _week_link(message: EmailMessage) -> str:
    found = re.search(r"(http://[^\s()\[\]]+/staff/weekly/[\w.\-]+)",
                      message.get_body(preferencelist=("plain",)).get_content())
    return found.group(1) if found else ""

