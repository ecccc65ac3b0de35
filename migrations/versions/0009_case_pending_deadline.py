"""case_pending_deadline: a case deadline waiting for an unpublished calendar year

Revision ID: 0009_case_pending_deadline
Revises: 0008_holiday_watch
Create Date: 2026-12-01 23:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from careops.db.base import UTCDateTime

revision: str = "0009_case_pending_deadline"
down_revision: str | None = "0008_holiday_watch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_case") as batch:
        batch.add_column(sa.Column("due_pending_year", sa.Integer(), nullable=True))
        batch.alter_column("due_at", existing_type=UTCDateTime(timezone=True), nullable=True)
        batch.alter_column("warn_at", existing_type=UTCDateTime(timezone=True), nullable=True)
        batch.create_index("ix_customer_case_due_pending_year", ["due_pending_year"])
    with op.batch_alter_table("case_statistic") as batch:
        batch.alter_column("due_at", existing_type=UTCDateTime(timezone=True), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("case_statistic") as batch:
        batch.alter_column("due_at", existing_type=UTCDateTime(timezone=True), nullable=False)
    with op.batch_alter_table("customer_case") as batch:
        batch.drop_index("ix_customer_case_due_pending_year")
        batch.alter_column("warn_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch.alter_column("due_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        batch.drop_column("due_pending_year")
