"""The server's scheduler, proven on the real stack (`careops stack up`: server, worker, relay).

No green unit test can show that scheduled runs fire: with SQLAlchemy 2.1 the server's
scheduler failed every loop while everything else passed. These tests ask the running stack:
every scheduled deployment of prefect.yaml has upcoming runs from the scheduler; a schedule a
minute ahead produces a run the worker completes; due mail leaves through the relay with no
flow run; a reported fault schedules its chase as one exact-time fault-watch run; and the
server log holds no error. One stack for the module (~3 minutes).

The stack requires a Prefect API auth string (on loopback too): an unauthenticated request gets
401, and everything else here passes only because the server, the deploy, the scheduler check,
the worker and its flow runs, careops's wakeups, `careops doctor` and this test process (as a
user would: CAREOPS_PREFECT__AUTH_STRING in the environment) send it. The last test searches
everything the stack wrote for the auth string.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from careops import outbox
from careops.db.engine import get_engine
from careops.db.uow import UnitOfWork
from careops.settings import PROJECT_ROOT
from careops.stack.prefect_setup import planned_deployments, with_client
from careops.stack.scheduler_check import scheduled_run_counts, scheduler_errors, service_errors
from tests.support.secrets import AUTH_SECRET
from tests.support.stack import RunningStack, stack_with_auth_string
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]

RUN_TIMEOUT = 240.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The stack with an API auth string; this process's careops clients send it (env)."""
    with stack_with_auth_string(tmp_path_factory.mktemp("stack")) as up:
        yield up


def _get(url: str, auth: str | None = None) -> tuple[int, bytes]:
    import base64
    import urllib.error
    import urllib.request

    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_api_requires_the_auth_string_and_the_ui_asks_for_it(stack: RunningStack) -> None:
    import json

    version = f"{stack.api_url}/admin/version"
    assert _get(version)[0] == 401
    assert _get(version, "careops-ops:wrong")[0] == 401
    assert _get(version, AUTH_SECRET)[0] == 200
    assert _get(f"{stack.api_url}/health")[0] == 200  # open: probes and the stack's start
    # The UI's page loads without the string; its settings tell it to ask for it (a login)
    ui = f"http://127.0.0.1:{stack.port}"
    status, page = _get(f"{ui}/")
    assert status == 200 and b"<html" in page.lower()
    status, body = _get(f"{ui}/ui-settings")
    assert status == 200 and json.loads(body)["auth"] == "BASIC", body


def _runs(api_url: str, deployment: str):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    async def read(client):
        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])),
            limit=200,
        )

    return with_client(api_url, read)


async def _run_to_end(client, stack: RunningStack, deployment: str, parameters: dict):
    """Start a run of `deployment` (as the UI's form does) and wait until the worker ends it."""
    found = await client.read_deployment_by_name(deployment)
    run = await client.create_flow_run_from_deployment(found.id, parameters=parameters)
    deadline = time.monotonic() + RUN_TIMEOUT
    while not (run.state and run.state.is_final()):
        assert time.monotonic() < deadline, stack.output
        await asyncio.sleep(1)
        run = await client.read_flow_run(run.id)
    return run


