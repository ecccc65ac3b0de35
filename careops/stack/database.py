"""The stack's database step: migrate, then seed the demo data into an empty database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select

from careops.db.base import Base
from careops.db.engine import get_engine
from careops.db.migrate import upgrade


def migrate(url: str) -> None:
    upgrade(url)


def is_empty(url: str) -> bool:
    """No row in any careops table (the alembic version table is not a model)."""
    with get_engine(url).connect() as conn:
        return not any(
            conn.execute(select(exists().select_from(table))).scalar()
            for table in Base.metadata.sorted_tables
        )


def seed(url: str, today: date) -> object:
    """Seed the demo data (careops.demo); returns its summary for printing."""
    from careops.db.uow import UnitOfWork
    from careops.demo import seed_demo

    return seed_demo(UnitOfWork(get_engine(url)), today=today)
