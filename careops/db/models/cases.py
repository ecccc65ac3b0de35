"""R6 cases: complaints, consultations, suggestions; their history; statistics kept after purge.

State machine (careops.rules.cases):

    open ──result sent to the customer──▶ answered ──satisfied (or no opinion in time)──▶ closed
      ▲                                       │
      └──────────── not satisfied: reopened for the CS head ◀───┘

The owner is whoever took the case (first-contact responsibility) until a logged handover.
Every contact, note, handover, department change, notice and opinion is a `case_event`.
A deadline that needs an unpublished calendar year is stored as pending (`due_at` None,
`due_pending_year` the year); the case-deadlines sweep sets it once the calendar is there.
Deadline notices are marked on the row (`warned_at`, `breach_notified_at`) and keyed in the
outbox, so each goes once whatever re-runs. A purged case leaves one `case_statistic` row
(counts, no content), so the R7 figures of past months do not change.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db.base import Base, UTCDateTime, _enum
from careops.db.models.callbacks import Callback
from careops.db.models.common import Customer, Project, Staff
from careops.rules.cases import CaseKind, CaseState, Opinion

__all__ = ["Case", "CaseEvent", "CaseStatistic"]


class Case(Base):
    __tablename__ = "customer_case"
    __table_args__ = (
        Index("ix_customer_case_state_due", "state", "due_at"),
        Index("ix_customer_case_received_at", "received_at"),
        Index("ix_customer_case_due_pending_year", "due_pending_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_key: Mapped[str] = mapped_column(String(80), unique=True)  # one case per intake
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind))
    state: Mapped[CaseState] = mapped_column(_enum(CaseState), default=CaseState.OPEN)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    callback_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback.id", ondelete="SET NULL"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    special: Mapped[bool] = mapped_column(Boolean, default=False)
    special_reason: Mapped[str | None] = mapped_column(Text)
    promised_on: Mapped[date | None] = mapped_column(Date)
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    # None while the deadline waits for an unpublished calendar year (due_pending_year)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_pending_year: Mapped[int | None] = mapped_column(Integer)
    taken_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    department: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first result: deadline
    result_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest result
    opinion: Mapped[Opinion | None] = mapped_column(_enum(Opinion))
    opinion_comment: Mapped[str | None] = mapped_column(Text)
    opinion_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breach_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    project: Mapped[Project | None] = relationship()
    callback: Mapped[Callback | None] = relationship()
    owner: Mapped[Staff] = relationship(foreign_keys=[owner_id])
    taken_by: Mapped[Staff] = relationship(foreign_keys=[taken_by_id])
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CaseEvent(Base):
    """One line of a case's history: intake, contact, note, handover, result, notice ..."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("customer_case.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="events")


class CaseStatistic(Base):
    """What R7 counts of a purged case (no customer, no text): its former id and figures."""

    __tablename__ = "case_statistic"

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind))
    channel: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(20))
    special: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: it was still pending
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opinion: Mapped[Opinion | None] = mapped_column(_enum(Opinion))
    reopened_count: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime)