def test_the_prefect_ui_asks_for_the_auth_string_then_shows_the_deployments(
    stack: RunningStack, browser
) -> None:
    """Prefect 3.8's UI (V2) opens on a login page; with the string it reads the API."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    ui = f"http://127.0.0.1:{stack.port}"
    wait = WebDriverWait(browser, 60)
    browser.set_window_size(1280, 900)  # ops use the UI on a desktop
    browser.get(f"{ui}/")
    field = wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "input[type=password]"))[0]
    assert "/login" in browser.current_url
    field.send_keys(AUTH_SECRET, Keys.ENTER)
    wait.until(lambda b: "/login" not in b.current_url)
    browser.get(f"{ui}/v2/deployments")  # sorted by name, the first page
    first = min(p.name for p in planned_deployments(PROJECT_ROOT))
    wait.until(lambda b: first in b.find_element(By.TAG_NAME, "body").text)


def test_every_scheduled_deployment_gets_upcoming_runs(stack: RunningStack) -> None:
    now = datetime.now(UTC)  # a yearly run months away has no upcoming run yet
    scheduled = [p.name for p in planned_deployments(PROJECT_ROOT)
                 if p.schedules and p.fires_within(now)]
    assert {"plan-callbacks", "close-callback-month", "deliver-outbox", "fault-watch",
            "holiday-watch"} <= set(scheduled)
    counts = scheduled_run_counts(stack.api_url, scheduled)
    assert {name: counts.get(name, 0) > 0 for name in scheduled} == dict.fromkeys(scheduled, True)
    assert "scheduler works" in stack.output


def test_a_schedule_a_minute_ahead_fires_and_the_worker_completes_the_run(
    stack: RunningStack,
) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    # The server's scheduler loop runs every 60 s and schedules from "now": a fire time 90-150 s
    # ahead is always seen by a loop before it passes, even on a loaded machine.
    fire = (datetime.now(UTC) + timedelta(seconds=150)).replace(second=0, microsecond=0)

    async def add_schedule(client):
        deployment = await client.read_deployment_by_name("deliver-outbox/deliver-outbox")
        schedule = CronSchedule(cron=f"{fire.minute} {fire.hour} * * *", timezone="UTC")
        (created,) = await client.create_deployment_schedules(deployment.id, [(schedule, True)])
        return deployment.id, created.id

    async def remove_schedule(client):  # leave the deployment as prefect.yaml declares it
        await client.delete_deployment_schedule(*added)

    added = with_client(stack.api_url, add_schedule)
    deadline = time.monotonic() + (fire - datetime.now(UTC)).total_seconds() + RUN_TIMEOUT
    try:
        while True:
            runs = [
                r for r in _runs(stack.api_url, "deliver-outbox")
                if r.auto_scheduled and r.expected_start_time == fire
            ]  # fmt: skip
            if runs and runs[0].state is not None and runs[0].state.is_final():
                break
            assert time.monotonic() < deadline, f"no run done at {fire}: {runs}\n{stack.output}"
            time.sleep(2)
    finally:  # the later tests (doctor) compare the deployments with prefect.yaml
        with_client(stack.api_url, remove_schedule)
    assert runs[0].state.is_completed(), runs[0].state
    assert len(runs) == 1


def test_the_catch_up_run_of_a_fresh_stack_completed(stack: RunningStack) -> None:
    """What a new user sees within minutes: a scheduled fault-watch run that ran."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        done = [
            r for r in _runs(stack.api_url, "fault-watch")
            if r.name.startswith("wakeup") and r.state is not None and r.state.is_final()
        ]  # fmt: skip
        if done:
            break
        assert time.monotonic() < deadline, stack.output
        time.sleep(2)
    assert done[0].state.is_completed(), done[0].state
    assert "fault-watch catch-up run scheduled" in stack.output
    # the R6 case notices catch up the same way
    assert "case-deadlines catch-up run scheduled" in stack.output
    while True:
        cases = [r for r in _runs(stack.api_url, "case-deadlines")
                 if r.name.startswith("wakeup") and r.state is not None and r.state.is_final()]
        if cases:
            break
        assert time.monotonic() < deadline, stack.output
        time.sleep(2)
    assert cases[0].state.is_completed(), cases[0].state


def _ad_hoc_runs(api_url: str, deployment: str) -> set[str]:
    """Runs of `deployment` that its schedule did not create (the server's scheduler keeps
    adding upcoming runs of the 4-hourly sweep while a test waits)."""
    return {str(r.id) for r in _runs(api_url, deployment) if not r.auto_scheduled}


