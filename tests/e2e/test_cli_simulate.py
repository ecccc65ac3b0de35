"""`careops simulate` end to end: a month with a holiday window on a small world."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from careops.cli.main import app


def _runs(output: str, process: str) -> int:
    found = re.search(rf"^  {re.escape(process)}\s+(\d+) runs", output, re.MULTILINE)
    assert found, f"{process} missing from:\n{output}"
    return int(found.group(1))


def test_july_on_ten_customers_runs_every_process_and_the_invariants_hold():
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--from",
            "2026-07-01",
            "--to",
            "2026-08-01",
            "--customers",
            "10",
            "--seed",
            "7",
        ],
    )
    out = result.output
    assert result.exit_code == 0, out
    assert "invariants hold" in out
    assert _runs(out, "fault-watch") >= 32 * 24  # hourly, plus its wakeups
    assert _runs(out, "case-deadlines") >= 32 * 3
    assert _runs(out, "deliver-outbox") == 32 * 6
    assert re.search(r"weekly-reminder\s+23 runs\s+idle 18, meetings 5, reminders \d+", out)
    assert re.search(r"weekly-compile\s+5 runs\s+compiled 5", out)  # Fridays 3, 10, 17, 24, 31
    assert re.search(r"close-callback-month\s+2 runs\s+months closed 2", out)  # June, July
    # July; August's first working day (Monday 3 August) is after the span
    assert re.search(r"plan-callbacks\s+11 runs\s+months planned 1", out)
    assert re.search(r"monthly-report\s+2 runs\s+reports 2", out)  # June (empty) and July
    closed = re.search(
        r"close-callback-month\s+2 runs\s+months closed 2, planned (\d+), "
        r"done (\d+)(?:, missed (\d+))?",
        out,
    )
    planned, done, missed = (int(n or 0) for n in closed.groups())
    assert 0 < done + missed <= planned  # July's callbacks end done or missed
    assert re.search(r"people: callbacks\s+\d+ runs\s+reached \d+", out)
    assert "holiday windows: watched 0" in out  # none in July
    assert "mails received by the SMTP sink: " in out
    assert re.search(r"time: [\d.]+ s for \d+ steps .* anchor: ", out)


def test_the_qingming_window_is_watched_round_by_round_and_reported():
    result = CliRunner().invoke(
        app, ["simulate", "--from", "2026-03-30", "--to", "2026-04-07", "--customers", "5"]
    )
    out = result.output
    assert result.exit_code == 0, out
    assert re.search(r"holiday-watch round 2026-qingming\s+936 runs\s+rounds 936", out)
    assert re.search(r"holiday-watch\s+\d+ runs\s+.*readiness checks 1", out)  # 31 March
    assert "holiday windows: watched 1, rounds 936, reported 1" in out
    assert re.search(r"watch_alert \d+", out) and "watch_report 1" in out
    assert re.search(r"weekly-compile\s+1 runs\s+compiled 1", out)  # Friday 3 April


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


def test_runs_waiting_for_an_unpublished_calendar_year_are_listed_apart():
    result = CliRunner().invoke(
        app, ["simulate", "--from", "2026-12-28", "--to", "2026-12-31", "--customers", "5"]
    )
    assert result.exit_code == 0, result.output  # not an invariant: ops must publish 2027
    assert (
        "4 run(s) failed waiting for an unpublished calendar year" in result.output
        and "  - weekly-reminder at 2026-12-28 09:30: needs 2027" in result.output
    )
    # R3 is not blind meanwhile: New Year 2027's provisional window opens on 31 December 18:00
    assert re.search(r"holiday-watch round 2027-new-year\s+72 runs\s+rounds 72", result.output)
    assert "holiday windows: watched 1, rounds 72" in result.output


def test_a_week_on_postgresql(postgres_url):
    """--database-url: an empty PostgreSQL database (the fixture's, emptied)."""
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-07",
            "--customers",
            "5",
            "--database-url",
            postgres_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "invariants hold" in result.output
    assert postgres_url not in result.output


def test_a_database_holding_data_is_refused(sqlite_only_url):
    from careops.db.engine import get_engine
    from careops.db.uow import UnitOfWork
    from tests.support.factories import World

    World(UnitOfWork(get_engine(sqlite_only_url))).customer("C1")
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-01",
            "--database-url",
            sqlite_only_url,
        ],
    )
    assert result.exit_code == 2
    assert "the simulation database is not empty: give an empty one" in result.output
