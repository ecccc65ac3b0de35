"""`careops stack up` end to end: real Prefect server, deploy of prefect.yaml, worker, catcher.

Starts the stack as a subprocess on free ports with a temporary database, PREFECT_HOME and mail
directory, runs the deliver-outbox deployment through the server, then stops the stack with
SIGINT and checks that it exits 0 and leaves no process behind. Takes ~30-60 s.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from careops.settings import PROJECT_ROOT
from careops.stack.processes import descendants, free_port, http_ok

pytestmark = pytest.mark.e2e

READY_TIMEOUT = 180.0  # a loaded 2-core machine: server ~50 s, deploy ~30 s, scheduler check
RUN_TIMEOUT = 45.0
STOP_TIMEOUT = 45.0


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


async def _run_deployment(api_url: str, name: str) -> tuple[str, list]:
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url) as client:
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


def _opinion_link_is_served(tmp_path: Path, env: dict, smtp_port: int, web_port: int,
                            log: Path) -> None:
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
                              env=cli_env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    opened = careops("case", "open", "--kind", "complaint", "--text", "页面打不开",
                     "--taken-by", "CS001", "--customer", customer)
    case_id = opened.split()[1]
    careops("case", "result", case_id, "--text", "已修复", "--by", "CS001")
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
def test_stack_up_runs_a_deployment_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    port, smtp_port, web_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREOPS_"))}
    env.update(
        CAREOPS_DATABASE_URL=f"sqlite:///{tmp_path / 'careops.db'}",
        CAREOPS_PREFECT__HOME=str(tmp_path / "prefect"),
        CAREOPS_CATCHER__MAIL_DIR=str(tmp_path / "mail"),
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
        # the R6 sweep runs through the real worker too (no case yet: it does nothing)
        state, _ = asyncio.run(
            _run_deployment(f"http://127.0.0.1:{port}/api", "case-deadlines")
        )
        assert state == "COMPLETED", log.read_text()
        state, schedules = asyncio.run(
            _run_deployment(f"http://127.0.0.1:{port}/api", "deliver-outbox")
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
        _opinion_link_is_served(tmp_path, env, smtp_port, web_port, log)
        children = descendants(proc.pid)
        assert len(children) >= 3  # server, relay and worker (and their helpers)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=STOP_TIMEOUT) == 0, log.read_text()
        assert "careops stack stopped" in log.read_text()
        time.sleep(0.5)  # orphans of killed groups are reaped by init
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in children:
            if _alive(pid):
                os.killpg(os.getpgid(pid), signal.SIGKILL)
