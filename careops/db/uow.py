"""Unit of work: one transaction around a service call (`with uow: ...; uow.commit()`).

Leaving the block without `commit()` rolls back, so nothing is half-written on error.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from careops.db.engine import get_engine, read_engine


class UnitOfWork:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        self.session: Session

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = get_engine()
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @classmethod
    def reading(cls, engine: Engine | None = None) -> UnitOfWork:
        """A unit of work that only reads (a page view): on SQLite it takes no write lock
        (careops.db.engine.read_engine); anything it tries to write fails."""
        return cls(read_engine(engine or get_engine()))

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self.engine, expire_on_commit=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def lock(self, name: str) -> None:
        """Serialise a critical section across processes for the rest of this transaction.

        PostgreSQL: a transaction-scoped advisory lock. SQLite: the transaction already began
        with BEGIN IMMEDIATE, which holds the database's single write lock.
        """
        if self.dialect == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:n))"), {"n": name})
        else:
            self.session.connection()  # forces BEGIN IMMEDIATE now
