"""Engines for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite runs in WAL mode and opens every transaction with `BEGIN IMMEDIATE`: concurrent writers
then queue on the busy timeout instead of failing with "database is locked" at commit.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from careops.settings import PROJECT_ROOT


def normalise_url(url: str) -> str:
    """Resolve a relative SQLite path against the project root; default PostgreSQL to psycopg 3."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:"):
        # an absolute path or a URI filename (`file:/srv/careops.db?mode=ro&uri=true`) is kept
        relative = not database.startswith(("/", "file:"))
        path = PROJECT_ROOT / database if relative else None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            parsed = parsed.set(database=str(path))
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine whose errors and logs never show bound parameters (they hold personal data)."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: the configured database, read now)."""
    if url is None:
        from careops.settings import get_settings

        url = get_settings().database_url
    return _engine_for(url)


@lru_cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)
