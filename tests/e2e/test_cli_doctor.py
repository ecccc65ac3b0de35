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
    assert checks["web secret key"]["status"] == "ok"  # the session's generated key
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


def _database(monkeypatch, url: str, tmp_path) -> None:
    from careops import bootstrap
    from careops.settings import get_settings

    monkeypatch.setenv("CAREOPS_DATABASE_URL", url)
    monkeypatch.setenv("CAREOPS_LOG_DIR", str(tmp_path / "log"))
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(free_port()))
    _no_prefect_api(monkeypatch)
    get_settings.cache_clear()
    bootstrap.reset()


def _database_check(monkeypatch) -> str:
    from careops.settings import get_settings

    try:
        result = runner.invoke(app, ["doctor", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(result.output)["checks"]}
    assert checks["database"]["status"] == "fail"
    return checks["database"]["detail"]


def test_doctor_shows_the_database_servers_reason(monkeypatch, tmp_path) -> None:
    """Issue 17: "role nobody does not exist" was only in the log; the row said nothing."""
    import os

    import pytest

    if not os.environ.get("CAREOPS_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("needs the test PostgreSQL server (CAREOPS_TEST_DATABASE_URL)")
    _database(monkeypatch, "postgresql://nobody:s3cret-pw@127.0.0.1:5432/test", tmp_path)
    detail = _database_check(monkeypatch)
    assert 'role "nobody" does not exist' in detail
    assert "nobody:***@127.0.0.1:5432/test" in detail and "s3cret-pw" not in detail


def test_doctor_and_commands_name_a_database_path_under_a_file(monkeypatch, tmp_path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    database = tmp_path / "afile" / "careops.db"
    _database(monkeypatch, f"sqlite:///{database}", tmp_path)
    detail = _database_check(monkeypatch)
    assert f"{tmp_path / 'afile'} is a file, not a directory" in detail
    assert "check the path" not in detail
    listed = runner.invoke(app, ["outbox", "list"])
    assert listed.exit_code == 3, listed.output
    assert f"{tmp_path / 'afile'} is a file, not a directory" in " ".join(listed.output.split())


def test_doctor_names_a_read_only_database_directory(monkeypatch, tmp_path) -> None:
    import os

    import pytest

    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: chmod 555 does not stop root's writes (and a "
                        "read-only mount needs privileges the tests do not take)")
        _database(monkeypatch, f"sqlite:///{folder / 'careops.db'}", tmp_path)
        detail = _database_check(monkeypatch)
        assert f"the directory {folder} is read-only" in detail
    finally:
        folder.chmod(0o755)