def test_due_mail_leaves_through_the_relay_without_a_flow_run(stack: RunningStack) -> None:
    runs_before = _ad_hoc_runs(stack.api_url, "deliver-outbox")
    message = EmailMessage()
    message["From"] = "careops@careops.local"
    message["To"] = "someone@careops.local"
    message["Subject"] = "relay check"
    message["Message-ID"] = make_msgid(domain="careops.local")
    message.set_content("delivered by the relay")
    uow = UnitOfWork(get_engine(stack.database_url))
    with uow:
        outbox.enqueue(uow.session, key="relay-check", category="test",
                       recipients=["someone@careops.local"], message=message)
        uow.commit()
    index = stack.mail_dir / "index.txt"
    wait_until(lambda: "relay check" in (index.read_text(encoding="utf-8")
                                         if index.exists() else ""),
               "the relay's delivery of the due mail to the catcher",
               detail=lambda: (stack.prefect_home / "relay.log").read_text())
    assert _ad_hoc_runs(stack.api_url, "deliver-outbox") == runs_before


def test_a_reported_fault_schedules_one_exact_time_chase(stack: RunningStack) -> None:
    from careops.demo import seed_demo

    seed_demo(UnitOfWork(get_engine(stack.database_url)), today=datetime.now(UTC).date())
    occurred = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    params = {"params": {
        "project_code": "P00001", "occurred_at": occurred.isoformat(), "place": "机房 A",
        "symptoms": "网站无法访问", "handling_plan": "切换备用线路", "severity": "major",
        "reporter": "CS001", "report_key": "scheduler-e2e",
    }}  # fmt: skip

    async def report(client):
        return await _run_to_end(client, stack, "report-fault/report-fault", params)

    for _ in range(2):  # the same report twice: one fault, one wakeup
        assert with_client(stack.api_url, report).state.is_completed()
    wakeups = [
        r for r in _runs(stack.api_url, "fault-watch")
        if r.name.startswith("wakeup") and r.state is not None and r.state.is_scheduled()
        and r.expected_start_time > datetime.now(UTC) + timedelta(minutes=20)
    ]  # fmt: skip
    assert len(wakeups) == 1, wakeups
    # the chase is due 30 minutes after the report (faults.file_within_minutes)
    assert timedelta(minutes=29) < wakeups[0].expected_start_time - datetime.now(UTC) < timedelta(
        minutes=31
    )


