"""`careops preview callbacks` and `careops callbacks ...` through typer's CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from typer.testing import CliRunner

from careops.cli.common import console
from careops.cli.main import app
from careops.db.uow import UnitOfWork
from tests.support.factories import World

runner = CliRunner()


def test_preview_prints_r1_due_dates_as_json():
    result = runner.invoke(app, ["preview", "callbacks", "--delivered", "2025-01-31",
                                 "--from", "2026-01-01", "--to", "2026-12-31", "--json"])
    assert result.exit_code == 0, result.output
    # 2025-01-31 + 12 months = 2026-01-31 (Sat) → Mon 2 Feb; then quarterly from +15 months:
    # 30 Apr, 31 Jul, 31 Oct (Sat) → … National Day is over, but 31 Oct is a Saturday → 2 Nov
    assert json.loads(result.output) == ["2026-02-02", "2026-04-30", "2026-07-31", "2026-11-02"]


def test_preview_names_an_unpublished_year():
    result = runner.invoke(app, ["preview", "callbacks", "--delivered", "2026-06-01",
                                 "--from", "2027-01-01", "--to", "2027-12-31", "--json"])
    assert result.exit_code == 2
    assert "2027" in result.output and "config/calendar/2027.toml" in result.output


def test_plan_list_record_close(sqlite_settings, smtp, monkeypatch):
    monkeypatch.setattr(console, "width", 200)  # a wide terminal: no cropped cells
    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1", name="华东电气有限公司"), date(2026, 1, 14))

    planned = runner.invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    assert planned.exit_code == 0, planned.output
    assert "1 created" in planned.output and "1 mails sent" in planned.output

    listed = runner.invoke(app, ["callbacks", "list", "--month", "2026-02"])
    assert listed.exit_code == 0 and "华东电气有限公司" in listed.output and "open" in listed.output

    recorded = runner.invoke(app, ["callbacks", "record", "--project", "A", "--month", "2026-02",
                                   "--outcome", "reached", "--satisfaction", "4", "--by", "李雷"])
    assert recorded.exit_code == 0 and "recorded: reached" in recorded.output

    refused = runner.invoke(app, ["callbacks", "record", "--project", "A", "--month", "2026-02",
                                  "--outcome", "declined"])
    assert refused.exit_code == 2 and "already recorded as reached" in refused.output

    closed = runner.invoke(app, ["callbacks", "close", "--month", "2026-02"])
    assert closed.exit_code == 0 and "done 1, missed 0" in closed.output


def test_unknown_project_is_a_clear_error(sqlite_settings):
    result = runner.invoke(app, ["callbacks", "record", "--project", "NOPE", "--outcome",
                                 "reached"])
    assert result.exit_code == 2 and "unknown project 'NOPE'" in result.output


def test_unreachable_smtp_keeps_the_plan_and_warns(sqlite_settings, monkeypatch):
    from careops.settings import get_settings
    from tests.support.smtp import free_port

    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(free_port()))  # nobody listens there
    get_settings.cache_clear()
    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))

    result = runner.invoke(app, ["callbacks", "plan", "--month", "2026-02"])

    assert result.exit_code == 1, result.output  # planned, but its mail waits (README)
    assert "1 created" in result.output and "0 mails sent" in result.output
    text = " ".join(result.output.split())
    assert "unreachable" in text and "kept in the outbox and retried automatically with " in text
    assert "backoff until 20" in text and "(Asia/Shanghai); see `careops outbox list`" in text


def test_preview_with_from_after_to_is_an_error():
    result = runner.invoke(app, ["preview", "callbacks", "--delivered", "2025-01-31",
                                 "--from", "2026-12-31", "--to", "2026-01-01", "--json"])
    assert result.exit_code == 2
    assert "--from 2026-12-31 is later than --to 2026-01-01" in result.output


def test_record_by_project_after_a_closed_month_and_a_retry(sqlite_settings, smtp, monkeypatch):
    monkeypatch.setattr(console, "width", 200)
    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    for month in ("2026-02", "2026-05"):
        assert runner.invoke(app, ["callbacks", "plan", "--month", month]).exit_code == 0
    assert runner.invoke(app, ["callbacks", "close", "--month", "2026-02"]).exit_code == 0

    tried = runner.invoke(app, ["callbacks", "record", "--project", "A",
                                "--outcome", "not_reached"])
    assert tried.exit_code == 0, tried.output
    assert "2026-05" in tried.output and "attempt 1" in tried.output
    reached = runner.invoke(app, ["callbacks", "record", "--project", "A",
                                  "--outcome", "reached", "--satisfaction", "5"])
    assert reached.exit_code == 0 and "attempt 2" in reached.output

    closed = runner.invoke(app, ["callbacks", "record", "--project", "A", "--month", "2026-02",
                                 "--outcome", "reached"])
    assert closed.exit_code == 2 and "2026-02 is closed" in closed.output
    feb = closed.output.split("give --id ")[1].split()[0]
    late = runner.invoke(app, ["callbacks", "record", "--id", feb, "--outcome", "reached"])
    assert late.exit_code == 0 and "recorded late: 2026-02 was closed on" in late.output

    history = runner.invoke(app, ["callbacks", "show", "--id", feb])
    assert history.exit_code == 0 and "late" in history.output and "reached" in history.output

    replan = runner.invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    assert replan.exit_code == 2 and "2026-02 was closed on" in replan.output


def test_record_refusals_and_warnings_read_clearly(sqlite_settings, smtp, monkeypatch):
    import careops.cli.callbacks as module

    monkeypatch.setattr(console, "width", 200)
    world = World(UnitOfWork())
    world.staff("CS1")
    world.project("A", world.customer("C1"), date(2026, 1, 14))
    assert runner.invoke(app, ["callbacks", "plan", "--month", "2026-05"]).exit_code == 0
    monkeypatch.setattr(module, "utcnow", lambda: datetime(2026, 2, 10, 3, 0, tzinfo=UTC))

    scored = runner.invoke(app, ["callbacks", "record", "--project", "A",
                                 "--outcome", "not_reached", "--satisfaction", "3"])
    assert scored.exit_code == 2 and "satisfaction" in scored.output

    early = runner.invoke(app, ["callbacks", "record", "--project", "A", "--outcome", "reached",
                                "--by", "李雷"])
    assert early.exit_code == 0 and "warning" in early.output and "due 2026-05-14" in early.output

    again = runner.invoke(app, ["callbacks", "record", "--project", "A", "--month", "2026-05",
                                "--outcome", "declined"])
    assert again.exit_code == 2 and "2026-02-10 11:00" in again.output
    assert "Z" not in again.output.replace("ZoneInfo", "")
    callback_id = again.output.split("callback ")[1].split()[0]
    shown = runner.invoke(app, ["callbacks", "show", "--id", callback_id])
    assert shown.exit_code == 0 and "2026-02-10 11:00" in shown.output and "李雷" in shown.output
