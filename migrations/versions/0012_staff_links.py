"""staff links: staff.link_generation (revocation) and staff_action (what was done via a link)

Revision ID: 0012_staff_links
Revises: 0011_outbox_recipient
Create Date: 2026-12-05 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from careops.db.base import UTCDateTime

revision: str = "0012_staff_links"
down_revision: str | None = "0011_outbox_recipient"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("link_generation", sa.Integer(), server_default="0",
                                   nullable=False))
    op.create_table(
        "staff_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"],
                                name=op.f("fk_staff_action_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_action")),
    )
    op.create_index("ix_staff_action_staff_at", "staff_action", ["staff_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_staff_action_staff_at", table_name="staff_action")
    op.drop_table("staff_action")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("link_generation")
