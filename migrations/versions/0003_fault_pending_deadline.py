"""fault_pending_deadline: an analysis deadline waiting for an unpublished calendar year

Revision ID: 0003_fault_pending_deadline
Revises: 0002
Create Date: 2026-12-01 22:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_fault_pending_deadline"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fault") as batch:
        batch.add_column(sa.Column("analysis_due_pending_year", sa.Integer(), nullable=True))
        batch.create_index("ix_fault_pending_year", ["analysis_due_pending_year"])


def downgrade() -> None:
    with op.batch_alter_table("fault") as batch:
        batch.drop_index("ix_fault_pending_year")
        batch.drop_column("analysis_due_pending_year")
