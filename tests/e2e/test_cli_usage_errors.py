"""A mistyped command line is bad input like any other: exit 2 with the option named.

typer parses with its own copy of click, whose usage errors are not `click.ClickException`s;
the top-level group once took them for crashes ("unexpected failure (MissingParameter)", exit 1).
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from careops.cli.main import app


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["preview", "callbacks", "--from", "2026-12-01", "--to", "2026-12-31"], "--delivered"),
        (["preview", "callbacks", "--delivered", "1.1.2026", "--from", "2026-12-01",
          "--to", "2026-12-31"], "--delivered"),
        (["outbox", "list", "--limit", "0"], "--limit"),
        (["callbacks", "plan", "--bogus"], "--bogus"),
    ],
)
def test_a_usage_error_exits_2_naming_the_option(args: list[str], named: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "unexpected failure" not in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["callbacks", "plan", "--month", "0000-01"], "'0000-01'"),
        (["callbacks", "list", "--month", "9999-12"], "'9999-12'"),
        (["report", "monthly", "--month", "9999-12"], "'9999-12'"),
        (["report", "monthly", "--month", "0000-01"], "'0000-01'"),
        (["preview", "holiday-windows", "--year", "0"], "--year"),
        (["preview", "holiday-windows", "--year", "10000"], "--year"),
        (["campaign", "build", "--year", "0"], "--year"),  # once: year 0 built this year's
        (["survey", "status", "--year", "10000"], "--year"),
        (["preview", "callbacks", "--delivered", "9999-12-31", "--from", "2026-12-01",
          "--to", "2026-12-31"], "--delivered"),
        (["preview", "callbacks", "--delivered", "2026-01-14", "--from", "2026-12-01",
          "--to", "9999-12-31"], "--to"),
        (["preview", "deadline", "--kind", "complaint", "--received",
          "9999-12-31T23:00+08:00"], "--received '9999-12-31T23:00+08:00'"),
        (["preview", "deadline", "--kind", "suggestion", "--received", "2026-12-01T10:00",
          "--promised", "9999-12-31"], "--promised '9999-12-31'"),
        (["case", "open", "--kind", "consultation", "--text", "t", "--taken-by", "CS1",
          "--received", "0001-01-01T00:00"], "--received '0001-01-01T00:00'"),
        (["fault", "report", "--project", "P", "--symptoms", "s", "--place", "p", "--plan", "x",
          "--by", "TS1", "--occurred-at", "9999-12-31T23:00+08:00"], "--occurred-at"),
        (["simulate", "--from", "9999-12-30", "--to", "9999-12-31"], "--from '9999-12-30'"),
    ],
)
def test_a_date_out_of_range_exits_2_naming_the_input(sqlite_settings, args, named) -> None:
    """Years careops cannot compute with (issue 17): a clear line, not "unexpected failure"."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert named in " ".join(result.output.split())
    assert "unexpected failure" not in result.output
    assert "out of range" in result.output or "Input should be" in result.output
