"""`careops doctor` where things are broken: each check names its fault, exit 1, valid JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from careops.cli.main import app
from careops.stack.processes import free_port

runner = CliRunner()


def _no_prefect_api(monkeypatch) -> None:
    """Point the doctor at a port nobody listens on (a session's Prefect test harness, when
    running, overrides PREFECT_API_URL from the environment)."""
    import careops.wakeups

    dead = f"http://127.0.0.1:{free_port()}/api"
    monkeypatch.setattr(careops.wakeups, "api_url", lambda: dead)


def test_doctor_without_prefect_or_smtp_names_each_fault(sqlite_settings, monkeypatch) -> None:
    _no_prefect_api(monkeypatch)
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(free_port()))
    from careops.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(result.output)["checks"]}
    assert checks["database"]["status"] == "ok"  # migrated by the fixture
    assert checks["outbox"]["status"] == "ok"
    assert checks["smtp"]["status"] == "fail" and "unreachable" in checks["smtp"]["detail"]
    assert checks["prefect api"]["status"] == "fail"
    assert checks["worker"]["detail"] == "not checked: no Prefect API"


def test_doctor_names_an_unmigrated_database(tmp_path, monkeypatch) -> None:
    from careops.settings import get_settings

    monkeypatch.setenv("CAREOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    _no_prefect_api(monkeypatch)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["doctor"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "careops db upgrade" in " ".join(result.output.split())
