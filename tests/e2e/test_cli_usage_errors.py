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
