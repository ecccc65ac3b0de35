"""What staff did through their personal links: who, what, on which item, when, and how.

One row per action taken on a staff page (`via` = "link"), written in the same transaction as
the action itself (careops.services.operations.staff_access.AuditedUnitOfWork), so an action
that did not happen leaves no row and one that did always has its row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db.base import Base, UTCDateTime
from careops.db.models.common import Staff


class StaffAction(Base):
    __tablename__ = "staff_action"
    __table_args__ = (Index("ix_staff_action_staff_at", "staff_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(60))  # e.g. "callback.record", "alert.ack"
    subject: Mapped[str] = mapped_column(String(100))  # e.g. "callback:12", "incident:3"
    via: Mapped[str] = mapped_column(String(10), default="link")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str | None] = mapped_column(Text)

    staff: Mapped[Staff] = relationship()
