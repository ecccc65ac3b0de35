"""`careops fault ...` through typer's CliRunner, against the test database and SMTP server."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from careops.cli.main import app
from careops.db.uow import UnitOfWork
from tests.integration.fault_world import BIZ, CUSTOMER, LEADER, SALES, TS_SUP, build_world

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["fault", *args])


def test_cli_lifecycle(sqlite_settings, smtp):
    build_world(UnitOfWork())
    out = _run("report", "--project", "P-ALPHA", "--symptoms", "首页 502", "--place", "主站",
               "--plan", "切换备用节点", "--by", "李雷", "--occurred-at", "2026-03-16T09:30")
    assert out.exit_code == 0, out.output
    fid = re.search(r"fault (\d+) reported", out.output).group(1)
    assert smtp.to(SALES)
    again = _run("report", "--project", "P-ALPHA", "--symptoms", "首页 502", "--place", "主站",
                 "--plan", "切换备用节点", "--by", "李雷", "--occurred-at", "2026-03-16T09:30")
    assert f"already reported as fault {fid}" in again.output

    refused = _run("resolve", fid, "--resolution", "已恢复", "--by", "李雷")
    assert refused.exit_code == 2 and "not filed yet" in refused.output

    assert _run("file", fid, "--by", "赵经理").exit_code == 0 and smtp.to(LEADER)
    assert _run("update", fid, "--note", "已切换", "--by", "李雷").exit_code == 0
    assert _run("resolve", fid, "--resolution", "已恢复", "--by", "李雷").exit_code == 0
    assert smtp.to(TS_SUP)
    assert "resolved" in _run("list").output
    out = _run("analysis", fid, "--impact", "40 分钟", "--handling", "切换",
               "--root-cause", "连接池", "--corrective", "扩容", "--preventive", "监控",
               "--by", "韩梅梅")
    assert out.exit_code == 0, out.output
    assert smtp.to(CUSTOMER) and smtp.to(BIZ)

    shown = _run("show", fid)
    for step in ("reported", "filed", "update", "resolved", "analysed", "closed", "sent"):
        assert step in shown.output
    assert "Open faults (0)" in _run("list", "--open").output
    assert "Faults (1)" in _run("list", "--all").output


def test_cli_unknown_project_names_close_codes(sqlite_settings):
    build_world(UnitOfWork())
    out = _run("report", "--project", "P-ALPA", "--symptoms", "x", "--place", "y", "--plan", "z",
               "--by", "李雷")
    assert out.exit_code == 2 and "did you mean P-ALPHA" in out.output
    assert _run("show", "99").exit_code == 2


def test_cli_tells_the_reporter_who_could_not_be_reached(sqlite_settings, smtp):
    from sqlalchemy import select

    from careops.db.models.common import Customer, Project

    build_world(UnitOfWork())
    with UnitOfWork() as uow:
        uow.session.scalars(select(Project)).one().sales_id = None
        uow.session.scalars(select(Customer)).one().contact_email = None
        uow.commit()
    out = _run("report", "--project", "P-ALPHA", "--symptoms", "首页 502", "--place", "主站",
               "--plan", "切换", "--by", "李雷", "--severity", "minor")
    assert out.exit_code == 0, out.output
    fid = re.search(r"fault (\d+) reported", out.output).group(1)
    assert "warning" not in out.output  # a minor fault is TS's: no salesperson needed
    out = _run("report", "--project", "P-ALPHA", "--symptoms", "数据库宕机", "--place", "主站",
               "--plan", "切换", "--by", "李雷")
    assert "warning" in out.output and "salesperson: project P-ALPHA names none" in out.output
    assert _run("resolve", fid, "--resolution", "已恢复", "--by", "李雷").exit_code == 0
    out = _run("analysis", fid, "--impact", "40 分钟", "--handling", "切换",
               "--root-cause", "连接池", "--corrective", "扩容", "--preventive", "监控",
               "--by", "韩梅梅")
    assert out.exit_code == 0, out.output
    assert "no e-mail address" in out.output and "not sent to the customer" in out.output
    assert smtp.to(BIZ) and not smtp.to(CUSTOMER)


def test_cli_report_with_smtp_down_exits_1_and_keeps_fault_and_mail(sqlite_settings, monkeypatch):
    """The README's exit status (issue 17): 1 for mail that could not be sent. The fault is
    recorded, its notices wait in the outbox, and a line says they will be retried."""
    from careops.db.models.outbox import OutboxMessage, OutboxStatus
    from careops.settings import get_settings
    from tests.support.smtp import free_port

    build_world(UnitOfWork())
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(free_port()))  # nobody listens there
    get_settings.cache_clear()
    out = _run("report", "--project", "P-ALPHA", "--symptoms", "首页 502", "--place", "主站",
               "--plan", "切换备用节点", "--by", "李雷", "--occurred-at", "2026-03-16T09:30")
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert re.search(r"fault \d+ reported", text) and "0 mail(s) sent" in text
    assert "not sent yet" in text and "kept in the outbox and retried automatically" in text
    assert "unexpected failure" not in text
    with UnitOfWork() as uow:
        statuses = {m.status for m in uow.session.query(OutboxMessage)}
    assert statuses == {OutboxStatus.PENDING}  # queued, to be retried
    assert "Open faults (1)" in _run("list", "--open").output  # list mails nothing: exit 0
