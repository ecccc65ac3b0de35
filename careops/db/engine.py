"""Engines for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite runs in WAL mode and opens every transaction with `BEGIN IMMEDIATE`: concurrent writers
then queue on the busy timeout instead of failing with "database is locked" at commit.

`read_engine(engine)` is for transactions that only read (a web page's GET): on SQLite a second
engine on the same file whose connections are `PRAGMA query_only` and begin with a plain
(deferred) `BEGIN`. In WAL mode such a reader sees one consistent snapshot and neither waits for
nor blocks the single writer, so page views no longer queue on the write lock (and on SQLite's
sleeping busy handler) behind each other and behind the flows. A write through it fails at once
("attempt to write a readonly database"), never racing the writers. Elsewhere (PostgreSQL, an
in-memory SQLite) it is the engine itself.
"""

from __future__ import annotations

from functools import lru_cache
from weakref import WeakKeyDictionary

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


# How long a SQLite writer waits for another's transaction before "database is locked": long
# enough for a big run's transaction (a call list of thousands, a report) on a loaded machine;
# an unattended flow had better wait than fail.
SQLITE_BUSY_SECONDS = 120


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_sqlite_reader(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # deferred: a WAL reader takes no lock (straight to the driver: on every page view)
        connection.connection.driver_connection.execute("BEGIN")


_readers: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def read_engine(engine: Engine) -> Engine:
    """The engine for read-only transactions on `engine`'s database (see the module's text)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    reader = _readers.get(engine)
    if reader is None:
        reader = create_engine(engine.url, connect_args={"timeout": SQLITE_BUSY_SECONDS},
                               hide_parameters=True)
        _configure_sqlite_reader(reader)
        _readers[engine] = reader
    return reader


def make_engine(url: str, **kwargs) -> Engine:
    """An engine whose errors and logs never show bound parameters (they hold personal data)."""
    url = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **kwargs)
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
