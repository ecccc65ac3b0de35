"""R3 periods in the database: the lease of the run watching a window, and the readiness check.

One `holiday-watch` run watches a whole window (see flows/holiday_watch.py). It holds the
period's lease (`holder`, `heartbeat_at`), renewed every round; a run that finds the lease held
and fresh leaves at once, one that finds it stale (the holder crashed) takes over and goes on
from the stored state.

Plans: every step stores the period's current plan on its row (days, window, `provisional`).
`replan` re-plans a period from the calendar as it is now: when an unpublished year's file
arrives, its provisional window is replaced by the published one (same id; extended,
shortened or moved), and a period the published calendar no longer has is its stored plan,
so rounds already watched are still reported. A readiness mail sent on a provisional plan is
sent once more on the published one (if a run comes before the window opens).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from careops.clock import utcnow
from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.common import Project, Staff
from careops.db.models.watch import DutyShift, MonitoredSite, WatchPeriod
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError
from careops.rules.holidays import HOLIDAYS, HolidayPeriod, period_by_id
from careops.rules.site_conditions import Conditions, Response, cert_expires_before, judge
from careops.services.watch.notices import WatchEnv, cs_head, queue, ts_head


def _row(uow: UnitOfWork, period: HolidayPeriod | str) -> WatchPeriod:
    """The period's row (created if missing), locked; its plan stored when `period` is given."""
    period_id = period if isinstance(period, str) else period.id
    insert_ignoring_duplicates(uow.session, WatchPeriod, [
        {"id": period_id, "rounds": 0, "created_at": utcnow()}], ["id"])
    row = uow.session.get(WatchPeriod, period_id, with_for_update=uow.dialect == "postgresql")
    assert row is not None
    if not isinstance(period, str):
        store_plan(row, period)
    return row


def store_plan(row: WatchPeriod, period: HolidayPeriod) -> bool:
    """Store `period`'s plan on its row; True when it replaced a different stored plan."""
    plan = (period.first_day, period.last_day, period.start, period.end, period.provisional)
    before = (row.first_day, row.last_day, row.start, row.end, row.provisional)
    row.first_day, row.last_day, row.start, row.end, row.provisional = plan
    return before[2] is not None and before != plan


def stored_period(row: WatchPeriod, env: WatchEnv) -> HolidayPeriod | None:
    """The period as last planned, from its row (None when no plan was stored)."""
    if row.start is None or row.end is None or row.first_day is None or row.last_day is None:
        return None
    key = row.id.partition("-")[2]
    start, end = row.start.astimezone(env.tz), row.end.astimezone(env.tz)
    return HolidayPeriod(row.id, (key,), (HOLIDAYS.get(key, (key,))[0],), row.first_day,
                         row.last_day, start.date(), start, end, row.provisional)


def replan(uow: UnitOfWork, env: WatchEnv, period_id: str) -> HolidayPeriod | None:
    """`period_id` as the calendar plans it now (a provisional window replaced by the published
    one once its file is there), stored on its row if it has one; a period the calendar no
    longer has is its stored plan (None if none was stored)."""
    try:
        period: HolidayPeriod | None = period_by_id(period_id, env.calendar, env.tz,
                                                    env.holidays)
    except CareopsError:
        period = None
    with uow:
        uow.lock(f"careops.watch.{period_id}")
        row = uow.session.get(WatchPeriod, period_id)
        if row is None:
            return period
        if period is None:
            return stored_period(row, env)
        store_plan(row, period)
        uow.commit()
    return period


def claim(uow: UnitOfWork, period: HolidayPeriod, holder: str, now: datetime,
          lease_minutes: int) -> bool:
    """Take the period's lease for `holder` unless another holder renewed it recently."""
    with uow:
        uow.lock(f"careops.watch.{period.id}")
        row = _row(uow, period)
        stale = row.heartbeat_at is None or now - row.heartbeat_at > timedelta(
            minutes=lease_minutes)
        if row.holder not in (None, holder) and not stale:
            return False
        row.holder, row.heartbeat_at = holder, now
        uow.commit()
        return True


def renew(uow: UnitOfWork, period_id: str, holder: str, now: datetime) -> bool:
    """Renew the lease; False when someone else took it over (this run should stop)."""
    with uow:
        uow.lock(f"careops.watch.{period_id}")
        row = _row(uow, period_id)
        if row.holder != holder:
            return False
        row.heartbeat_at = now
        uow.commit()
        return True


def release(uow: UnitOfWork, period_id: str, holder: str) -> None:
    with uow:
        uow.lock(f"careops.watch.{period_id}")
        row = _row(uow, period_id)
        if row.holder == holder:
            row.holder, row.heartbeat_at = None, None
        uow.commit()


