"""R3 availability report of one holiday period, rebuilt from the stored check results.

Per site: rounds checked, rounds up, % up, downtime (failed rounds × the interval), incidents
(start, end; one still open at the window's end ends with it), response-time percentiles
(p50/p95/p99 of the successful checks, nearest rank). Per customer: the same summed over its
sites. Mailed once per period (CS head, TS head, BIZ) with a chart; `careops watch report`
rebuilds it at any time while the results are kept (`retention_days`).

Only rounds inside the period's window as planned now count: when a published calendar
replaced a provisional window that had already been watched, rounds outside the published
window are kept in the database but left out (`left_out` says how many), and incidents are
cut to the window. A report built on a provisional plan says so (`period.provisional`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select

from careops.db.models.watch import MonitoredSite, SiteCheck, SiteIncident, WatchPeriod
from careops.db.uow import UnitOfWork
from careops.mailer import Attachment
from careops.rules.holidays import HolidayPeriod
from careops.services.watch.acks import ack_facts
from careops.services.watch.notices import Person, WatchEnv, cs_head, queue, ts_head
from careops.services.watch.periods import store_plan


def percentile(values: list[int], p: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class SiteAvailability:
    url: str
    project: str
    customer: str
    checks: int = 0
    up: int = 0
    downtime_minutes: int = 0
    # started_at, ended_at, minutes, error, reminders; every incident was alerted once
    incidents: list[dict] = field(default_factory=list)
    p50: int | None = None
    p95: int | None = None
    p99: int | None = None

    @property
    def percent_up(self) -> float | None:
        return round(100 * self.up / self.checks, 2) if self.checks else None


@dataclass
class CustomerAvailability:
    customer: str
    sites: int = 0
    checks: int = 0
    up: int = 0
    downtime_minutes: int = 0
    incidents: int = 0

    @property
    def percent_up(self) -> float | None:
        return round(100 * self.up / self.checks, 2) if self.checks else None


@dataclass
class AvailabilityReport:
    period: HolidayPeriod
    interval_minutes: int
    sites: list[SiteAvailability]
    customers: list[CustomerAvailability]
    left_out: int = 0  # rounds watched outside the window as planned now (a replaced plan)

    @property
    def checks(self) -> int:
        return sum(s.checks for s in self.sites)

    @property
    def percent_up(self) -> float | None:
        checks = self.checks
        return round(100 * sum(s.up for s in self.sites) / checks, 2) if checks else None

    def site_rows(self) -> list[dict]:
        return [{"site": s.url, "project": s.project, "customer": s.customer,
                 "checks": s.checks, "up %": s.percent_up, "downtime min": s.downtime_minutes,
                 "incidents": len(s.incidents), "p50 ms": s.p50, "p95 ms": s.p95,
                 "p99 ms": s.p99} for s in self.sites]

    def customer_rows(self) -> list[dict]:
        return [{"customer": c.customer, "sites": c.sites, "checks": c.checks,
                 "up %": c.percent_up, "downtime min": c.downtime_minutes,
                 "incidents": c.incidents} for c in self.customers]


def build_report(uow: UnitOfWork, period: HolidayPeriod, interval_minutes: int
                 ) -> AvailabilityReport:
    with uow:
        session = uow.session
        checks = session.execute(
            select(SiteCheck.site_id, SiteCheck.ok, SiteCheck.response_ms, SiteCheck.at)
            .where(SiteCheck.period_id == period.id)).all()
        by_site: dict[int, list] = defaultdict(list)
        outside: set[datetime] = set()
        for site_id, ok, ms, at in checks:
            if period.start <= at < period.end:
                by_site[site_id].append((ok, ms))
            else:
                outside.add(at)
        incidents: dict[int, list[SiteIncident]] = defaultdict(list)
        for incident in session.scalars(select(SiteIncident).where(
                SiteIncident.period_id == period.id, SiteIncident.started_at < period.end,
                or_(SiteIncident.ended_at.is_(None), SiteIncident.ended_at > period.start))
                .order_by(SiteIncident.started_at)):
            incidents[incident.site_id].append(incident)
        ids = set(by_site) | set(incidents)
        sites = session.scalars(select(MonitoredSite).where(MonitoredSite.id.in_(ids))).all()
        out: list[SiteAvailability] = []
        for site in sorted(sites, key=lambda s: (s.project.customer.name, s.url)):
            rows = by_site.get(site.id, [])
            times = [ms for ok, ms in rows if ok and ms is not None]
            item = SiteAvailability(
                site.url, f"{site.project.code} {site.project.name}", site.project.customer.name,
                checks=len(rows), up=sum(1 for ok, _ in rows if ok),
                p50=percentile(times, 50), p95=percentile(times, 95), p99=percentile(times, 99))
            item.downtime_minutes = (item.checks - item.up) * interval_minutes
            for incident in incidents.get(site.id, []):
                end = min(incident.ended_at or period.end, period.end)
                begun = max(incident.started_at, period.start)
                item.incidents.append({
                    "started_at": begun, "ended_at": end,
                    "minutes": round((end - begun) / timedelta(minutes=1)),
                    "still_down_at_end": incident.ended_at is None or end >= period.end,
                    "error": incident.last_error, "reminders": incident.reminders,
                    **ack_facts(incident)})
            out.append(item)
    customers: dict[str, CustomerAvailability] = {}
    for s in out:
        c = customers.setdefault(s.customer, CustomerAvailability(s.customer))
        c.sites += 1
        c.checks += s.checks
        c.up += s.up
        c.downtime_minutes += s.downtime_minutes
        c.incidents += len(s.incidents)
    return AvailabilityReport(period, interval_minutes, out, list(customers.values()),
                              len(outside))


def mail_report(uow: UnitOfWork, env: WatchEnv, report: AvailabilityReport, chart: bytes | None,
                now: datetime) -> bool:
    """Mail the report once per period (CS head, TS head, BIZ); False if it was mailed."""
    period = report.period
    with uow:
        session = uow.session
        uow.lock(f"careops.watch.{period.id}")
        row = session.get(WatchPeriod, period.id)
        if row is None:
            row = WatchPeriod(id=period.id, rounds=0, created_at=now)
            session.add(row)
        store_plan(row, period)
        if row.reported_at is not None:
            return False
        people = [cs_head(session, env)] + [p for p in (ts_head(session, env),) if p]
        people.append(Person(env.biz_email, env.default_locale, "业务部"))
        attachments = (Attachment(f"{period.id}.png", chart, "image/png"),) if chart else ()
        queue(session, env, people, key=f"watch-report:{period.id}", template="watch_report",
              now=now, attachments=attachments, context={"availability": report, "period": period})
        row.reported_at = now
        uow.commit()
    return True


def prune(uow: UnitOfWork, now: datetime, retention_days: int) -> int:
    """Delete check results older than `retention_days`; how many."""
    with uow:
        result = uow.session.execute(delete(SiteCheck).where(
            SiteCheck.at < now - timedelta(days=retention_days)))
        uow.commit()
    return result.rowcount or 0
