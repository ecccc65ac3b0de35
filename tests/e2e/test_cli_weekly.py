"""`careops preview meetings` and `careops weekly ...` through typer's CliRunner."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from careops.cli.common import console
from careops.cli.main import app
from careops.db.models.weekly import WeeklyAway, WeeklySubmission
from careops.db.uow import UnitOfWork
from tests.integration.weekly_world import CS_HEAD, build_world, email

runner = CliRunner()


def test_preview_meetings_as_json_without_a_database(monkeypatch):
    monkeypatch.setenv("CAREOPS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = runner.invoke(app, ["preview", "meetings", "--from", "2026-01-05",
                                 "--to", "2026-12-27", "--json"])
    assert result.exit_code == 0, result.output
    days = json.loads(result.output)
    assert len(days) == 50 and "2026-09-30" in days and "2026-10-02" not in days
    assert not any("2026-02-16" <= d <= "2026-02-22" for d in days)


def test_preview_meetings_names_an_unpublished_year():
    result = runner.invoke(app, ["preview", "meetings", "--from", "2027-01-04",
                                 "--to", "2027-02-01"])
    assert result.exit_code == 2 and "2027" in result.output and "Traceback" not in result.output


def test_submit_away_compile_show(sqlite_settings, smtp, tmp_path, monkeypatch):
    monkeypatch.setattr(console, "width", 200)
    build_world(UnitOfWork())
    situation, feedback = tmp_path / "s.md", tmp_path / "f.md"
    situation.write_text("本周巡检 3 个站点\n均正常", encoding="utf-8")
    feedback.write_text("客户希望增加培训", encoding="utf-8")
    args = ["weekly", "submit", "--staff", "TS001", "--week", "2026-W40",
            "--situation-file", str(situation), "--feedback-file", str(feedback)]

    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "2026-W40 (meeting 2026-09-30): TS001 submitted, revision 1" in out.output
    assert "unchanged" in runner.invoke(app, args).output
    situation.write_text("本周巡检 4 个站点", encoding="utf-8")
    assert "revision 2" in runner.invoke(app, args).output

    away = runner.invoke(app, ["weekly", "away", "--staff", "TS004", "--week", "2026-W40",
                               "--reason", "出差"])
    assert away.exit_code == 0 and "TS004 away in 2026-W40" in away.output
    sheet = tmp_path / "away.csv"
    sheet.write_text("staff_code,week,reason\nTS002,2026-W40,年假\nCS1,2026-W40,x\n"
                     "TS003,2026-W08,y\n", encoding="utf-8")
    imported = runner.invoke(app, ["weekly", "away", "--file", str(sheet)])
    assert imported.exit_code == 1 and "1 marked, 2 rejected" in imported.output
    assert "row 3: CS1" in imported.output and "row 4: 2026-W08 has no meeting" in imported.output

    compiled = runner.invoke(app, ["weekly", "compile", "--week", "2026-W40"])
    assert compiled.exit_code == 0, compiled.output
    assert "compile: mailed" in compiled.output
    assert "已提交 1/3" in smtp.to(CS_HEAD)[0].subject  # TSH, TS001, TS003; two away
    again = runner.invoke(app, ["weekly", "compile", "--week", "2026-W40"])
    assert "already done" in again.output and len(smtp.to(CS_HEAD)) == 1

    shown = runner.invoke(app, ["weekly", "show", "--week", "2026-W40", "--raw"])
    assert shown.exit_code == 0 and "1 of 3" in shown.output
    assert "本周巡检 4 个站点" in shown.output and "韩梅梅 (TS002)" in shown.output
    assert len(smtp.to(email("TS001"))) == 1
    with UnitOfWork() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WeeklyAway)) == 2


def test_bad_input_is_one_line_and_stores_nothing(sqlite_settings, tmp_path):
    build_world(UnitOfWork())
    good = tmp_path / "ok.md"
    good.write_text("正常", encoding="utf-8")
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    huge = tmp_path / "huge.md"
    huge.write_text("字" * 20_001, encoding="utf-8")
    binary = tmp_path / "bin.md"
    binary.write_bytes(b"\xff\xfe\x00bad")
    cases = [
        (["--staff", "NOPE", "--situation-file", good], "unknown staff code 'NOPE'"),
        (["--staff", "CS1", "--situation-file", good], "is in CS, not TS"),
        (["--staff", "TS9", "--situation-file", good], "not an active staff member"),
        (["--staff", "TS001", "--week", "2026-W08", "--situation-file", good],
         "2026-W08 has no meeting"),
        (["--staff", "TS001", "--week", "2027-W10", "--situation-file", good],
         "calendar for 2027 is not published"),
        (["--staff", "TS001", "--situation-file", empty], "situation is empty"),
        (["--staff", "TS001", "--situation-file", huge], "20001 characters long"),
        (["--staff", "TS001", "--situation-file", tmp_path / "none.md"], "does not exist"),
        (["--staff", "TS001", "--situation-file", binary], "is not UTF-8 text"),
    ]
    for extra, error in cases:
        args = ["weekly", "submit", "--week", "2026-W40", "--feedback-file", str(good)]
        args += [str(x) for x in extra]
        out = runner.invoke(app, args)
        assert out.exit_code == 2, (extra, out.output)
        assert error in " ".join(out.output.split()), out.output
        assert "Traceback" not in out.output
    with UnitOfWork() as uow:
        assert uow.session.scalar(select(func.count()).select_from(WeeklySubmission)) == 0


def test_help_lists_the_weekly_commands():
    out = runner.invoke(app, ["weekly", "--help"])
    for command in ("submit", "away", "show", "remind", "nudge", "compile"):
        assert command in out.output
    assert "meetings" in runner.invoke(app, ["preview", "--help"]).output
