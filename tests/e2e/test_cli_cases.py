"""`careops case ...` and `careops preview deadline` through typer's CliRunner."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from careops.cli.main import app
from careops.db.uow import UnitOfWork
from tests.integration.case_world import (
    CUSTOMER,
    LATE_DECEMBER,
    OTHER,
    build_world,
    open_callback,
)

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "due"),
    [
        (["--kind", "complaint", "--received", "2026-09-30T16:00:00+08:00"],
         "2026-10-11T00:00:00+08:00"),
        (["--kind", "complaint", "--received", "2026-09-30T16:00", "--special"],
         "2026-10-16T00:00:00+08:00"),
        (["--kind", "consultation", "--received", "2026-09-30T08:00:00Z"],
         "2026-10-01T16:00:00+08:00"),
        (["--kind", "suggestion", "--received", "2026-10-03T10:00"],
         "2026-10-14T00:00:00+08:00"),  # 8, 9, Sat 10, 12, 13
    ],
)
def test_preview_deadline_json(args, due):
    out = runner.invoke(app, ["preview", "deadline", *args, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"due": due}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "complaint", "--received", "2026-12-30T10:00"], "2027 is not published"),
        (["--kind", "consultation", "--received", "2026-09-30", "--special"],
         "only a complaint can be special"),
        (["--kind", "complaint", "--received", "yesterday"], "is not a time"),
    ],
)
def test_preview_deadline_errors(args, message):
    out = runner.invoke(app, ["preview", "deadline", *args, "--json"])
    assert out.exit_code == 2 and message in " ".join(out.output.split())


def test_cli_case_lifecycle(sqlite_settings, smtp):
    build_world(UnitOfWork())
    out = runner.invoke(app, ["case", "open", "--kind", "complaint", "--text", "页面白屏",
                              "--taken-by", "CS1", "--project", "P-ALPHA"])
    assert out.exit_code == 0, out.output
    cid = re.search(r"case (\d+) opened", out.output).group(1)
    for args in (["contact", cid, "--details", "客户又来电", "--by", "王芳"],
                 ["note", cid, "--text", "已转技术部", "--by", "王芳"],
                 ["department", cid, "--name", "TS", "--by", "王芳"],
                 ["handover", cid, "--to", "CS2", "--reason", "出差", "--by", "王芳"],
                 ["result", cid, "--text", "已修复", "--by", "刘洋"]):
        done = runner.invoke(app, ["case", *args])
        assert done.exit_code == 0, done.output
    assert smtp.to(OTHER) and smtp.to(CUSTOMER)
    shown = runner.invoke(app, ["case", "show", cid]).output
    for step in ("intake", "contact", "note", "department", "handover", "result"):
        assert step in shown
    assert "Open cases (1)" in runner.invoke(app, ["case", "list"]).output
    bad = runner.invoke(app, ["case", "open", "--kind", "suggestion", "--text", "x",
                              "--taken-by", "CS1", "--customer", "C9"])
    assert bad.exit_code == 2 and "unknown customer 'C9'" in bad.output


def test_a_callback_recorded_as_a_complaint_opens_its_case_once(sqlite_settings, smtp):
    from careops.services.cases.queries import show_case
    from tests.integration.case_world import SH

    ids = build_world(UnitOfWork())
    cb_id = open_callback(UnitOfWork(), ids)
    args = ["callbacks", "record", "--id", str(cb_id), "--outcome", "reached",
            "--satisfaction", "2", "--issues", "售后响应太慢", "--by", "王芳", "--complaint"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    case_id = int(re.search(r"complaint case (\d+) opened", out.output).group(1))
    again = runner.invoke(app, args)
    assert f"complaint case {case_id} already open" in again.output, again.output
    from careops.clock import utcnow

    view = show_case(UnitOfWork(), case_id, SH, utcnow())
    assert (view.callback_id, view.kind, view.owner_code) == (cb_id, "complaint", "CS1")
    bad = runner.invoke(app, ["callbacks", "record", "--id", str(cb_id), "--outcome", "reached",
                              "--complaint"])
    assert bad.exit_code == 2 and "--complaint needs --issues" in bad.output


def test_open_with_a_deadline_in_an_unpublished_year_keeps_the_case(
    sqlite_settings, smtp, tmp_path, monkeypatch, time_machine
):
    from careops import bootstrap
    from careops.settings import get_settings

    time_machine.move_to(LATE_DECEMBER, tick=True)  # taken before the promised 2027-01-05

    monkeypatch.setenv("CAREOPS_CALENDAR_DIR", str(tmp_path))  # no 2027.toml here
    get_settings.cache_clear()
    bootstrap.reset()
    build_world(UnitOfWork())
    out = runner.invoke(app, ["case", "open", "--kind", "suggestion", "--text", "希望增加英文版",
                              "--taken-by", "CS1", "--customer", "C1", "--promised", "2027-01-05"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "due pending (calendar 2027 not published)" in text
    assert "warning:" in text and "config/calendar/2027.toml" in text
    assert smtp.to("ops@careops.local")
    cid = re.search(r"case (\d+) opened", out.output).group(1)
    assert "pending (calendar 2027" in runner.invoke(app, ["case", "show", cid]).output
    preview = runner.invoke(app, ["preview", "deadline", "--kind", "complaint", "--received",
                                  "2026-12-29T10:00"])  # a preview stores nothing: an error
    assert preview.exit_code == 2 and "2027" in preview.output
