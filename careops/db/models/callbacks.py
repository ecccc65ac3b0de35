"""R1 callbacks: the planned callbacks, each call made for one, and the months' facts."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.clock import utcnow
from careops.db.base import Base, UTCDateTime, _enum
from careops.db.models.common import Project, Staff


class CallbackStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"  # the project was retired/redelivered or the customer wants no calls


class CallbackOutcome(enum.StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    DECLINED = "declined"


class Callback(Base):
    """One planned phone callback: the `seq`-th after delivery date `anchor_date`."""

    __tablename__ = "callback"
    __table_args__ = (
        UniqueConstraint("project_id", "anchor_date", "seq"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
        Index("ix_callback_month_assignee", "month", "assignee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    anchor_date: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" of due_date
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[CallbackStatus] = mapped_column(_enum(CallbackStatus), default="open")
    outcome: Mapped[CallbackOutcome | None] = mapped_column(_enum(CallbackOutcome))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    issues_raised: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()
    assignee: Mapped[Staff | None] = relationship()
    attempts: Mapped[list[CallbackAttempt]] = relationship(
        back_populates="callback", order_by="CallbackAttempt.seq"
    )


class CallbackAttempt(Base):
    """One call made for a callback: its history. The latest attempt's outcome counts (it is
    copied onto the callback); a reached or declined attempt is final."""

    __tablename__ = "callback_attempt"
    __table_args__ = (
        UniqueConstraint("callback_id", "seq"),
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callback.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per callback
    outcome: Mapped[CallbackOutcome] = mapped_column(_enum(CallbackOutcome))
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    issues_raised: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # after its month was closed
    # the caller's idempotency key (the record-callback flow run): a retried request adds nothing
    request_key: Mapped[str | None] = mapped_column(String(100), unique=True)

    callback: Mapped[Callback] = relationship(back_populates="attempts")


class CallbackMonth(Base):
    """What happened to a month of callbacks: when it was planned (call lists queued) and
    closed (open callbacks marked missed, summary queued). A closed month is not planned again."""

    __tablename__ = "callback_month"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM"
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
