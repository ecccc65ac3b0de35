"""R3 holiday watch: monitored sites, the CS duty roster, check results, incidents, periods.

- `MonitoredSite` belongs to a project (its TS contact is who is alerted); natural key `url`.
  Its watch state (`fail_streak`, `failing_since`, `last_error`) lives in the row, so a crash
  or restart mid-window loses nothing: the next round goes on from it.
- `DutyShift`: who of CS is on duty on a local date inside a watch window (one per date).
- `SiteCheck`: one result per site and round slot (unique), pruned after `retention_days`.
- `SiteIncident`: from the first failed round of a streak that reached the alert threshold
  to the first good round after; the alert, reminders and recovery notice it caused. Who
  acknowledged it ("I'm on it": `acknowledged_by_id`, `acknowledged_at`, `acknowledged_via`
  "link"/"cli"; services/watch/acks.py): an acknowledged incident gets no more reminders.
- `WatchPeriod`: one row per holiday period: readiness sent, the lease of the run watching
  it (holder + heartbeat), the last round processed, report sent. Each step happens once.
  It also stores the period's current plan (`first_day`..`last_day`, window `start`..`end`,
  `provisional` while its year's calendar is unpublished), re-planned from the calendar by
  every step (careops/services/watch/periods.py), so a published calendar replaces a
  provisional window and a period the published calendar dropped is still reported.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from careops.clock import utcnow
from careops.db.base import Base, UTCDateTime
from careops.db.models.common import Project, Staff

__all__ = ["DutyShift", "MonitoredSite", "SiteCheck", "SiteIncident", "WatchPeriod"]


class MonitoredSite(Base):
    __tablename__ = "monitored_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(300), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    expected_status: Mapped[str | None] = mapped_column(String(60))  # "200" / "200,301"; None 2xx
    keyword: Mapped[str | None] = mapped_column(String(200))
    max_response_ms: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    fail_streak: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_response_ms: Mapped[int | None] = mapped_column(Integer)  # orders the next round

    project: Mapped[Project] = relationship()


class DutyShift(Base):
    __tablename__ = "duty_shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))

    staff: Mapped[Staff] = relationship()


class SiteCheck(Base):
    __tablename__ = "site_check"
    __table_args__ = (UniqueConstraint("site_id", "at"), Index("ix_site_check_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("monitored_site.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # the round slot (ad hoc: the minute)
    period_id: Mapped[str | None] = mapped_column(String(40))  # None: an ad-hoc check
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    cert_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SiteIncident(Base):
    __tablename__ = "site_incident"
    __table_args__ = (UniqueConstraint("site_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("monitored_site.id", ondelete="CASCADE"),
                                         index=True)
    period_id: Mapped[str | None] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # first failed round
    alerted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grouped: Mapped[bool] = mapped_column(Boolean, default=False)  # alerted in a grouped alert
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first good round
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_via: Mapped[str | None] = mapped_column(String(10))  # "link" / "cli"

    site: Mapped[MonitoredSite] = relationship()
    acknowledged_by: Mapped[Staff | None] = relationship()


class WatchPeriod(Base):
    __tablename__ = "watch_period"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2026-national-day"
    readiness_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    holder: Mapped[str | None] = mapped_column(String(80))  # the run watching it now
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_round_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rounds: Mapped[int] = mapped_column(Integer, default=0)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the plan last seen (None: stored before plans were); see the module docstring
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the readiness mail went out on a provisional plan: sent again once on the published one
    readiness_provisional: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default=false())
