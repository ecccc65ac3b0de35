"""Shared fixtures.

- `db_url` / `engine` / `uow`: a migrated database, parametrised over SQLite and — when
  `CAREOPS_TEST_DATABASE_URL` is set — PostgreSQL. Each pytest session creates its own
  PostgreSQL database (so concurrent sessions never collide) and drops it at the end.
  Tables are emptied before every test.
- `smtp`: a real aiosmtpd server on loopback; `settings` points careops at it and at the db.
- `prefect`: one session-scoped `prefect_test_harness`, requested only by flow tests.
- every test: `CAREOPS_SECRETS_DIR` is a directory of the session holding a web signing key
  generated as `careops stack up` does (never the developer's var/secrets); no Prefect auth
  string there (the test Prefect server has none). Subprocesses inherit it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from careops.db.base import Base
from careops.db.engine import get_engine
from careops.db.migrate import upgrade
from careops.db.uow import UnitOfWork
from careops.settings import Settings, get_settings
from tests.support.pg import scratch_database
from tests.support.smtp import SmtpSink

pytest_plugins = ["tests.support.moved_clock"]

PG_ADMIN_URL = os.environ.get("CAREOPS_TEST_DATABASE_URL")


def pytest_configure(config: pytest.Config) -> None:
    """Each test process (xdist worker) picks its free ports from a range of its own, below the
    ephemeral ports (careops.stack.processes.free_port): two stacks started at once by two
    workers never get the same port. (The worker's id is known here, not at import.)"""
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    number = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 8
    first = 20000 + (number % 9) * 1300  # 20000-31699: below the ephemeral 32768-60999
    if worker:  # a worker inherits the controller's variables: its own range replaces them
        os.environ["CAREOPS_FREE_PORTS"] = f"{first}-{first + 1299}"
    else:
        os.environ.setdefault("CAREOPS_FREE_PORTS", f"{first}-{first + 1299}")


def _rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("real_clock")
    if marker is not None and "real stack" in " ".join(map(str, marker.args)):
        return 0
    return 1 if item.get_closest_marker("chaos") is not None else 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real-stack modules first, then the chaos tests, then the rest, each in file order.
    scripts/test.sh runs pytest-xdist with `--dist loadfile --no-loadscope-reorder`, so the
    workers take the modules in this order: the few long ones (a real stack each, minutes)
    start at once. xdist's default order, by number of tests, put them last, and the run ended
    waiting for them on one worker."""
    items.sort(key=_rank)  # stable: a module's tests keep their order


@pytest.fixture(scope="session", autouse=True)
def _secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from careops.secrets import WEB_KEY_FILE, write_new_secret

    folder = tmp_path_factory.mktemp("secrets")
    write_new_secret(folder / WEB_KEY_FILE, secrets.token_urlsafe(32))
    before = os.environ.get("CAREOPS_SECRETS_DIR")
    os.environ["CAREOPS_SECRETS_DIR"] = str(folder)
    get_settings.cache_clear()
    yield folder
    if before is None:
        os.environ.pop("CAREOPS_SECRETS_DIR", None)
    else:
        os.environ["CAREOPS_SECRETS_DIR"] = before
    get_settings.cache_clear()


def _backends() -> list[str]:
    return ["sqlite", "postgres"] if PG_ADMIN_URL else ["sqlite"]


@pytest.fixture(scope="session")
def _sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'careops.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    assert PG_ADMIN_URL is not None
    with scratch_database(PG_ADMIN_URL, "careops_test") as url:
        upgrade(url)
        yield url


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database URL — once per backend."""
    url = request.getfixturevalue(f"_{request.param}_url")
    _empty_tables(get_engine(url))
    return url


@pytest.fixture
def sqlite_only_url(_sqlite_url: str) -> str:
    """For tests whose subject does not depend on the backend (saves a PostgreSQL run)."""
    _empty_tables(get_engine(_sqlite_url))
    return _sqlite_url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    if not PG_ADMIN_URL:
        pytest.skip("CAREOPS_TEST_DATABASE_URL is not set")
    url = request.getfixturevalue("_postgres_url")
    _empty_tables(get_engine(url))
    return url


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


@pytest.fixture
def uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine)


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(_smtp_server: SmtpSink) -> SmtpSink:
    _smtp_server.clear()
    return _smtp_server


@pytest.fixture
def settings(
    db_url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> Iterator[Settings]:
    """careops settings pointing at the test database and the test SMTP server.

    Set through the environment, exactly as an operator would, so code that calls
    `get_settings()` (tasks, flows, CLI) sees them too.
    """
    yield from _point_settings(db_url, smtp, monkeypatch, tmp_path)


@pytest.fixture
def sqlite_settings(
    sqlite_only_url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> Iterator[Settings]:
    """Like `settings`, on SQLite only (flow and CLI tests whose subject is not the backend)."""
    yield from _point_settings(sqlite_only_url, smtp, monkeypatch, tmp_path)


def _point_settings(url: str, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch, tmp_path):
    from careops import bootstrap

    monkeypatch.setenv("CAREOPS_DATABASE_URL", url)
    monkeypatch.setenv("CAREOPS_SMTP__HOST", smtp.host)
    monkeypatch.setenv("CAREOPS_SMTP__PORT", str(smtp.port))
    monkeypatch.setenv("CAREOPS_SMTP__BACKOFF_SECONDS", "0")
    monkeypatch.setenv("CAREOPS_CATCHER__MAIL_DIR", str(tmp_path / "mail"))
    get_settings.cache_clear()
    bootstrap.reset()
    yield get_settings()
    get_settings.cache_clear()
    bootstrap.reset()


@pytest.fixture
def calendar_dir(tmp_path, monkeypatch, settings):
    """An empty calendar directory ops can add 2027.toml to (settings re-read): careops sees a
    year unpublished until a test writes its file."""
    return empty_calendar_dir(tmp_path, monkeypatch)


def empty_calendar_dir(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """Point careops at an empty calendar directory (settings and calendar re-read)."""
    from careops import bootstrap

    folder = tmp_path / "calendar"
    folder.mkdir()
    monkeypatch.setenv("CAREOPS_CALENDAR_DIR", str(folder))
    get_settings.cache_clear()
    bootstrap.reset()
    return folder


@pytest.fixture(scope="session")
def prefect() -> Iterator[None]:
    """A session-scoped Prefect test server; flow tests request it."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), prefect_test_harness(
        server_startup_timeout=120
    ):
        yield


