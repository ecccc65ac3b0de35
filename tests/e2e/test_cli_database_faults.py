"""Database faults on the command line: one line naming the fault, exit 3, no personal data;
the traceback goes to the CLI's log file (issue 13, defect 5)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, event, text
from typer.testing import CliRunner

from careops import bootstrap
from careops.cli.main import app
from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.uow import UnitOfWork
from careops.settings import get_settings
from tests.support.factories import World

CUSTOMER = "华东电气有限公司"


def _world(url: str) -> None:
    world = World(UnitOfWork(get_engine(url)))
    world.staff("CS1")
    for n in range(3):
        world.project(f"P{n}", world.customer(f"C{n}", name=f"{CUSTOMER}{n}"), date(2026, 1, 14))


def _point_at(monkeypatch, url: str, tmp_path) -> None:
    monkeypatch.setenv("CAREOPS_DATABASE_URL", url)
    monkeypatch.setenv("CAREOPS_LOG_DIR", str(tmp_path / "log"))
    get_settings.cache_clear()
    bootstrap.reset()


def _assert_one_clear_line(result, fault: str, tmp_path) -> str:
    assert result.exit_code == 3, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: database fault: "), result.output
    assert fault in lines[0]
    assert CUSTOMER not in result.output and "13912345678" not in result.output
    assert "Traceback" not in result.output and "[SQL" not in result.output
    log = tmp_path / "log" / "careops-cli.log"
    assert str(log) in lines[0]
    detail = log.read_text(encoding="utf-8")
    assert "Traceback" in detail and CUSTOMER not in detail  # parameters hidden
    return detail


def test_a_read_only_sqlite_file(tmp_path, monkeypatch, smtp):
    path = tmp_path / "careops.db"
    upgrade(f"sqlite:///{path}")
    _world(f"sqlite:///{path}")
    get_engine(f"sqlite:///{path}").dispose()
    _point_at(monkeypatch, f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    try:
        result = CliRunner().invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    finally:
        get_settings.cache_clear()
    _assert_one_clear_line(result, "the database is read-only", tmp_path)


def test_a_postgresql_backend_terminated_mid_plan(settings, tmp_path, monkeypatch):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL backend")
    _world(settings.database_url)
    monkeypatch.setenv("CAREOPS_LOG_DIR", str(tmp_path / "log"))
    get_settings.cache_clear()
    engine = get_engine(settings.database_url)
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    killed: list[int] = []

    def terminate(conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().startswith("INSERT INTO callback") and not killed:
            killed.append(conn.connection.dbapi_connection.info.backend_pid)
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed[0]})

    event.listen(engine, "before_cursor_execute", terminate)
    try:
        result = CliRunner().invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    finally:
        event.remove(engine, "before_cursor_execute", terminate)
        admin.dispose()
    assert killed
    _assert_one_clear_line(result, "the connection to the database was lost", tmp_path)
    again = CliRunner().invoke(app, ["callbacks", "plan", "--month", "2026-02"])
    assert again.exit_code == 0 and "3 created" in again.output  # nothing was half-written
