"""Authentication of the embedded stack, checked before anything starts.

`careops stack up` beyond loopback without an API auth string, or with the SMTP catcher beyond
loopback, stops with one line and exit 2 before it creates its Prefect home; with an auth
string, the server and every child get it in Prefect's variables. (That the server, worker and
clients really use it is proven on the running stack in tests/e2e/test_scheduler.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careops.settings import get_settings
from careops.stack import StackConfig

SECRET = "ops:Auth-s3cret-77c1"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A Prefect home that `stack up` would create first; no auth string configured."""
    for name in (
        "CAREOPS_PREFECT__AUTH_STRING",
        "PREFECT_API_AUTH_STRING",
        "CAREOPS_PREFECT__HOST",
        "CAREOPS_CATCHER__HOST",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAREOPS_PREFECT__HOME", str(tmp_path / "prefect"))
    get_settings.cache_clear()
    yield tmp_path / "prefect"
    get_settings.cache_clear()


def _up(*args: str):
    from careops.cli.main import app

    get_settings.cache_clear()
    return CliRunner().invoke(app, ["stack", "up", "--no-demo", *args])


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_a_server_beyond_loopback_without_an_auth_string_is_refused(home: Path) -> None:
    result = _up("--host", "0.0.0.0")
    assert result.exit_code == 2
    line = _one_line(result)
    assert "'0.0.0.0'" in line and "CAREOPS_PREFECT__AUTH_STRING" in line, line
    assert not home.exists()  # nothing started


def test_the_settings_host_beyond_loopback_is_refused_too(home: Path, monkeypatch) -> None:
    monkeypatch.setenv("CAREOPS_PREFECT__HOST", "10.1.2.3")
    result = _up()
    assert result.exit_code == 2 and "'10.1.2.3'" in _one_line(result)
    assert not home.exists()


def test_a_catcher_beyond_loopback_is_refused_even_with_an_auth_string(
    home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", SECRET)
    monkeypatch.setenv("CAREOPS_CATCHER__HOST", "0.0.0.0")
    result = _up("--host", "0.0.0.0")
    assert result.exit_code == 2
    line = _one_line(result)
    assert "catcher.host '0.0.0.0'" in line and SECRET not in line, line
    assert not home.exists()


def test_with_an_auth_string_the_server_and_every_child_get_it(home: Path, monkeypatch) -> None:
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", SECRET)
    monkeypatch.setenv("CAREOPS_BASE_URL", "http://ops.example.cn:4200")
    get_settings.cache_clear()
    config = StackConfig.from_settings(get_settings(), host="0.0.0.0", demo=False)
    inherited = {"PREFECT_API_KEY": "stray-key", "PREFECT_SERVER_API_AUTH_STRING": "other"}
    env = config.child_env(inherited)
    assert env["PREFECT_SERVER_API_AUTH_STRING"] == env["PREFECT_API_AUTH_STRING"] == SECRET
    assert "PREFECT_API_KEY" not in env  # it would be sent instead of the auth string: 401
    # this machine's clients reach a wildcard bind through loopback; the UI the address people
    # open (base_url)
    assert env["PREFECT_API_URL"] == f"http://127.0.0.1:{config.port}/api"
    assert env["PREFECT_UI_API_URL"] == "http://ops.example.cn:4200/api"
    assert SECRET not in repr(config) + repr(get_settings())


def test_on_loopback_an_auth_string_is_optional(home: Path) -> None:
    config = StackConfig.from_settings(get_settings(), demo=False)
    env = config.child_env({"PREFECT_API_KEY": "k", "PREFECT_SERVER_API_AUTH_STRING": "other"})
    assert not {
        "PREFECT_API_KEY",
        "PREFECT_SERVER_API_AUTH_STRING",
        "PREFECT_API_AUTH_STRING",
    } & set(env)
    assert env["PREFECT_UI_API_URL"] == env["PREFECT_API_URL"]


def test_the_auth_string_comes_from_careops_else_prefect_variable(home: Path, monkeypatch) -> None:
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "prefect:var")
    get_settings.cache_clear()
    assert get_settings().prefect.auth_value() == "prefect:var"
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", SECRET)
    get_settings.cache_clear()
    assert get_settings().prefect.auth_value() == SECRET
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", "  ")  # blank: none
    monkeypatch.delenv("PREFECT_API_AUTH_STRING")
    get_settings.cache_clear()
    assert get_settings().prefect.auth_string is None
