"""R4 weekly report: the meeting of a week, its submissions (with history) and away marks.

A `WeeklyMeeting` row is created by the first step or submission of its week (natural key
`week`, e.g. "2026-W48") and records when each step was done, so re-runs send each reminder,
nudge and report once. The compile stores the report as it went out (`report_markdown`) and
the figures the submission-rate chart and the supervision report (R7) read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.db.base import Base, UTCDateTime
from careops.db.models.common import Staff

__all__ = ["WeeklyAway", "WeeklyMeeting", "WeeklyRevision", "WeeklySubmission"]


class WeeklyMeeting(Base):
    __tablename__ = "weekly_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8), unique=True)  # ISO week "2026-W48"
    meeting_date: Mapped[date] = mapped_column(Date)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compiled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected_count: Mapped[int | None] = mapped_column(Integer)  # at the compile
    submitted_count: Mapped[int | None] = mapped_column(Integer)  # on time, at the compile
    report_markdown: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    submissions: Mapped[list[WeeklySubmission]] = relationship(
        back_populates="meeting", order_by="WeeklySubmission.id"
    )


class WeeklySubmission(Base):
    """One person's report for one meeting: the current text; earlier ones in revisions."""

    __tablename__ = "weekly_submission"
    __table_args__ = (UniqueConstraint("meeting_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("weekly_meeting.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    situation: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text)
    problems: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # current text came after compile
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))  # ui / cli / web

    meeting: Mapped[WeeklyMeeting] = relationship(back_populates="submissions")
    staff: Mapped[Staff] = relationship()
    revisions: Mapped[list[WeeklyRevision]] = relationship(order_by="WeeklyRevision.revision")


class WeeklyRevision(Base):
    """Every text a person submitted for a meeting, in order (the history of replacements)."""

    __tablename__ = "weekly_revision"
    __table_args__ = (UniqueConstraint("submission_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("weekly_submission.id"))
    revision: Mapped[int] = mapped_column(Integer)
    situation: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text)
    problems: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))


class WeeklyAway(Base):
    """Someone away for a week is not counted missing (nor reminded, nor nudged)."""

    __tablename__ = "weekly_away"
    __table_args__ = (UniqueConstraint("week", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    staff: Mapped[Staff] = relationship()
