"""The Prefect server's own database: SQLite under PREFECT_HOME, or PostgreSQL (scale-out).

With careops on PostgreSQL the Prefect server goes there too, into a database of its own,
`<careops database>_prefect` on the same server (created when missing), unless
`[prefect] database_url` / `careops stack up --prefect-database` names another. Not the
careops database: Prefect's migrations keep their `alembic_version` table in the public
schema, where careops's own alembic keeps its version, and Prefect has no setting to move its
tables into a schema of their own. A separate database also keeps `careops db backup` (careops
data only) and dropping Prefect's run history independent.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from careops.errors import StackError

PREFECT_DRIVER = "postgresql+asyncpg"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,62}$")


def prefect_database_url(careops_url: str, configured: str = "") -> str | None:
    """The server's `PREFECT_API_DATABASE_CONNECTION_URL`; None: Prefect's SQLite default."""
    if configured:
        url = make_url(configured)
        if url.get_backend_name() != "postgresql" or not url.database:
            raise StackError(
                "the Prefect database must be a postgresql://HOST/DATABASE URL "
                f"(got a {url.get_backend_name()} URL)"
            )
    else:
        careops = make_url(careops_url)
        if careops.get_backend_name() != "postgresql":
            return None
        url = careops.set(database=f"{careops.database}_prefect")
    if not _NAME.match(url.database or ""):
        raise StackError(f"the Prefect database name {url.database!r} is not a plain name")
    return url.set(drivername=PREFECT_DRIVER).render_as_string(hide_password=False)


def ensure_database(prefect_url: str, careops_url: str) -> bool:
    """Create the Prefect database when it is missing; True when created.

    Connects to the careops database when both are on the same server as the same user (it
    exists: it was just migrated), else to the server's `postgres` database.
    """
    from careops.db.engine import make_engine

    target = make_url(prefect_url)
    admin = _admin_url(target, make_url(careops_url))
    engine = make_engine(admin.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if found:
                return False
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return True
    except Exception as exc:
        if "already exists" in str(exc):  # another stack created it a moment ago
            return False
        from careops.db.faults import describe_fault

        raise StackError(
            f"cannot create the Prefect database {target.database!r} on "
            f"{target.host or 'localhost'}: {describe_fault(exc) or type(exc).__name__} "
            "(create it, or name one "
            "with --prefect-database)"
        ) from exc
    finally:
        engine.dispose()


def _admin_url(target: URL, careops: URL) -> URL:
    same = careops.get_backend_name() == "postgresql" and (
        careops.host,
        careops.port,
        careops.username,
    ) == (target.host, target.port, target.username)
    base = careops if same else target.set(database="postgres")
    return base.set(drivername="postgresql+psycopg")