def test_doctor_on_the_running_stack_names_only_what_is_wrong(stack: RunningStack) -> None:
    """`careops doctor --json` against the stack: all green but the unpublished 2027 calendar."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREOPS_"))}
    # Prefect's own client variables, as on an ops machine; a stray API key is not sent
    env.update(CAREOPS_DATABASE_URL=stack.database_url, CAREOPS_SMTP__PORT=str(stack.smtp_port),
               PREFECT_API_URL=stack.api_url, PREFECT_API_AUTH_STRING=AUTH_SECRET,
               PREFECT_API_KEY="stray-cloud-key",
               CAREOPS_SECRETS_DIR=str(stack.secrets_dir))  # the stack's generated web key
    result = subprocess.run(
        [sys.executable, "-m", "careops.cli.main", "doctor", "--json"], cwd=PROJECT_ROOT,
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    report = json.loads(result.stdout)
    status = {c["name"]: c["status"] for c in report["checks"]}
    failing = {name for name, s in status.items() if s == "fail"}
    today = datetime.now(UTC).date()
    calendar_known = today + timedelta(days=90) < datetime(2027, 1, 1).date() and today.month < 11
    assert failing == (set() if calendar_known else {"calendar"}), report
    assert result.returncode == (0 if calendar_known else 1)
    for name in ("database", "smtp", "prefect api", "deployments", "worker", "last runs"):
        assert status[name] == "ok", report
    assert "1 online" in next(c["detail"] for c in report["checks"] if c["name"] == "worker")


def test_the_doctor_deployment_runs_on_the_worker_and_mails_ops(stack: RunningStack) -> None:
    """The scheduled doctor as its 07:30 run would: Completed, named by what it found, and
    (2027 unpublished from October on) one mail to ops in the catcher; a second run none."""
    import email
    import email.policy

    async def run(client):
        return await _run_to_end(client, stack, "doctor/doctor", {})

    def doctor_mails() -> list[str]:
        subjects = [str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                        ["Subject"]) for p in stack.mail_dir.glob("*.eml")]
        return [s for s in subjects if "careops 体检" in s]

    today = datetime.now(UTC).date()
    calendar_known = today + timedelta(days=90) < datetime(2027, 1, 1).date() and today.month < 11
    first = with_client(stack.api_url, run)
    assert first.state.type.value == "COMPLETED", first.state
    assert first.state.name == ("Healthy" if calendar_known else "Problems found"), first.state
    if calendar_known:
        assert doctor_mails() == []
        return
    assert first.state.message.startswith("1 problem(s): calendar"), first.state.message
    deadline = time.monotonic() + 30
    while not doctor_mails() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(doctor_mails()) == 1 and "工作日历" in doctor_mails()[0]
    second = with_client(stack.api_url, run)
    assert second.state.name == "Problems found" and "told earlier today" in second.state.message
    assert len(doctor_mails()) == 1


def test_check_sites_runs_through_the_worker_and_the_watch_wakeups_work(
    stack: RunningStack,
) -> None:
    """R3 on the real stack: a check-sites run (the UI's path) against loopback sites, and
    the holiday watch's wakeup and dead man's switch (schedule, then delete) on the server."""
    from sqlalchemy import select

    from careops.db.models.watch import SiteCheck
    from careops.wakeups import cancel_wakeup, schedule_wakeup
    from tests.integration.watch_world import build_watch
    from tests.support.sites import SiteServer, refusing_url

    web = SiteServer().start()
    engine = get_engine(stack.database_url)
    try:
        build_watch(UnitOfWork(engine), urls=[web.url("/ok"), refusing_url()])

        async def check(client):
            return await _run_to_end(client, stack, "check-sites/check-sites",
                                     {"params": {"sites": []}})

        assert with_client(stack.api_url, check).state.is_completed()
    finally:
        web.stop()
    with engine.connect() as conn:
        oks = sorted(conn.scalars(select(SiteCheck.ok)).all())
    assert oks == [False, True]
    at = datetime.now(UTC) + timedelta(days=30)
    run_id = schedule_wakeup("holiday-watch/holiday-watch", at, datetime.now(UTC),
                             reason="test", api=stack.api_url)
    assert run_id is not None
    assert schedule_wakeup("holiday-watch/holiday-watch", at, datetime.now(UTC),
                           reason="test", api=stack.api_url) == run_id  # idempotent
    assert cancel_wakeup(run_id, api=stack.api_url) is True
    assert [r for r in _runs(stack.api_url, "holiday-watch") if str(r.id) == run_id] == []


def test_the_server_log_has_no_scheduler_error(stack: RunningStack) -> None:
    log = Path(stack.prefect_home / "server.log").read_text(encoding="utf-8", errors="replace")
    assert scheduler_errors(service_errors(log)) == []


def test_nothing_the_stack_wrote_holds_the_auth_string(stack: RunningStack) -> None:
    """Console output, var/prefect (server, worker, deploy, relay and web logs; Prefect's
    database), careops's database, the mail; the runs' parameters, logs and artifacts."""
    from tests.support.secrets import assert_clean, assert_files_clean, prefect_writings

    assert "careops stack is up" in stack.output
    # the configured auth string, and the web key the stack generated beside it
    generated = [stack.secrets_dir]
    assert not (stack.secrets_dir / "prefect_auth_string").exists()  # configured: not made
    assert "UI login     the configured API auth string" in stack.output
    assert_clean(stack.output, "careops stack up's console", generated)
    # stack.out, careops.db, logs, prefect.db ... (not the generated secrets' own files)
    assert assert_files_clean(stack.root, generated) >= 6
    runs, text = prefect_writings(stack.api_url)
    assert runs > 0 and text
    assert_clean(text, "the stack's flow runs, logs and artifacts", generated)
