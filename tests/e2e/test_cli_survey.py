"""`careops campaign build`, `careops gifts ...`, `careops survey ...` through CliRunner, on a
frozen day (the campaign day of 2026)."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from typer.testing import CliRunner

from careops.cli import gifts, survey
from careops.cli.common import console
from careops.cli.main import app
from careops.db.uow import UnitOfWork
from tests.integration.survey_world import DAY, survey_world

runner = CliRunner()


@pytest.fixture
def world(sqlite_settings, smtp, monkeypatch):
    monkeypatch.setattr(console, "width", 200)
    for module in (gifts, survey):
        monkeypatch.setattr(module, "local_today", lambda _tz: DAY)
    survey_world(UnitOfWork())


def test_build_export_track_enter_status_summary(world, smtp, tmp_path):
    built = runner.invoke(app, ["campaign", "build", "--year", "2026"])
    assert built.exit_code == 0, built.output
    assert "6 members (1 new, 5 old, 1 without calls)" in built.output
    assert "5 invitations queued" in built.output and "6 mails sent" in built.output
    assert "listed for CS: PENDING" in built.output and "RETIRED" in built.output
    assert "no e-mail address (phone or letter): NOMAIL" in built.output
    head = next(m for m in smtp.messages if m.envelope_to == ["csh@careops.test"])
    assert "礼品发货清单" in head.subject
    sheet = next(p for p in head.message.iter_attachments())
    assert sheet.get_filename() == "gifts-2026.xlsx"
    assert runner.invoke(app, ["campaign", "build", "--year", "2026"]).output.count(
        "0 added") == 1  # a re-run adds nobody and mails nobody again

    out = tmp_path / "gifts.xlsx"
    exported = runner.invoke(app, ["gifts", "export", "--year", "2026", "--out", str(out)])
    assert exported.exit_code == 0 and "6 shipments" in exported.output
    rows = list(openpyxl.load_workbook(io.BytesIO(out.read_bytes())).active.values)
    assert len(rows) == 7 and rows[0][0] == "shipment_code"
    bad_out = runner.invoke(app, ["gifts", "export", "--year", "2026", "--out", "g.csv"])
    assert bad_out.exit_code == 2 and ".xlsx" in bad_out.output

    courier = tmp_path / "courier.csv"
    courier.write_text("shipment_code,tracking_number,status,date\n"
                       "G2026-NEW,SF1,shipped,2026-12-03\n"
                       "G2026-OLD,SF2,returned,2026-12-05\n"
                       "G2026-EN,SF3,gone,2026-12-05\n", encoding="utf-8")
    smtp.clear()
    tracked = runner.invoke(app, ["gifts", "import-tracking", str(courier)])
    assert tracked.exit_code == 1, tracked.output  # a rejected row
    assert re.search(r"\b4\b\W+status 'gone' is not one of", tracked.output)  # row 4
    assert "returned: G2026-OLD" in tracked.output
    assert "2 moved, 0 unchanged, 1 rejected; 1 returned in all" in tracked.output
    assert [m.subject for m in smtp.messages] == ["【新年礼品】2026年有 1 件礼品被退回"]

    entered = runner.invoke(app, ["survey", "enter", "--year", "2026", "--customer", "NOMAIL",
                                  "--channel", "letter", "--by", "韩梅梅", "--need", "website",
                                  "--need", "security", "--budget", "gt500k", "--timing", "q1"])
    assert entered.exit_code == 0 and "revision 1" in entered.output
    refused = runner.invoke(app, ["survey", "enter", "--year", "2026", "--customer", "NOMAIL",
                                  "--by", "韩梅梅", "--need", "spaceships"])
    assert refused.exit_code == 2 and "unknown need" in refused.output
    missing = runner.invoke(app, ["survey", "enter", "--year", "2026", "--customer", "PENDING",
                                  "--by", "韩梅梅"])
    assert missing.exit_code == 2 and "not in the 2026 campaign" in missing.output

    status = runner.invoke(app, ["survey", "status", "--year", "2026"])
    # NOMAIL (never mailed: no address) answered by letter: an answer, not a response
    assert "0 of 5 invited answered (0%); 1 answers in all (1 without invitation)" in \
        status.output, status.output
    assert "1 gifts returned" in status.output

    xlsx = tmp_path / "answers.xlsx"
    summary = runner.invoke(app, ["survey", "summary", "--year", "2026", "--xlsx", str(xlsx)])
    assert summary.exit_code == 0 and "website: 1 customers" in summary.output
    assert list(openpyxl.load_workbook(xlsx).active.values)[1][0] == "NOMAIL"


def test_commands_name_a_missing_campaign(world):
    result = runner.invoke(app, ["gifts", "export", "--year", "2031", "--out", "x.xlsx"])
    assert result.exit_code == 2 and "no campaign for 2031" in result.output
