"""The Alembic migrations produce exactly the schema the models declare, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from careops.db.base import Base
from careops.db.migrate import downgrade, upgrade


def test_migrations_equal_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_then_upgrade_round_trips(db_url, engine):
    downgrade(db_url, "base")
    with engine.connect() as conn:
        assert engine.dialect.has_table(conn, "callback") is False
    upgrade(db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
