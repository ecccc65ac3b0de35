"""watch_period_plan: a holiday period's stored plan (days, window, provisional)

Revision ID: 0010_watch_period_plan
Revises: 0009_case_pending_deadline
Create Date: 2026-12-05 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from careops.db.base import UTCDateTime

revision: str = "0010_watch_period_plan"
down_revision: str | None = "0009_case_pending_deadline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch_period") as batch:
        batch.add_column(sa.Column("first_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("last_day", sa.Date(), nullable=True))
        batch.add_column(sa.Column("start", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("provisional", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.add_column(sa.Column("readiness_provisional", sa.Boolean(),
                                   server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("watch_period") as batch:
        for column in ("readiness_provisional", "provisional", "end", "start", "last_day",
                       "first_day"):
            batch.drop_column(column)
