"""R3 watch rounds: store a round's check results and act on them, once, in one transaction.

A round is identified by its slot (the window's start + n × interval). `record_round` locks
the period, skips sites whose result for the slot is already stored (a re-run or a second
worker), stores the rest and moves each site's streak on:

- a failed check: `fail_streak` + 1; at `failures_to_alert` an incident opens (started at the
  streak's first failed round) and the alert goes out; while it stays open a reminder at most
  every `reminder_every_minutes`, at most `reminder_limit` times;
- a good check: the streak ends; an open incident ends at this round and a recovery notice
  with the downtime goes to whoever was alerted.
- an acknowledged incident ("I'm on it", services/watch/acks.py) gets no more reminders; its
  recovery notice says who acknowledged it.

Alerts and reminders carry each staff member's personal "I'm on it" link (subject
`incident:<id>`, or the grouped round's `group:<period>:<round>`), valid to the window's end.

When `group_threshold` sites or more fail in one round, that round's alerts and reminders go
in one grouped mail to the TS head and ops (our own network is the likely cause), and the
incidents remember it: their recoveries are grouped too. Every mail has an outbox key of its
incident (or slot), so nothing is sent twice; the state lives in the rows, so a crashed
worker's successor goes on from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.watch import MonitoredSite, SiteCheck, SiteIncident, WatchPeriod
from careops.db.uow import UnitOfWork
from careops.rules.holidays import HolidayPeriod
from careops.rules.site_conditions import Conditions, Response, judge
from careops.services.watch.acks import ack_facts, group_subject, incident_subject
from careops.services.watch.notices import LinkSpec, WatchEnv, queue, site_audience, ts_head
from careops.services.watch.periods import store_plan
from careops.site_checker import Target


@dataclass
class RoundResult:
    at: datetime
    checked: int = 0
    failing: list[int] = field(default_factory=list)  # site ids failing this round
    alerts: list[int] = field(default_factory=list)  # incident ids alerted
    reminders: list[int] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)  # still down, someone is on it
    recoveries: list[int] = field(default_factory=list)
    grouped: bool = False
    skipped: int = 0  # results already stored for this slot
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"at": self.at.isoformat(), "checked": self.checked, "failing": len(self.failing),
                "alerts": len(self.alerts), "reminders": len(self.reminders),
                "acknowledged": len(self.acknowledged), "recoveries": len(self.recoveries),
                "grouped": self.grouped, "skipped": self.skipped, "warnings": self.warnings}


def targets(uow: UnitOfWork, site_ids: list[int] | None = None) -> list[Target]:
    """Active sites to check, failing and slowest first: a round's slow checks start at once,
    so the round ends about one timeout after it began (benchmarks/site_checks.py)."""
    with uow:
        query = select(MonitoredSite).where(MonitoredSite.active.is_(True))
        if site_ids is not None:
            query = select(MonitoredSite).where(MonitoredSite.id.in_(site_ids))
        sites = uow.session.scalars(query).all()
        sites = sorted(sites, key=lambda s: (-s.fail_streak, -(s.last_response_ms or 0), s.id))
        return [Target(s.id, s.url) for s in sites]


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def _site_facts(site: MonitoredSite, tz) -> dict:
    project = site.project
    return {"url": site.url, "project_code": project.code, "project_name": project.name,
            "customer_name": project.customer.name, "since": site.failing_since,
            "last_error": site.last_error or "", "streak": site.fail_streak}


def record_round(
    uow: UnitOfWork, env: WatchEnv, period: HolidayPeriod, at: datetime,
    results: dict[int, Response], now: datetime,
) -> RoundResult:
    rules = env.rules
    out = RoundResult(at)
    plan = {"provisional": period.provisional, "provisional_year": period.last_day.year}
    with uow:
        session = uow.session
        uow.lock(f"careops.watch.{period.id}")
        done = set(session.scalars(select(SiteCheck.site_id).where(
            SiteCheck.at == at, SiteCheck.period_id == period.id)))
        fresh = {sid: r for sid, r in results.items() if sid not in done}
        out.skipped = len(results) - len(fresh)
        sites = {s.id: s for s in session.scalars(
            select(MonitoredSite).where(MonitoredSite.id.in_(list(fresh))))}
        verdicts = {sid: judge(r, Conditions.parse(
            sites[sid].expected_status, sites[sid].keyword, sites[sid].max_response_ms), at)
            for sid, r in fresh.items() if sid in sites}
        insert_ignoring_duplicates(session, SiteCheck, [
            {"site_id": sid, "at": at, "period_id": period.id, "ok": v.ok,
             "status_code": fresh[sid].status, "response_ms": fresh[sid].elapsed_ms,
             "error": (v.reason or "")[:300] or None,
             "cert_expires_at": fresh[sid].cert_expires_at}
            for sid, v in verdicts.items()], ["site_id", "at"])
        out.checked = len(verdicts)
        out.failing = sorted(sid for sid, v in verdicts.items() if not v.ok)
        out.grouped = len(out.failing) >= rules.group_threshold
        open_incidents = {i.site_id: i for i in session.scalars(
            select(SiteIncident).where(SiteIncident.site_id.in_(list(verdicts)),
                                       SiteIncident.ended_at.is_(None)))}
        grouped_down: list[dict] = []
        grouped_up: list[dict] = []
        day = at.astimezone(env.tz).date()
        for sid, verdict in sorted(verdicts.items()):
            site = sites[sid]
            site.last_checked_at, site.last_response_ms = at, fresh[sid].elapsed_ms
            incident = open_incidents.get(sid)
            if verdict.ok:
                site.fail_streak, site.failing_since, site.last_error = 0, None, None
                if incident is not None:
                    incident.ended_at = at
                    out.recoveries.append(incident.id)
                    facts = {**_site_facts(site, env.tz), "started_at": incident.started_at,
                             "ended_at": at, "downtime_minutes": _minutes(at - incident.started_at),
                             "last_error": incident.last_error, **ack_facts(incident)}
                    if incident.grouped:
                        grouped_up.append(facts)
                    else:
                        _mail_site(session, env, site, day, f"watch-recovery:{incident.id}",
                                   "watch_recovery", {"site": facts, "period": period.id, **plan},
                                   now, out)
                continue
            site.fail_streak += 1
            site.failing_since = site.failing_since or at
            site.last_error = verdict.reason
            if incident is None and site.fail_streak >= rules.failures_to_alert:
                incident = SiteIncident(site_id=sid, period_id=period.id,
                                        started_at=site.failing_since, alerted_at=at,
                                        grouped=out.grouped, reminders=0,
                                        last_error=verdict.reason or "")
                session.add(incident)
                session.flush()
                out.alerts.append(incident.id)
                kind = "alert"
            elif incident is not None:
                incident.last_error = verdict.reason or ""
                last = incident.last_reminder_at or incident.alerted_at
                if incident.acknowledged_at is not None:
                    out.acknowledged.append(incident.id)
                    continue
                if (incident.reminders >= rules.reminder_limit
                        or at - last < timedelta(minutes=rules.reminder_every_minutes)):
                    continue
                incident.reminders += 1
                incident.last_reminder_at = at
                out.reminders.append(incident.id)
                kind = "reminder"
            else:
                continue
            facts = {**_site_facts(site, env.tz), "kind": kind, "number": incident.reminders,
                     "limit": rules.reminder_limit, "down_minutes": _minutes(
                         at - incident.started_at)}
            if out.grouped:
                grouped_down.append(facts)
            else:
                key = (f"watch-alert:{incident.id}" if kind == "alert"
                       else f"watch-reminder:{incident.id}:{incident.reminders}")
                _mail_site(session, env, site, day, key, "watch_alert",
                           {"site": facts, "period": period.id, **plan}, now, out,
                           LinkSpec("alert", incident_subject(incident.id), period.end))
        stamp = f"{at.astimezone(env.tz):%Y%m%dT%H%M}"
        crew = [p for p in (ts_head(session, env),) if p is not None]
        from careops.services.watch.notices import Person

        crew.append(Person(env.ops_email, env.default_locale, "ops"))
        if grouped_down:
            queue(session, env, crew, key=f"watch-group:{period.id}:{stamp}",
                  template="watch_group", now=now,
                  context={"sites": grouped_down, "failing": len(out.failing),
                           "checked": out.checked, "at": at, "period": period.id, **plan},
                  link=LinkSpec("alert", group_subject(period.id, at), period.end))
        if grouped_up:
            queue(session, env, crew, key=f"watch-group-recovery:{period.id}:{stamp}",
                  template="watch_group_recovery", now=now,
                  context={"sites": grouped_up, "at": at, "period": period.id, **plan})
        watch = session.get(WatchPeriod, period.id)
        if watch is not None:
            watch.last_round_at, watch.rounds = at, watch.rounds + 1
            store_plan(watch, period)
        uow.commit()
    return out


def _mail_site(session: Session, env: WatchEnv, site: MonitoredSite, day, key: str,
               template: str, context: dict, now: datetime, out: RoundResult,
               link: LinkSpec | None = None) -> None:
    audience = site_audience(session, env, site, day)
    out.warnings += [f"{site.url}: {m}" for m in audience.describe()]
    queue(session, env, audience.people, key=key, template=template, now=now,
          context={**context, "missing": audience.missing}, link=link)


def close_period(uow: UnitOfWork, period: HolidayPeriod) -> int:
    """At the window's end: incidents still open end with it (no recovery notice: nobody
    watches any more), streaks start afresh next window. Returns how many were cut."""
    with uow:
        session = uow.session
        uow.lock(f"careops.watch.{period.id}")
        cut = session.scalars(select(SiteIncident).where(
            SiteIncident.period_id == period.id, SiteIncident.ended_at.is_(None))).all()
        for incident in cut:
            incident.ended_at = period.end
        for site in session.scalars(select(MonitoredSite).where(MonitoredSite.fail_streak > 0)):
            site.fail_streak, site.failing_since = 0, None
        uow.commit()
    return len(cut)
