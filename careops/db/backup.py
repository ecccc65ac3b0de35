"""Back up and restore the careops database: `careops db backup FILE`, `careops db restore FILE`.

- SQLite: the online backup API (`sqlite3.Connection.backup`), consistent while flows write;
  the file is a plain SQLite database.
- PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists --no-owner`
  (the client tools of the server's major version or newer must be on PATH). The password
  goes to them in PGPASSWORD, never on a command line another user could read.

A restore replaces everything in the target database. A file of the other backend, or no
backup at all, is refused before anything is touched. After a restore the schema revision is
read, so an older backup is named with the hint to run `careops db upgrade`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from careops.db.engine import get_engine, normalise_url
from careops.errors import CareopsError

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"


class BackupError(CareopsError):
    """A backup or restore could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    revision: str | None  # the schema revision (alembic) of what was written or restored


def backup(url: str, path: Path) -> BackupResult:
    """Write a consistent copy of the database at `url` to `path` (replaced if it exists)."""
    parsed = make_url(normalise_url(url))
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path}: is a directory, not a backup file to write")
    if not path.parent.is_dir():
        raise BackupError(f"{path}: the folder {path.parent} does not exist")
    revision = schema_revision(url)
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(parsed)
        partial = path.with_name(path.name + ".partial")
        try:
            with closing(_sqlite(source)) as src, closing(sqlite3.connect(partial)) as dst:
                src.backup(dst)
            partial.replace(path)
        except (sqlite3.Error, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"cannot back up {source} to {path}: {exc}") from None
    else:
        _pg_tool("pg_dump", parsed, ["--format=custom", "--no-owner", f"--file={path}"])
    return BackupResult(path, path.stat().st_size, revision)


def restore(url: str, path: Path) -> BackupResult:
    """Replace the database at `url` with the backup in `path`."""
    parsed = make_url(normalise_url(url))
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    with path.open("rb") as handle:
        head = handle.read(16)
    sqlite_target = parsed.get_backend_name() == "sqlite"
    if sqlite_target and not head.startswith(_SQLITE_MAGIC):
        raise BackupError(f"{path} is not a SQLite backup (made by `careops db backup` on SQLite)")
    if not sqlite_target and not head.startswith(_PGDUMP_MAGIC):
        raise BackupError(f"{path} is not a PostgreSQL backup (pg_dump --format=custom)")
    get_engine(url).dispose()  # no pooled connection keeps the old contents
    if sqlite_target:
        target = _sqlite_path(parsed)
        try:
            with (
                closing(_sqlite(path, readonly=True)) as src,
                closing(sqlite3.connect(target)) as dst,
            ):
                src.backup(dst)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot restore {path} into {target}: {exc}") from None
    else:
        _pg_tool("pg_restore", parsed, ["--clean", "--if-exists", "--no-owner",
                                        "--single-transaction", str(path)], database_arg=True)
    return BackupResult(path, path.stat().st_size, schema_revision(url))


def schema_revision(url: str) -> str | None:
    """The alembic revision the database is at (None: not migrated)."""
    engine = get_engine(url)
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 - no alembic_version table: never migrated
            return None


def _sqlite_path(parsed: URL) -> str:
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return database


def _sqlite(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly or str(path).startswith("file:"):
        uri = str(path) if str(path).startswith("file:") else f"file:{path}?mode=ro"
        return sqlite3.connect(uri, uri=True)
    if not Path(path).is_file():
        raise BackupError(f"{path}: the SQLite database does not exist")
    return sqlite3.connect(path)


def _pg_tool(tool: str, parsed: URL, args: list[str], *, database_arg: bool = False) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    libpq = parsed.set(drivername="postgresql", password=None).render_as_string()
    argv = [executable, *args[:-1], f"--dbname={libpq}", args[-1]] if database_arg else [
        executable, f"--dbname={libpq}", *args]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise BackupError(f"{tool} failed (exit {result.returncode}): {detail}")