def unpublished_year(env: WatchEnv, period: HolidayPeriod) -> int | None:
    """The first year a provisional period's window depends on whose calendar is unpublished."""
    if not period.provisional:
        return None
    last = period.end.astimezone(env.tz).year
    return next((y for y in range(period.last_working_day.year, last + 1)
                 if env.calendar.is_provisional(y)), None)


def calendar_missing(uow: UnitOfWork, env: WatchEnv, year: int, now: datetime,
                     period: HolidayPeriod | None = None) -> bool:
    """Tell ops once per year that `year`'s calendar is not published (config/calendar/
    YYYY.toml), naming the provisional window watched meanwhile (`period`) if there is one;
    True when the mail was queued now."""
    from careops.services.watch.notices import Person

    with uow:
        queued = env.mailer.queue(
            uow.session, key=f"watch-calendar:{year}", template="watch_calendar_missing",
            to=[Person(env.ops_email, env.default_locale, "ops").email],
            context={"year": year, "period": period}, now=now)
        uow.commit()
    return queued


def unreported(uow: UnitOfWork) -> list[str]:
    """Periods watched (some rounds stored) whose report has not been mailed yet."""
    with uow:
        return list(uow.session.scalars(select(WatchPeriod.id).where(
            WatchPeriod.reported_at.is_(None), WatchPeriod.rounds > 0).order_by(WatchPeriod.id)))


@dataclass
class Readiness:
    period_id: str
    sites: int = 0
    down: list[dict] = field(default_factory=list)  # url, project, error
    certificates: list[dict] = field(default_factory=list)  # url, project, expires_at
    no_contact: list[dict] = field(default_factory=list)  # url, project
    no_duty: list[str] = field(default_factory=list)  # ISO dates
    mailed: bool = False

    @property
    def problems(self) -> int:
        return len(self.down) + len(self.certificates) + len(self.no_contact) + len(self.no_duty)

    def rows(self) -> list[dict]:
        out = [{"what": "site down", "site": d["url"], "project": d["project"],
                "detail": d["error"]} for d in self.down]
        out += [{"what": "certificate expires", "site": c["url"], "project": c["project"],
                 "detail": c["expires_at"].isoformat()} for c in self.certificates]
        out += [{"what": "no TS contact", "site": n["url"], "project": n["project"],
                 "detail": ""} for n in self.no_contact]
        out += [{"what": "nobody on duty", "site": "", "project": "", "detail": d}
                for d in self.no_duty]
        return out


def readiness(uow: UnitOfWork, env: WatchEnv, period: HolidayPeriod,
              results: dict[int, Response], now: datetime) -> Readiness:
    """Check what must be fixed before the window and mail the CS and TS heads once."""
    report = Readiness(period.id)
    deadline = period.end + timedelta(days=env.rules.cert_margin_days)
    with uow:
        session = uow.session
        uow.lock(f"careops.watch.{period.id}")
        row = _row(uow, period)
        sites = session.scalars(select(MonitoredSite).where(MonitoredSite.active.is_(True))
                                .order_by(MonitoredSite.url)).all()
        report.sites = len(sites)
        for site in sites:
            project: Project = site.project
            entry = {"url": site.url, "project": f"{project.code} {project.name}"}
            response = results.get(site.id)
            if response is not None:
                verdict = judge(response, Conditions.parse(
                    site.expected_status, site.keyword, site.max_response_ms), now)
                if not verdict.ok:
                    report.down.append({**entry, "error": verdict.reason})
                if cert_expires_before(response.cert_expires_at, deadline):
                    report.certificates.append({**entry, "expires_at": response.cert_expires_at})
            contact = session.get(Staff, project.ts_contact_id) if project.ts_contact_id else None
            if contact is None or not contact.active:
                report.no_contact.append(entry)
        rostered = set(session.scalars(select(DutyShift.day).where(
            DutyShift.day.in_(period.window_dates()))))
        report.no_duty = [d.isoformat() for d in period.window_dates() if d not in rostered]
        # once per period; once more when a provisional plan's readiness is superseded by
        # the published calendar's (its window and roster days may differ)
        again = row.readiness_at is not None and row.readiness_provisional and (
            not period.provisional)
        if row.readiness_at is None or again:
            people = [cs_head(session, env)] + [p for p in (ts_head(session, env),) if p]
            key = f"watch-readiness:{period.id}" + (":published" if again else "")
            queue(session, env, people, key=key, template="watch_readiness", now=now,
                  context={"period": period, "readiness": report, "checked_at": now,
                           "margin_days": env.rules.cert_margin_days,
                           "replaces": row.readiness_at if again else None})
            row.readiness_at, row.readiness_provisional = now, period.provisional
            report.mailed = True
        uow.commit()
    return report
