"""R4 through the real path: `careops stack up` (Prefect server + worker + SMTP catcher).

The reminder's link opens the submit-weekly-report run form of this very server; a run of that
deployment (the UI's form) stores the report; weekly-compile mails it with the chart to the
catcher. Takes ~60 s.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.uow import UnitOfWork
from careops.db.weekly_models import WeeklySubmission
from careops.settings import PROJECT_ROOT
from careops.stack.processes import free_port
from tests.e2e.test_stack import STOP_TIMEOUT, _wait_for_ready
from tests.integration.weekly_world import build_world

pytestmark = pytest.mark.e2e
RUN_TIMEOUT = 90.0


async def _run(api_url: str, name: str, parameters: dict) -> tuple[str, str, str]:
    """Run deployment `name` through the worker; (final state type, its message, deployment id)."""
    from prefect.client.orchestration import PrefectClient

    async with PrefectClient(api_url) as client:
        deployment = next(d for d in await client.read_deployments() if d.name == name)
        run = await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run.state.type.value, run.state.message or "", str(deployment.id)
            await asyncio.sleep(0.5)
    return "TIMEOUT", "", str(deployment.id)


def _mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(mail_dir.glob("*.eml"))]


def test_weekly_report_through_the_stack(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'careops.db'}"
    upgrade(url)
    build_world(UnitOfWork(get_engine(url)))
    port, smtp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CAREOPS_"))}
    env.update(CAREOPS_DATABASE_URL=url, CAREOPS_PREFECT__HOME=str(tmp_path / "prefect"),
               CAREOPS_CATCHER__MAIL_DIR=str(tmp_path / "mail"))
    log = tmp_path / "stack.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from careops.cli.stack import app; app()", "up", "--no-demo",
             "--port", str(port), "--smtp-port", str(smtp_port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_for_ready(proc, log)
        w40 = {"params": {"week": "2026-W40"}}
        state, _msg, _id = asyncio.run(_run(api, "weekly-reminder", w40))
        assert state == "COMPLETED", log.read_text()
        reminder = next(m for m in _mails(tmp_path / "mail") if m["To"] == "ts001@careops.test")
        text = reminder.get_body(preferencelist=("plain",)).get_content()
        form = {"staff_code": "TS001", "service_situation": "巡检 3 个站点，均正常",
                "customer_feedback": "客户希望增加培训", "week": "2026-W40"}
        state, _msg, submit_id = asyncio.run(_run(api, "submit-weekly-report", {"form": form}))
        assert state == "COMPLETED", log.read_text()
        assert f"http://127.0.0.1:{port}/deployments/deployment/{submit_id}/run" in text
        with UnitOfWork(get_engine(url)) as uow:
            assert uow.session.scalar(select(WeeklySubmission.channel)) == "ui"

        bad = dict(form, staff_code="TS0O1")
        state, message, _id = asyncio.run(_run(api, "submit-weekly-report", {"form": bad}))
        assert state == "FAILED" and "unknown staff code 'TS0O1'" in message

        state, _msg, _id = asyncio.run(_run(api, "weekly-compile", w40))
        assert state == "COMPLETED", log.read_text()
        report = next(m for m in _mails(tmp_path / "mail") if "周报汇总" in str(m["Subject"]))
        assert "csh@careops.test" in report["To"]
        assert any(p.get_content_type() == "image/png" for p in report.walk())
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=STOP_TIMEOUT) == 0, log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
