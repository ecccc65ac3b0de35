"""`careops simulate` end to end: a month with a holiday window on a small world."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from careops.cli.main import app


def _runs(output: str, process: str) -> int:
    found = re.search(rf"^  {re.escape(process)}\s+(\d+) runs", output, re.MULTILINE)
    assert found, f"{process} missing from:\n{output}"
    return int(found.group(1))


def test_april_on_ten_customers_runs_every_process_and_the_invariants_hold():
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--from",
            "2026-04-01",
            "--to",
            "2026-05-01",
            "--customers",
            "10",
            "--seed",
            "7",
        ],
    )
    out = result.output
    assert result.exit_code == 0, out
    assert "invariants hold" in out
    assert _runs(out, "fault-watch") >= 31 * 24  # hourly, plus its wakeups
    assert _runs(out, "case-deadlines") >= 31 * 3
    assert _runs(out, "deliver-outbox") == 31 * 6
    assert _runs(out, "weekly-reminder") == 23  # Monday to Friday in April 2026, and 1 May
    # April's meetings: Fridays 3, 10, 17, 24 and Thursday 30 (1 May is a holiday)
    assert re.search(r"weekly-compile\s+5 runs\s+compiled 5", out)
    assert re.search(r"close-callback-month\s+2 runs\s+months closed 2", out)  # March, April
    # April; May's first working day is after 1 May
    assert re.search(r"plan-callbacks\s+11 runs\s+months planned 1", out)
    assert re.search(r"holiday-watch round 2026-qingming\s+936 runs", out)
    assert re.search(r"holiday windows: watched 2, rounds \d+, reported 1", out)  # May day open
    assert re.search(r"monthly-report\s+2 runs\s+reports 2", out)  # March (empty) and April
    assert re.search(r"weekly-reminder\s+23 runs\s+idle 18, meetings 5, reminders \d+", out)
    assert "mails received by the SMTP sink: " in out
    assert re.search(r"time: [\d.]+ s for \d+ steps .* anchor: ", out)


def test_a_year_the_calendar_does_not_know_is_refused():
    result = CliRunner().invoke(app, ["simulate", "--year", "2031"])
    assert result.exit_code == 2
    assert "cannot simulate 2031" in result.output


def _without_time(output: str) -> str:
    return re.sub(r"^time: .*$", "", output, flags=re.MULTILINE)


def test_the_same_seed_gives_the_same_run():
    args = ["simulate", "--from", "2026-06-01", "--to", "2026-06-07", "--customers", "5"]
    first, again = (CliRunner().invoke(app, [*args, "--seed", "3"]) for _ in range(2))
    assert first.exit_code == again.exit_code == 0, first.output
    assert _without_time(first.output) == _without_time(again.output)
    assert re.search(r"weekly-compile\s+1 runs\s+compiled 1", first.output)  # Friday 5 June


def test_a_process_left_out_breaks_an_invariant_and_the_exit_status(monkeypatch):
    from careops.simulation import processes

    monkeypatch.delitem(processes.STEPS, "weekly-reminder")  # so nothing compiles the meeting
    result = CliRunner().invoke(
        app, ["simulate", "--from", "2026-06-01", "--to", "2026-06-07", "--customers", "5"]
    )
    assert result.exit_code == 1, result.output
    assert "1 invariant violation(s):\n  - meeting 2026-W23 (2026-06-05) not compiled" in (
        result.output
    )
