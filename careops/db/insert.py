"""Bulk INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL (idempotent creation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    session: Session, model: type, rows: Sequence[dict[str, Any]], key: list[str]
) -> None:
    """Insert `rows` in one executemany, silently skipping those whose `key` already exists."""
    if not rows:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(model).on_conflict_do_nothing(index_elements=key)
    session.connection().execute(statement, list(rows))  # Core executemany, no ORM bulk
