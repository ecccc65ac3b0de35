"""The careops state: typed SQLAlchemy 2 models.

Every record a flow creates has a natural unique key, so re-runs, retries and concurrent runs
create it once (inserts use ON CONFLICT DO NOTHING on that key).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.clock import utcnow
from careops.db.base import Base, UTCDateTime


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Department(enum.StrEnum):
    CS = "CS"
    TS = "TS"
    BIZ = "BIZ"
    OFFICE = "OFFICE"
    GM = "GM"
    LEADERSHIP = "LEADERSHIP"


class StaffRole(enum.StrEnum):
    MEMBER = "member"
    HEAD = "head"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


class CallbackStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"  # the project was retired/redelivered or the customer wants no calls


class CallbackOutcome(enum.StrEnum):
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    DECLINED = "declined"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[Department] = mapped_column(_enum(Department))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole), default=StaffRole.MEMBER)
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(10), default="B")
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    no_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default="zh_CN")

    projects: Mapped[list[Project]] = relationship(back_populates="customer")


class Project(Base):
    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    retired_on: Mapped[date | None] = mapped_column(Date)
    cs_owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    sales_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    ts_contact_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    website_url: Mapped[str | None] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship(back_populates="projects")


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


class OutboxMessage(Base):
    """A rendered mail, written in the same transaction as the state change it reports.

    `raw` holds the complete RFC 5322 message (with its Message-ID), so a redelivery after a
    crash sends the identical bytes and receivers can de-duplicate.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(50))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(200))
    raw: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


from careops.db import (  # noqa: E402,F401
    case_models,
    fault_models,
    survey_models,
    watch_models,
    weekly_models,
)
