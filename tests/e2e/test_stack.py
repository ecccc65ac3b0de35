"""`careops stack up` end to end: real Prefect server, deploy of prefect.yaml, worker, catcher.

Starts the stack as a subprocess on free ports with a temporary database, PREFECT_HOME and mail
directory, runs the deliver-outbox deployment through the server, then stops the stack with
SIGINT and checks that it exits 0 and leaves no process behind. Takes ~30-60 s.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from careops.settings import PROJECT_ROOT
from careops.stack.processes import descendants, free_port, http_ok
from tests.support.stack import prefect_home_for
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]

READY_TIMEOUT = 600.0  # generous: a loaded 2-core machine (server, deploy, scheduler check)
RUN_TIMEOUT = 300.0  # generous bounds: a loaded 2-core machine
STOP_TIMEOUT = 120.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_ready(proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if "careops stack is up" in text:
            return
        if proc.poll() is not None:
            pytest.fail(f"stack exited with {proc.returncode} before it was up:\n{text}")
        time.sleep(0.5)
    pytest.fail(f"stack not up within {READY_TIMEOUT} s:\n{log.read_text()}")


async def _run_deployment(api_url: str, name: str, auth: str) -> tuple[str, list]:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url, auth_string=auth) as client:
        deployment = next(d for d in await client.read_deployments() if d.name == name)
        run = await client.create_flow_run_from_deployment(deployment.id)
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                break
            await asyncio.sleep(0.5)
        schedules = [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules]
        return (run.state.type.value if run.state else "NONE"), schedules


def _call_list_link_records_a_call(tmp_path: Path, web_port: int, log: Path, browser) -> None:
    """The R1 staff page through the stack, in Chromium: the call list mail in the catcher
    carries a CS person's link to the stack's web app; a call recorded there (a complaint) is in
    the database with its "via link" record, the page reads the same in English, and the next
    mail (the case's, to the caller) follows."""
    import email
    import email.policy
    import sqlite3

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.support.browser import wait_for_text

    link = None
    for eml in sorted((tmp_path / "mail").glob("*.eml")):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        found = re.search(r'href="(http://[^"]+/staff/calls/[^"]+)"',
                          msg.get_body(preferencelist=("html",)).get_content())
        if "回访清单" in str(msg["Subject"]) and found:
            link, caller = found.group(1), str(msg["To"])
            break
    assert link and link.startswith(f"http://127.0.0.1:{web_port}/"), log.read_text()
    cases_before = _case_mails(tmp_path, caller)
    browser.get(link)
    wait_for_text(browser, "#progress", "已完成 0 / ")
    callback_id = re.search(r'action="/staff/calls/[^/"]+/(\d+)"', browser.page_source).group(1)
    row = f"#c{callback_id}"
    browser.find_element(By.CSS_SELECTOR, f"{row} input[value=reached]").click()
    Select(browser.find_element(By.CSS_SELECTOR, f"{row} select")).select_by_value("3")
    browser.find_element(By.CSS_SELECTOR, f"{row} textarea[name=issues]").send_keys("月报导出慢")
    browser.find_element(By.CSS_SELECTOR, f"{row} input[name=complaint]").click()
    browser.find_element(By.CSS_SELECTOR, f"{row} button[type=submit]").click()
    wait_for_text(browser, "#progress", "已完成 1 / ")
    db = sqlite3.connect(tmp_path / "careops.db")
    try:
        assert db.execute("select outcome, satisfaction from callback where id = ?",
                          (callback_id,)).fetchone() == ("reached", 3)
        assert ("callback.record", "link") in db.execute(
            "select action, via from staff_action").fetchall()
    finally:
        db.close()
    browser.find_element(By.LINK_TEXT, "English").click()
    wait_for_text(browser, "#progress", "1 / ")
    assert "My callbacks" in browser.page_source
    wait_until(lambda: _case_mails(tmp_path, caller) > cases_before,
               "the complaint case's mail to the caller",
               detail=lambda: (tmp_path / "mail" / "index.txt").read_text())


def _case_page_takes_a_note(tmp_path: Path, case_id: str, web_port: int, log: Path,
                           browser) -> None:
    """The R6 owner's page through the stack, in Chromium: the intake mail in the catcher
    carries the owner's link; a note added there is in the case's history with its "via link"
    record."""
    import email
    import email.policy
    import sqlite3

    from selenium.webdriver.common.by import By

    from tests.support.browser import wait_for_heading, wait_for_text

    def link() -> str | None:
        for eml in (tmp_path / "mail").glob("*.eml"):
            msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
            found = re.search(r'href="(http://[^"]+/staff/case/[^"]+)"[^>]*>',
                              msg.get_body(preferencelist=("html",)).get_content())
            if found and f"#{case_id} " in str(msg["Subject"]):
                return found.group(1)
        return None

    url = wait_until(link, f"the intake mail of case {case_id} with its owner's link",
                     detail=lambda: log.read_text()[-3000:])
    assert url.startswith(f"http://127.0.0.1:{web_port}/")
    browser.get(url.replace("&amp;", "&"))
    wait_for_text(browser, "#text", "页面打不开")
    browser.find_element(By.ID, "note").send_keys("已远程排查 <b>DNS</b>")
    browser.find_element(By.CSS_SELECTOR, "#form-note button[type=submit]").click()
    wait_for_text(browser, "#notes", "已远程排查 <b>DNS</b>")  # shown as text, never markup
    browser.find_element(By.LINK_TEXT, "English").click()
    wait_for_heading(browser, f"Case #{case_id} · Complaint")
    db = sqlite3.connect(tmp_path / "careops.db")
    try:
        assert db.execute("select action, via from staff_action where subject = ?",
                          (f"case:{case_id}",)).fetchall() == [("case.note", "link")]
    finally:
        db.close()


def _fault_end_recorded_by_link(tmp_path: Path, careops, web_port: int, log: Path,
                                browser) -> None:
    """The R5 page through the stack, in Chromium: a fault reported from the CLI; the notice in
    the catcher carries the TS contact's link to record its end; recorded there, the fault is
    resolved (with its "via link" record) and the next mail, the analysis request, follows."""
    import sqlite3
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from selenium.webdriver.common.by import By

    from tests.support.browser import wait_for_heading

    db = sqlite3.connect(tmp_path / "careops.db")
    project = db.execute("select p.code from project p join staff s on s.id = p.ts_contact_id "
                         "where p.retired_on is null order by p.id limit 1").fetchone()[0]
    db.close()
    shanghai = ZoneInfo("Asia/Shanghai")
    occurred = datetime.now(shanghai) - timedelta(hours=2)
    reported = careops("fault", "report", "--project", project, "--symptoms", "首页 502",
                       "--place", "web01", "--plan", "重启服务", "--by", "值班员",
                       "--severity", "minor", "--occurred-at", occurred.isoformat())
    fault_id = re.search(r"fault (\d+)", reported).group(1)
    url = wait_until(lambda: _mail_link(tmp_path, "/staff/fault/", f"#{fault_id} ",
                                        lambda u: 'name="ended_at"' in _page(u)),
                     f"the notice of fault {fault_id} with the link to record its end",
                     detail=lambda: log.read_text()[-3000:])
    assert url.startswith(f"http://127.0.0.1:{web_port}/")
    browser.get(url)
    wait_for_heading(browser, "登记故障结束")
    ended = browser.find_element(By.ID, "ended_at")  # datetime-local: typed as the UI shows it
    browser.execute_script("arguments[0].value = arguments[1]", ended,
                           (occurred + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    browser.find_element(By.ID, "resolution").send_keys("重启 web01 服务")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_heading(browser, "已登记")
    browser.get(f"{url}{'&' if '?' in url else '?'}lang=en")  # the link again, in English: done
    wait_for_heading(browser, "The fault has ended")
    db = sqlite3.connect(tmp_path / "careops.db")
    try:
        assert db.execute("select state, resolution from fault where id = ?",
                          (fault_id,)).fetchone() == ("resolved", "重启 web01 服务")
        assert db.execute("select action, via from staff_action where subject = ?",
                          (f"fault:{fault_id}",)).fetchall() == [("fault.resolve", "link")]
    finally:
        db.close()
    index = tmp_path / "mail" / "index.txt"
    wait_until(lambda: any(f"故障 #{fault_id} " in line and "【故障分析】" in line
                           for line in index.read_text(encoding="utf-8").splitlines()),
               f"the analysis request of fault {fault_id}",
               detail=lambda: index.read_text(encoding="utf-8")[-3000:])


def _page(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as page:  # noqa: S310 (loopback)
        return page.read().decode()


def _mail_link(tmp_path: Path, path: str, subject: str, wanted) -> str | None:
    """The first link to `path` in a catcher mail whose subject holds `subject` and that
    `wanted(link)` accepts."""
    import email
    import email.policy

    for eml in sorted((tmp_path / "mail").glob("*.eml")):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        if subject not in str(msg["Subject"]):
            continue
        html = msg.get_body(preferencelist=("html",)).get_content()
        for found in re.findall(rf'href="(http://[^"]+{path}[^"]+)"', html):
            if wanted(found):
                return found
    return None


def _case_mails(tmp_path: Path, to: str) -> int:
    """How many "[新事项]" (a case is yours) mails to `to` the catcher holds."""
    index = tmp_path / "mail" / "index.txt"
    lines = index.read_text(encoding="utf-8").splitlines() if index.exists() else []
    return sum(1 for line in lines if "[新事项]" in line and to in line)


def _opinion_link_is_served(tmp_path: Path, env: dict, smtp_port: int, web_port: int,
                            log: Path, browser) -> None:
    """A case answered from the CLI: its mail reaches the catcher and its opinion link is a page
    the stack's web app serves (the real path a customer takes)."""
    import email
    import email.policy
    import sqlite3
    import urllib.request

    db = sqlite3.connect(tmp_path / "careops.db")
    customer = db.execute(
        "select code from customer where contact_email is not null order by id limit 1"
    ).fetchone()[0]
    db.close()
    cli_env = env | {"CAREOPS_SMTP__PORT": str(smtp_port),
                     "CAREOPS_WEB__PUBLIC_URL": f"http://127.0.0.1:{web_port}"}

    def careops(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "careops.cli.main", *args], cwd=PROJECT_ROOT,
                              env=cli_env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    opened = careops("case", "open", "--kind", "complaint", "--text", "页面打不开",
                     "--taken-by", "CS001", "--customer", customer)
    case_id = opened.split()[1]
    _case_page_takes_a_note(tmp_path, case_id, web_port, log, browser)
    careops("case", "result", case_id, "--text", "已修复", "--by", "CS001")
    _fault_end_recorded_by_link(tmp_path, careops, web_port, log, browser)
    link = None
    deadline = time.monotonic() + RUN_TIMEOUT
    while link is None:
        assert time.monotonic() < deadline, log.read_text()
        for eml in (tmp_path / "mail").glob("*.eml"):
            msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain",)).get_content()
            if "/opinion/" in body:
                link = re.search(r"(http://[^\s(]+/opinion/[^\s)\]]+)", body).group(1)
        time.sleep(0.2)
    with urllib.request.urlopen(link, timeout=10) as page:  # noqa: S310 (loopback)
        assert page.status == 200 and "您对处理结果满意吗" in page.read().decode()


@pytest.mark.skipif(
    not (PROJECT_ROOT / "flows" / "deliver_outbox.py").exists(),
    reason="flows/deliver_outbox.py does not exist yet: nothing to deploy and run",
)
def test_stack_up_runs_a_deployment_and_stops_cleanly_on_sigint(tmp_path: Path, browser) -> None:
    prefect_home = prefect_home_for(tmp_path)  # as root: outside pytest's 0700 directories
    port, smtp_port, web_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREOPS_"))}
    env.update(
        CAREOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'careops.db'}",
        CAREOPS_PREFECT__HOME=str(prefect_home),
        CAREOPS_CATCHER__MAIL_DIR=str(tmp_path / "mail"),
        CAREOPS_SECRETS_DIR=str(tmp_path / "secrets"),  # generated there; the CLI reads them
    )
    log = tmp_path / "stack.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from careops.cli.stack import app; app()", "up",
             "--port", str(port), "--smtp-port", str(smtp_port), "--web-port", str(web_port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    children: list[int] = []
    try:
        _wait_for_ready(proc, log)
        assert "demo data seeded" in log.read_text()
        assert f"web app      http://127.0.0.1:{web_port}" in log.read_text()
        assert http_ok(f"http://127.0.0.1:{web_port}/healthz")
        auth = (tmp_path / "secrets" / "prefect_auth_string").read_text().strip()
        # the R6 sweep runs through the real worker too (no case yet: it does nothing)
        state, _ = asyncio.run(
            _run_deployment(f"http://127.0.0.1:{port}/api", "case-deadlines", auth)
        )
        assert state == "COMPLETED", log.read_text()
        state, schedules = asyncio.run(
            _run_deployment(f"http://127.0.0.1:{port}/api", "deliver-outbox", auth)
        )
        assert state == "COMPLETED", log.read_text()
        assert schedules == [("20 */4 * * *", "Asia/Shanghai")]  # the safety sweep
        assert "outbox relay delivering due mail" in log.read_text()
        # the first plan-callbacks run on the fresh demo data mails the call lists to the catcher
        index = tmp_path / "mail" / "index.txt"
        deadline = time.monotonic() + RUN_TIMEOUT
        while "回访清单" not in (index.read_text() if index.exists() else ""):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        assert "started plan-callbacks" in log.read_text()
        survey = re.search(r"survey page of demo customer .*: (http://\S+/survey/\S+)",
                           log.read_text())
        assert survey, log.read_text()  # the R2 page of a demo customer, served by the stack
        page = urllib.request.urlopen(survey.group(1), timeout=10).read().decode()
        assert "需求调查" in page and 'name="csrf_token"' in page
        _opinion_link_is_served(tmp_path, env, smtp_port, web_port, log, browser)
        _call_list_link_records_a_call(tmp_path, web_port, log, browser)
        children = descendants(proc.pid)
        assert len(children) >= 3  # server, relay and worker (and their helpers)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=STOP_TIMEOUT) == 0, log.read_text()
        assert "careops stack stopped" in log.read_text()
        wait_until(  # orphans of killed groups are reaped by init
            lambda: not [pid for pid in children if _alive(pid)],
            "every process of the stack to be gone",
            detail=lambda: f"alive: {[pid for pid in children if _alive(pid)]}",
        )
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in children:
            if _alive(pid):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
        if not prefect_home.is_relative_to(tmp_path):
            shutil.rmtree(prefect_home, ignore_errors=True)
