"""watch acknowledgement: who said "I'm on it" for a site incident, when, and how

Revision ID: 0013_watch_ack
Revises: 0012_staff_links
Create Date: 2026-12-05 12:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from careops.db.base import UTCDateTime

revision: str = "0013_watch_ack"
down_revision: str | None = "0012_staff_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site_incident") as batch:
        batch.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("acknowledged_via", sa.String(length=10), nullable=True))
        batch.create_foreign_key(op.f("fk_site_incident_acknowledged_by_id_staff"), "staff",
                                 ["acknowledged_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("site_incident") as batch:
        batch.drop_constraint(op.f("fk_site_incident_acknowledged_by_id_staff"),
                              type_="foreignkey")
        batch.drop_column("acknowledged_via")
        batch.drop_column("acknowledged_at")
        batch.drop_column("acknowledged_by_id")
