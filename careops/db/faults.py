"""Name a database fault in words a person can act on, without its SQL or bound parameters.

`describe_fault(exc)` returns one line (read-only database, disk full, connection lost, locked,
cannot connect ...) for SQLAlchemy / DBAPI errors of SQLite and PostgreSQL, None for anything
else. The engines run with `hide_parameters=True` too, so even a full traceback in a log never
holds the rows (customer names, phones, rendered mails) a statement was writing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

# (SQLSTATE prefix or exact code, words) — PostgreSQL
_SQLSTATES = [
    ("25006", "the database is read-only (a read-only transaction or a standby server)"),
    ("53100", "the database server's disk is full"),
    ("53", "the database server is out of resources (memory, connections or disk)"),
    ("57P01", "the connection to the database was lost (the server ended it)"),
    ("57P", "the connection to the database was lost (the server is shutting down)"),
    ("08", "the connection to the database was lost or could not be opened"),
    ("55P03", "the database is locked (a lock could not be obtained)"),
    ("40P01", "the database detected a deadlock; run the command again"),
    ("40001", "a concurrent change conflicted; run the command again"),
    ("28", "the database refused the login (check the user and password of the URL)"),
    ("3D000", "the database does not exist"),
    ("42P01", "the database schema is missing or old: run `careops db upgrade`"),
]
# (text in the driver's message, words) — SQLite and connection-level failures
_MESSAGES = [
    ("readonly database", "the database is read-only (check the file's permissions)"),
    ("read-only", "the database is read-only"),
    ("disk is full", "the database's disk is full"),
    ("disk i/o error", "the database's disk failed (I/O error)"),
    ("database is locked", "the database is locked by another process (timed out waiting)"),
    ("unable to open database file", "the database file cannot be opened (check the path)"),
    ("no such table", "the database schema is missing or old: run `careops db upgrade`"),
    ("server closed the connection", "the connection to the database was lost"),
    ("terminating connection", "the connection to the database was lost (the server ended it)"),
    ("connection refused", "cannot connect to the database server (connection refused)"),
    ("could not connect", "cannot connect to the database server"),
    ("consuming input failed", "the connection to the database was lost"),
    ("the connection is closed", "the connection to the database was lost"),
]


# the server's own reason of a refused connection (libpq: "... failed: FATAL:  role "x" does
# not exist"); libpq never puts the password there
_SERVER_REASON = re.compile(r"\bFATAL:\s*(.+)")
# SQLite messages that mean "something about the file's path": the path itself says what
_SQLITE_PATH = ("unable to open database file", "readonly database")


def describe_fault(exc: BaseException, url: str | None = None) -> str | None:
    """One line naming the fault of a database error, or None if `exc` is none.

    `url` (the database's, normalised): a SQLite file that cannot be opened or written is
    named with what is wrong with its path (`sqlite_path_problem`)."""
    if not isinstance(exc, sa_exc.DBAPIError | sa_exc.OperationalError):
        return None
    words = _describe(exc)
    text = str(getattr(exc, "orig", None) or exc).lower()
    if url and any(needle in text for needle in _SQLITE_PATH):
        return sqlite_path_problem(url) or words
    return words


def _describe(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    sqlstate = str(getattr(orig, "sqlstate", "") or getattr(orig, "pgcode", "") or "")
    if sqlstate:
        for prefix, words in _SQLSTATES:
            if sqlstate.startswith(prefix):
                return words
    text = str(orig if orig is not None else exc).lower()
    for needle, words in _MESSAGES:
        if needle in text:
            return words
    if reason := _SERVER_REASON.search(str(orig if orig is not None else exc)):
        said = " ".join(reason[1].split())[:200]
        return f"the database server refused the connection: {said}"
    if getattr(exc, "connection_invalidated", False):
        return "the connection to the database was lost"
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    return f"database error ({kind}{', SQLSTATE ' + sqlstate if sqlstate else ''})"


def sqlite_path_problem(url: str) -> str | None:
    """What keeps SQLite from opening or writing the database file of `url`, naming the path:
    a file where a directory should be, a missing or read-only directory, a read-only file;
    None if nothing is visibly wrong (or `url` is not a SQLite file)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None  # a URI filename (e.g. mode=ro): its options say why, not the path
    path = Path(database)
    folder = existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a directory: the database {path} cannot be made there"
    if existing != folder:
        return f"the directory {folder} of the database {path} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (f"the directory {folder} is read-only: SQLite writes the database {path.name} "
                "and its journal files there")
    if path.exists() and not os.access(path, os.W_OK):
        return f"the database file {path} is read-only"
    return None


def masked_url(url: str) -> str:
    """The URL with its password replaced by ***, for output and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL: show nothing of it
        return "(database URL not shown)"
