"""R5 fault reports: the fault, its timeline, the notices it sent, its timer and its analysis.

State machine (careops.rules.faults holds the transitions):

    reported ──file──▶ filed ──(passed to leadership, same transaction)──▶ escalated
        │                                                                     │
        └──resolve (unfiled_ok + reason)──────▶ resolved ◀──resolve───────────┘
                                                  │
                                     submit analysis: analysed ──▶ closed (same transaction)

`filed` and `analysed` are recorded steps (timestamp + timeline event) that the same unit of
work moves past, so the stored state is one of reported / escalated / resolved / closed. An
unfiled fault that is chased to leadership stays `reported`: its chases are timeline events.

Timers live in the row (`timer`, `timer_due_at`, `timer_count`) so they survive restarts; the
`fault-watch` sweep claims rows whose `timer_due_at` has passed, and sets the analysis deadline
of rows whose `analysis_due_pending_year` calendar has been published since.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db.base import Base, UTCDateTime, _enum
from careops.db.models.common import Project
from careops.rules.faults import FaultSeverity, FaultState, FaultTimer

__all__ = ["Fault", "FaultAnalysis", "FaultEvent", "FaultNotice", "FaultSeverity", "FaultState",
           "FaultTimer"]


class Fault(Base):
    __tablename__ = "fault"
    __table_args__ = (
        Index("ix_fault_timer_due", "timer_due_at"),
        Index("ix_fault_pending_year", "analysis_due_pending_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "the same report submitted twice, or retried, is one fault": client key or content hash
    report_key: Mapped[str] = mapped_column(String(80), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    severity: Mapped[FaultSeverity] = mapped_column(_enum(FaultSeverity))
    state: Mapped[FaultState] = mapped_column(_enum(FaultState), default=FaultState.REPORTED)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300))
    symptoms: Mapped[str] = mapped_column(Text)
    handling_plan: Mapped[str] = mapped_column(Text)
    reporter: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_by: Mapped[str | None] = mapped_column(String(100))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it was recorded
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the fault ended
    resolution: Mapped[str | None] = mapped_column(Text)
    unfiled_reason: Mapped[str | None] = mapped_column(Text)
    analysis_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the deadline needs this calendar year, not published yet: fault-watch sets it later
    analysis_due_pending_year: Mapped[int | None] = mapped_column(Integer)
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timer: Mapped[FaultTimer | None] = mapped_column(_enum(FaultTimer))
    timer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timer_count: Mapped[int] = mapped_column(Integer, default=0)  # chases sent on this timer

    project: Mapped[Project] = relationship()
    events: Mapped[list[FaultEvent]] = relationship(
        back_populates="fault", order_by="FaultEvent.id"
    )


class FaultEvent(Base):
    """One line of a fault's timeline: a step, a note, a chase or a notice."""

    __tablename__ = "fault_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("fault.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text, default="")

    fault: Mapped[Fault] = relationship(back_populates="events")


class FaultNotice(Base):
    """A mail sent about a fault; its delivery status is the OutboxMessage with the same key."""

    __tablename__ = "fault_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("fault.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("fault_event.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    outbox_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FaultAnalysis(Base):
    """The fault analysis report written by the maintainers (R5), one per fault."""

    __tablename__ = "fault_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    fault_id: Mapped[int] = mapped_column(ForeignKey("fault.id"), unique=True)
    impact: Mapped[str] = mapped_column(Text)
    handling: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str] = mapped_column(Text)
    corrective_actions: Mapped[str] = mapped_column(Text)
    preventive_actions: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
