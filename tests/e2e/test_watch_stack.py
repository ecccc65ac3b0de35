"""R3 "I'm on it" through the real path: `careops stack up` (Prefect server + worker + SMTP
catcher + web app) on the real clock, a holiday watch window open now.

A test calendar names today and the next two days (Asia/Shanghai) 国庆节, so the window is open
whatever the date; rounds every minute, an alert at the first failed check. A run of the
holiday-watch deployment watches a loopback site answering 503: the alert reaches the CS person
on duty, whose personal link is followed in headless Chromium without JavaScript (phone width,
both languages) and acknowledged. The database records it "via link", a later round's log in
the run history says no reminders go out for it, and once the site answers 200 again the
recovery notice to the duty person names who acknowledged it. Takes ~2-4 minutes.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from careops.calendar import load_calendar
from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.models.common import Staff
from careops.db.models.staff_actions import StaffAction
from careops.db.models.watch import SiteIncident
from careops.db.uow import UnitOfWork
from careops.rules.holidays import HolidayPeriod, current_or_next
from tests.integration.watch_world import DUTY, DUTY2, build_watch
from tests.support.browser import wait_for_heading, wait_for_text
from tests.support.sites import SiteServer
from tests.support.stack import client_auth, mails, running_stack, wait_for_mail
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
BOUND = 240.0  # seconds: a round a minute, on a loaded 2-core machine
ACKED = "1 acknowledged (no reminders)"


def _holiday_now(tmp_path: Path) -> tuple[Path, HolidayPeriod]:
    """A calendar directory naming today and the next two days 国庆节, and its open period.

    A `YYYY.toml` replaces the holidays package's data for its whole year: this year's real
    National Day is gone, so the period's id (e.g. `2026-national-day`) names ours alone.
    Neighbouring years the package does not publish get an empty file (weekends only)."""
    now = datetime.now(SHANGHAI)
    days = [now.date() + timedelta(days=n) for n in range(3)]
    folder = tmp_path / "calendar"
    folder.mkdir()
    for year in sorted({d.year for d in days}):
        mine = [d for d in days if d.year == year]
        names = "".join(f'{d} = "国庆节"\n' for d in mine)
        (folder / f"{year}.toml").write_text(
            f"days_off = [{', '.join(map(str, mine))}]\nworkdays = []\n\n[names]\n{names}",
            encoding="utf-8")
    calendar = load_calendar(folder)
    for y in range(days[0].year - 1, days[-1].year + 2):
        if not calendar.is_published(y):
            (folder / f"{y}.toml").write_text("days_off = []\nworkdays = []\n", encoding="utf-8")
    period = current_or_next(now, load_calendar(folder), SHANGHAI)
    assert period is not None and period.is_open(now) and not period.provisional, period
    assert period.end - now > timedelta(hours=20), period
    return folder, period


def _duty(day: date) -> str:
    """watch_world's roster: CS2 on odd day numbers, CS3 on even."""
    return DUTY if day.day % 2 else DUTY2


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


async def _start(api_url: str, name: str) -> str:
    """Start a run of deployment `name` (not awaited: a holiday watch lasts its window)."""
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url, auth_string=client_auth()) as client:
        deployment = next(d for d in await client.read_deployments() if d.name == name)
        run = await client.create_flow_run_from_deployment(deployment.id, parameters={})
    return str(run.id)


async def _watch_logs(api_url: str, after: datetime) -> list[str]:
    """The log lines of every holiday-watch flow run (its tasks' included) since `after`."""
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        LogFilter,
        LogFilterFlowRunId,
        LogFilterTimestamp,
    )

    async with PrefectClient(api_url, auth_string=client_auth()) as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["holiday-watch"])))
        logs = await client.read_logs(LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[r.id for r in runs]),
            timestamp=LogFilterTimestamp(after_=after)))
    return [log.message for log in logs]


def _incident(url: str) -> SiteIncident:
    with UnitOfWork(get_engine(url)) as uow:
        incident = uow.session.scalars(select(SiteIncident)).one()
        uow.session.expunge(incident)
        return incident


def _staff_id(url: str, mail: str) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        return uow.session.scalars(select(Staff.id).where(Staff.email == mail)).one()


def _to(message: EmailMessage) -> set[str]:
    return {a.addr_spec for a in message["To"].addresses}


def _alert_link(alert: EmailMessage) -> str:
    html = alert.get_body(preferencelist=("html",)).get_content()
    found = re.search(r'href="(http://[^"]+/staff/alert/[^"]+)"', html)
    return found.group(1) if found else ""


