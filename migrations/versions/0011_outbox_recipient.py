"""outbox_recipient: per-recipient delivery state of a message a server answered apart

Revision ID: 0011_outbox_recipient
Revises: 0010_watch_period_plan
Create Date: 2026-12-05 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from careops.db.base import UTCDateTime

revision: str = "0011_outbox_recipient"
down_revision: str | None = "0010_watch_period_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_recipient",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("status", sa.Enum("pending", "sending", "sent", "failed",
                                    name="outboxstatus", native_enum=False, length=20),
                  nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["outbox_message.id"], ondelete="CASCADE",
                                name=op.f("fk_outbox_recipient_message_id_outbox_message")),
        sa.PrimaryKeyConstraint("message_id", "address", name=op.f("pk_outbox_recipient")),
    )


def downgrade() -> None:
    op.drop_table("outbox_recipient")
