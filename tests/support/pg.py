"""Scratch PostgreSQL databases on the test server (CAREOPS_TEST_DATABASE_URL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from careops.db.engine import get_engine, normalise_url


@contextmanager
def scratch_database(admin_url: str, prefix: str, *, also: tuple[str, ...] = ()) -> Iterator[str]:
    """Create a database `<prefix>_<random>` and yield its URL; afterwards drop it (forcing
    out any connection left) and the databases named `<name><suffix>` for each of `also`
    (e.g. "_prefect": the one a PostgreSQL stack creates beside it)."""
    admin_url_ = make_url(normalise_url(admin_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url_, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url_.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            for db in (name, *(f"{name}{suffix}" for suffix in also)):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()