def test_the_duty_person_acknowledges_through_the_stack(tmp_path: Path, browser) -> None:
    calendar, period = _holiday_now(tmp_path)
    url = f"sqlite:///{tmp_path / 'careops.db'}"  # the database running_stack() gives the stack
    upgrade(url)
    site = SiteServer().start()
    site.down = True  # /toggle answers 503 until the test says otherwise
    try:
        build_watch(UnitOfWork(get_engine(url)), urls=[site.url("/toggle")],
                    days=period.window_dates())
        env = {"CAREOPS_CALENDAR_DIR": str(calendar),
               "CAREOPS_HOLIDAY_WATCH__INTERVAL_MINUTES": "1",
               "CAREOPS_HOLIDAY_WATCH__FAILURES_TO_ALERT": "1"}
        with running_stack(tmp_path, "--no-demo", env=env) as stack:
            assert stack.database_url == url
            asyncio.run(_start(stack.api_url, "holiday-watch"))
            alert = wait_for_mail(stack.mail_dir, lambda m: "网站故障告警" in str(m["Subject"])
                                  and _to(m) <= {DUTY, DUTY2}, timeout=BOUND)
            incident = _incident(url)
            assert incident.period_id == period.id
            duty = _duty(_local(incident.alerted_at).date())  # the alerting round's day
            assert _to(alert) == {duty}, (alert["To"], incident.alerted_at)
            link = _alert_link(alert)
            assert link.startswith(f"http://127.0.0.1:{stack.web_port}/"), link

            _acknowledge(browser, link, site.url("/toggle"))
            acked = _incident(url)
            assert acked.acknowledged_at is not None
            at = _local(acked.acknowledged_at)
            assert (acked.acknowledged_by_id, acked.acknowledged_via) == (
                _staff_id(url, duty), "link")
            assert f"您已于 {at:%Y-%m-%d %H:%M} 确认处理" in browser.find_element(
                By.CSS_SELECTOR, "dd.ack").text
            browser.get(f"{link}{'&' if '?' in link else '?'}lang=en")
            wait_for_heading(browser, "Site down: I'm on it")
            assert f"You acknowledged it at {at:%Y-%m-%d %H:%M}" in browser.find_element(
                By.CSS_SELECTOR, "dd.ack").text
            assert not browser.find_elements(By.ID, "ack")
            with UnitOfWork(get_engine(url)) as uow:
                actions = [(a.staff_id, a.subject, a.via)
                           for a in uow.session.scalars(select(StaffAction))]
            assert actions == [(_staff_id(url, duty), f"incident:{incident.id}", "link")]

            # the run history: a round after the acknowledgement holds back the reminders
            wait_until(lambda: any(ACKED in line for line in asyncio.run(
                _watch_logs(stack.api_url, acked.acknowledged_at))),
                f"a holiday-watch round logging {ACKED!r}", timeout=BOUND, interval=2.0,
                detail=lambda: (stack.prefect_home / "worker.log").read_text(
                    errors="replace")[-3000:])
            site.down = False
            recovery = wait_for_mail(stack.mail_dir, lambda m: "网站已恢复" in str(m["Subject"])
                                     and bool({DUTY, DUTY2} & _to(m)), BOUND)
            ended = _incident(url).ended_at
            assert ended is not None
            assert _duty(_local(ended).date()) in _to(recovery)
            by = f"员工{'CS2' if duty == DUTY else 'CS3'}"
            assert f"{by} 已于 {at.year}年{at.month}月{at.day}日 {at:%H:%M} 确认处理" in (
                recovery.get_body(preferencelist=("plain",)).get_content())
            assert not [m["Subject"] for m in mails(stack.mail_dir) if "提醒" in str(m["Subject"])]
    finally:
        site.stop()
    assert "Traceback" not in stack.output


def _acknowledge(browser, link: str, site_url: str) -> None:
    """The alert page in Chromium without JavaScript, at a phone's width: press "I'm on it"."""
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(link)
    wait_for_heading(browser, "网站故障：我来处理")
    assert browser.find_element(By.CSS_SELECTOR, "dd.url").text == site_url
    assert "HTTP 503" in browser.find_element(By.CSS_SELECTOR, "dd.check").text
    assert browser.execute_script(  # fits a phone: nothing wider than the viewport
        "return document.documentElement.scrollWidth <= window.innerWidth")
    browser.find_element(By.ID, "ack").click()
    wait_for_text(browser, "body", "已记录：由您处理")
    assert not browser.find_elements(By.ID, "ack")
