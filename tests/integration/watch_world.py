"""Shared set-up of the R3 watch tests: projects with sites, a TS contact, the duty roster."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from careops.calendar import WorkCalendar
from careops.db.models.common import Department, StaffRole
from careops.db.models.watch import DutyShift, MonitoredSite
from careops.db.uow import UnitOfWork
from careops.mail.delivery import deliver_pending
from careops.rules.holidays import period_by_id
from careops.rules.site_conditions import Response
from careops.services.watch.notices import WatchEnv
from tests.support.factories import World

TZ = ZoneInfo("Asia/Shanghai")
PERIOD = period_by_id("2026-national-day", WorkCalendar(), TZ)
TS1, TS2, TS_HEAD, DUTY, DUTY2 = ("ts1@careops.test", "ts2@careops.test", "tsh@careops.test",
                                  "cs2@careops.test", "cs3@careops.test")
OPS = "ops@careops.local"
OK = Response(status=200, elapsed_ms=80, body="欢迎")
DOWN = Response(elapsed_ms=10, error="cannot connect: Connection refused")


def build_watch(uow: UnitOfWork, sites: int = 2, *, urls: list[str] | None = None,
                days: list[date] | None = None) -> list[int]:
    """Two TS contacts, the TS head, CS on duty for the whole window (`days`, default PERIOD's
    window dates: CS2 on odd day numbers, CS3 on even); `sites` sites (the first on project A
    with TS1, the others on project B with TS2). Returns the site ids."""
    w = World(uow)
    w.staff("TSH", Department.TS, role=StaffRole.HEAD)
    w.staff("CSH", Department.CS, role=StaffRole.HEAD)
    ts1, ts2 = w.staff("TS1", Department.TS), w.staff("TS2", Department.TS, locale="en")
    cs2, cs3 = w.staff("CS2", Department.CS), w.staff("CS3", Department.CS)
    a, b = w.customer("CA", name="甲公司"), w.customer("CB", name="乙公司")
    pa = w.project("PA", a, date(2025, 1, 1), ts_contact_id=ts1)
    pb = w.project("PB", b, date(2025, 1, 1), ts_contact_id=ts2)
    urls = urls or [f"https://site{i}.example.cn" for i in range(sites)]
    ids = []
    with uow:
        for day in PERIOD.window_dates() if days is None else days:
            uow.session.add(DutyShift(day=day, staff_id=cs2 if day.day % 2 else cs3))
        for i, url in enumerate(urls):
            site = MonitoredSite(url=url, project_id=pa if i == 0 else pb, keyword=None)
            uow.session.add(site)
            uow.session.flush()
            ids.append(site.id)
        uow.commit()
    return ids


def slot(n: int):
    """The n-th round slot of the window (5-minute rounds)."""
    return PERIOD.start + timedelta(minutes=5 * n)


def deliver(uow: UnitOfWork, settings) -> None:
    deliver_pending(uow.engine, settings.smtp).check()


def env(settings) -> WatchEnv:
    return WatchEnv.from_settings(settings)
