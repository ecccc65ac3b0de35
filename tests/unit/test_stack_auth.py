"""Authentication of the embedded stack, checked before anything starts.

`careops stack up` always gives its Prefect server an API auth string: the configured one, else
the one it generated on its first start (careops.secrets, var/secrets/prefect_auth_string), so
`--host` beyond loopback is authenticated too. The SMTP catcher beyond loopback stops it with
one line and exit 2 before it creates anything; a server beyond loopback without any auth
string (only possible without `stack up`'s generation, e.g. `stack status`) is refused the same
way. The server and every child get the string in Prefect's variables. (That the server,
worker and clients really use it is proven on running stacks: tests/e2e/test_scheduler.py with
a configured string, tests/e2e/test_stack_secrets.py with the generated one.)
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
    monkeypatch.setenv("CAREOPS_SECRETS_DIR", str(tmp_path / "secrets"))
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


def test_beyond_loopback_stack_up_uses_its_generated_auth_string(home: Path) -> None:
    config = StackConfig.from_settings(get_settings(), host="0.0.0.0", demo=False,
                                       generate_secrets=True)
    generated = (home.parent / "secrets" / "prefect_auth_string").read_text().strip()
    assert config.auth_file == home.parent / "secrets" / "prefect_auth_string"
    env = config.child_env({})
    assert env["PREFECT_SERVER_API_AUTH_STRING"] == env["PREFECT_API_AUTH_STRING"] == generated
    assert env["CAREOPS_SECRETS_DIR"] == str(home.parent / "secrets")  # children read the key
    assert generated not in repr(config)


def test_without_generation_a_server_beyond_loopback_needs_an_auth_string(home: Path) -> None:
    from careops.errors import StackError

    with pytest.raises(StackError, match="'10.1.2.3'.*CAREOPS_PREFECT__AUTH_STRING"):
        StackConfig.from_settings(get_settings(), host="10.1.2.3", demo=False)
    assert not (home.parent / "secrets").exists()


def test_a_catcher_beyond_loopback_is_refused_even_with_an_auth_string(
    home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", SECRET)
    monkeypatch.setenv("CAREOPS_CATCHER__HOST", "0.0.0.0")
    result = _up("--host", "0.0.0.0")
    assert result.exit_code == 2
    line = _one_line(result)
    assert "catcher.host '0.0.0.0'" in line and SECRET not in line, line
    assert not home.exists() and not (home.parent / "secrets").exists()  # nothing made


def test_stack_up_refuses_the_shipped_web_key_before_anything_starts(home, monkeypatch) -> None:
    monkeypatch.setenv("CAREOPS_WEB__SECRET_KEY", "careops-dev-secret-change-me")
    result = _up()
    assert result.exit_code == 2
    line = _one_line(result)
    assert "web.secret_key" in line and "CAREOPS_WEB__SECRET_KEY" in line, line
    assert "careops-dev-secret-change-me" not in line
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


def test_on_loopback_stack_up_requires_an_auth_string_too(home: Path) -> None:
    """Generated on the first start, reused by the next; `stack status` reads it."""
    inherited = {"PREFECT_API_KEY": "k", "PREFECT_SERVER_API_AUTH_STRING": "other"}
    first = StackConfig.from_settings(get_settings(), demo=False, generate_secrets=True)
    env = first.child_env(inherited)
    generated = env["PREFECT_SERVER_API_AUTH_STRING"]
    assert generated.startswith("careops:") and env["PREFECT_API_AUTH_STRING"] == generated
    assert "PREFECT_API_KEY" not in env and env["PREFECT_UI_API_URL"] == env["PREFECT_API_URL"]
    again = StackConfig.from_settings(get_settings(), demo=False, generate_secrets=True)
    assert again.child_env({})["PREFECT_SERVER_API_AUTH_STRING"] == generated
    status = StackConfig.from_settings(get_settings())  # careops stack status
    assert status.auth_string is not None
    assert status.auth_string.get_secret_value() == generated


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
