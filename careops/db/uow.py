"""Unit of work: one transaction around a service call (`with uow: ...; uow.commit()`).

Leaving the block without `commit()` rolls back, so nothing is half-written on error.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from careops.db.engine import get_engine, read_engine

# How long a unit of work waits for its process's writer turn (`serial`) before it goes on
# without it, to SQLite's own busy handler: a bound, never a hang.
SERIAL_WAIT_SECONDS = 30.0


class UnitOfWork:
    def __init__(self, engine: Engine | None = None, *,
                 serial: threading.RLock | None = None) -> None:
        """`serial`: a lock the process's writers take in turn for the whole unit of work (the
        web app's, on SQLite). SQLite has one write lock: writers that meet there wait in the
        driver's busy handler, which sleeps up to 100 ms a try; taking turns here first wakes
        the next writer as soon as the last one is done."""
        self._engine = engine
        self._serial = serial
        self._holding = False
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
        if self._serial is not None:
            self._holding = self._serial.acquire(timeout=SERIAL_WAIT_SECONDS)
        self.session = Session(self.engine, expire_on_commit=False)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.rollback()
            self.session.close()
        finally:
            if self._holding:
                self._holding = False
                self._serial.release()

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
