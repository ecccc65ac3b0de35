"""`careops db backup` / `restore`: a round trip on SQLite (online backup) and PostgreSQL
(pg_dump / pg_restore), and the refusals that protect a database from the wrong file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from careops.cli.main import app
from careops.db.migrate import head_revision
from careops.db.models.common import Customer, Project, Staff
from careops.db.uow import UnitOfWork
from tests.support.factories import World

runner = CliRunner()


def _counts(uow: UnitOfWork) -> tuple[int, int, int]:
    with uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(m))
                     for m in (Staff, Customer, Project))  # type: ignore[return-value]


def test_backup_then_restore_brings_the_data_back(settings, uow, tmp_path: Path) -> None:
    world = World(uow)
    world.staff("CS1")
    world.project("A", world.customer("C1", name="华信科技"), date(2026, 1, 14))
    before = _counts(uow)
    backup = tmp_path / "careops.backup"

    made = runner.invoke(app, ["db", "backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert f"schema {head_revision()}" in made.output and backup.stat().st_size > 0

    world.staff("CS2")  # changed after the backup: the restore takes it back
    refused = runner.invoke(app, ["db", "restore", str(backup)])
    assert refused.exit_code == 2 and "add --yes" in refused.output
    assert _counts(uow) == (before[0] + 1, *before[1:])

    restored = runner.invoke(app, ["db", "restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _counts(uow) == before
    with uow:
        assert uow.session.scalar(select(Customer.name)) == "华信科技"
    assert "run `careops db upgrade`" not in restored.output


def test_a_file_of_the_other_kind_is_refused_before_anything_changes(
    settings, uow, tmp_path: Path
) -> None:
    World(uow).staff("CS1")
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup", encoding="utf-8")
    result = runner.invoke(app, ["db", "restore", str(bogus), "--yes"])
    assert result.exit_code == 2
    assert "is not a" in result.output and "backup" in result.output
    assert _counts(uow)[0] == 1
    missing = runner.invoke(app, ["db", "restore", str(tmp_path / "nope"), "--yes"])
    assert missing.exit_code == 2 and "no such backup file" in missing.output


def test_backup_into_a_missing_folder_names_it(settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "backup", str(tmp_path / "absent" / "b.db")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_postgres_backup_keeps_the_password_off_the_command_line(monkeypatch):
    """pg_dump gets the password in PGPASSWORD; argv never holds it."""
    import subprocess

    from careops.db import backup as module

    seen: dict = {}

    def fake_run(argv, env, **_kw):
        seen.update(argv=argv, env=env)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(module.subprocess, "run", fake_run)
    url = "postgresql://careops:s3cret-pw@127.0.0.1:5432/careops"
    module._pg_tool("pg_dump", module.make_url(module.normalise_url(url)), ["--file=x"])
    assert "s3cret-pw" not in " ".join(seen["argv"])
    assert seen["env"]["PGPASSWORD"] == "s3cret-pw"
