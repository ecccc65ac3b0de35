"""The database of benchmarks/staff_pages.py: per client one person of each page and their item.

`seed(url, clients, calls, secret, now)` fills a fresh database through the ordinary services
(tests.support.factories.World for the people and projects) and returns each client's path of
each page, the personal link made with careops.staff_links.StaffLinks and the server's key with
the scope, subject and expiry the page's mails give it. Person n reads English when n % 5 == 0
(`english`), Chinese otherwise.

- calls (R1): CS person CSnnn owning `calls` projects delivered in January; `plan_month` for
  the month of `now` makes their callbacks, a third with a "not reached" attempt
  (`outcomes.record_outcome`). Link: scope "calls", the month, `call_list_expiry`.
- case (R6): one complaint each, opened by `cases.steps.open_case` at `now`. Link: scope
  "case", `case:<id>`, `case_link_expiry`.
- alert (R3), weekly (R4), fault (R5): TS person TSnnn is the TS contact of project Tnnn
  (manager MGR) which has a monitored site, two callbacks recorded this week and a fault.
  alert: the site fails three 5-minute rounds up to `now` (`watch.rounds.record_round`, one
  site per call so that no round is grouped) in the holiday period the watch plans at `now`
  (`current_or_next`: 2026 Spring Festival for the script's clock; its window opens a few days
  later, the page does not look at it): an incident alerted to TSnnn and the CS person on duty.
  Link: scope "alert", `incident:<id>`, the period's end (as rounds.py). weekly: the ISO week of
  `now`. Link: scope "weekly", the week, `link_expires(meeting day)` (as weekly/steps.py).
  fault: a major fault reported at `now` (`faults.steps.report_fault`, the notice mails queued).
  Link: the TS contact's resolve step, `fault:<id>:resolve`, `links.expiry` (as
  faults/links.py).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

KINDS = ("calls", "alert", "weekly", "fault", "case")


def english(n: int) -> bool:
    return n % 5 == 0


def seed(url: str, clients: int, calls: int, secret: str, now: datetime
         ) -> dict[str, list[str]]:
    """Each client's path of each page (every kind is seeded, whichever is measured)."""
    os.environ.update({"CAREOPS_DATABASE_URL": url, "CAREOPS_WEB__SECRET_KEY": secret})
    from careops.db.engine import make_engine
    from careops.db.migrate import upgrade
    from careops.staff_links import StaffLinks

    upgrade(url)
    engine = make_engine(url)
    links = StaffLinks(secret, "")
    try:
        paths = _callbacks_and_cases(engine, links, clients, calls, now)
        paths.update(_ts_pages(engine, links, clients, now))
    finally:
        engine.dispose()
    return paths


def _token(links, person, scope: str, subject: str, expires: datetime) -> str:
    return f"/staff/{scope}/" + links.token(
        staff_id=person.id, recipient=person.email, generation=person.link_generation or 0,
        scope=scope, subject=subject, expires=expires)


def _callbacks_and_cases(engine, links, clients: int, calls: int, now: datetime
                         ) -> dict[str, list[str]]:
    from sqlalchemy import select

    from careops.bootstrap import get_calendar
    from careops.db.models.callbacks import Callback, CallbackOutcome
    from careops.db.models.cases import Case
    from careops.db.models.common import Staff
    from careops.db.uow import UnitOfWork
    from careops.months import Month
    from careops.rules.cases import CaseKind, Channel
    from careops.services.callbacks.my_calls import call_list_expiry
    from careops.services.callbacks.outcomes import OutcomeInput, record_outcome
    from careops.services.callbacks.planning import plan_month
    from careops.services.cases.notices import CaseEnv, case_link_expiry
    from careops.services.cases.steps import CaseIntake, open_case
    from careops.settings import get_settings
    from tests.support.factories import World

    uow = UnitOfWork(engine)
    world = World(uow)
    month = Month(now.year, now.month)
    people = []
    for n in range(clients):
        code = f"CS{n:03d}"
        staff_id = world.staff(code, name=f"客服{n}", locale="en" if english(n) else "zh_CN")
        for k in range(calls):
            customer = world.customer(f"C{n:03d}{k:02d}", name=f"上海第{n}-{k}号科技有限公司")
            world.project(f"P{n:03d}{k:02d}", customer, date(2026, 1, 1 + k % 28),
                          cs_owner_id=staff_id)
        people.append((staff_id, code))
    plan_month(UnitOfWork(engine), month, get_calendar(), now)
    with uow:
        callback_ids = list(uow.session.scalars(select(Callback.id).order_by(Callback.id)))
    for callback_id in callback_ids[::3]:
        record_outcome(UnitOfWork(engine), callback_id, OutcomeInput(
            CallbackOutcome.NOT_REACHED, None, "关机，明天再打", None, recorded_by="bench"), now)
    env = CaseEnv.from_settings(get_settings())
    cases = {}
    for staff_id, code in people:
        result = open_case(UnitOfWork(engine), CaseIntake(
            kind=CaseKind.COMPLAINT, text="网站后台登录后白屏，已经两天了 <b>急</b>",
            taken_by=code, project_code=f"P{code[2:]}00", channel=Channel.PHONE,
            received_at=now), env, now)
        cases[staff_id] = result.case_id
    paths: dict[str, list[str]] = {"calls": [], "case": []}
    with uow:
        staff = {s.id: s for s in uow.session.scalars(select(Staff))}
        due = {c.id: c.due_at for c in uow.session.scalars(select(Case))}
        for staff_id, _code in people:
            person, case_id = staff[staff_id], cases[staff_id]
            paths["calls"].append(_token(links, person, "calls", str(month),
                                         call_list_expiry(month)))
            paths["case"].append(_token(links, person, "case", f"case:{case_id}",
                                        case_link_expiry(due[case_id], now)))
    return paths


def _ts_pages(engine, links, clients: int, now: datetime) -> dict[str, list[str]]:
    """R3, R4 and R5: TSnnn, TS contact of project Tnnn (a site, two callbacks, a fault)."""
    from sqlalchemy import select

    from careops.db.models.callbacks import Callback
    from careops.db.models.common import Department, Staff, StaffRole
    from careops.db.models.faults import Fault
    from careops.db.models.watch import DutyShift, MonitoredSite, SiteIncident
    from careops.db.uow import UnitOfWork
    from careops.rules.faults import FaultSeverity
    from careops.rules.holidays import current_or_next
    from careops.rules.site_conditions import Response
    from careops.rules.weekly import IsoWeek
    from careops.services.faults import links as fault_links
    from careops.services.faults.env import FaultEnv
    from careops.services.faults.steps import FaultReport, report_fault
    from careops.services.watch.acks import incident_subject
    from careops.services.watch.notices import WatchEnv
    from careops.services.watch.rounds import record_round
    from careops.services.weekly.meetings import WeeklyEnv, link_expires, meeting_date
    from careops.settings import get_settings
    from tests.support.factories import World

    settings = get_settings()
    watch_env, fault_env = WatchEnv.from_settings(settings), FaultEnv.from_settings(settings)
    weekly_env = WeeklyEnv.from_settings(settings)
    tz = settings.tz
    uow = UnitOfWork(engine)
    world = World(uow)
    world.staff("TSH", Department.TS, role=StaffRole.HEAD, name="周主任")
    world.staff("TSSUP", Department.TS, role=StaffRole.SUPERVISOR, name="吴主管")
    world.staff("CSH", Department.CS, role=StaffRole.HEAD, name="王丽娟")
    world.staff("BOSS", Department.LEADERSHIP, name="钱总")
    manager = world.staff("MGR", Department.TS, role=StaffRole.MANAGER, name="赵经理")
    duty = world.staff("CSD", Department.CS, name="值班客服")
    monday = now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday())
    people, sites = [], {}
    for n in range(clients):
        ts = world.staff(f"TS{n:03d}", Department.TS, name=f"技术{n}",
                         locale="en" if english(n) else "zh_CN")
        customer = world.customer(f"T{n:03d}", name=f"杭州第{n}号网络有限公司")
        project = world.project(f"T{n:03d}", customer, date(2025, 2, 10), manager_id=manager,
                                ts_contact_id=ts)
        people.append(ts)
        with uow:
            site = MonitoredSite(url=f"https://t{n:03d}.example.cn", project_id=project,
                                 keyword=None)
            uow.session.add(site)
            for seq, outcome, day in ((20, "reached", monday), (21, "not_reached", monday
                                                                 + timedelta(days=1))):
                uow.session.add(Callback(
                    project_id=project, anchor_date=date(2025, 2, 10), seq=seq, due_date=day,
                    month=f"{day:%Y-%m}", assignee_id=duty, status="done", outcome=outcome,
                    satisfaction=5 if outcome == "reached" else None, recorded_by="值班客服",
                    recorded_at=min(now, datetime.combine(day, datetime.min.time(), tz)
                                    + timedelta(hours=10))))
            uow.session.flush()
            sites[ts] = site.id
            uow.commit()
    with uow:
        uow.session.add(DutyShift(day=now.astimezone(tz).date(), staff_id=duty))
        uow.commit()
    period = current_or_next(now, watch_env.calendar, tz, watch_env.holidays)
    assert period is not None and now < period.end, period
    rounds = [now - timedelta(minutes=5 * k)
              for k in reversed(range(watch_env.rules.failures_to_alert))]
    down = Response(elapsed_ms=10, error="cannot connect: Connection refused")
    for at in rounds:
        for site_id in sites.values():  # one site a call: no grouped round
            record_round(UnitOfWork(engine), watch_env, period, at, {site_id: down}, at)
    faults = {}
    for n, ts in enumerate(people):
        faults[ts] = report_fault(UnitOfWork(engine), FaultReport(
            project_code=f"T{n:03d}", occurred_at=now - timedelta(minutes=40),
            place="主站 Web 服务器", symptoms="首页 502，用户无法登录 <b>急</b>",
            handling_plan="切换备用节点，排查数据库", severity=FaultSeverity.MAJOR,
            reporter=f"技术{n}"), fault_env, now).fault_id
    week = IsoWeek.of(now.astimezone(tz).date())
    weekly_until = link_expires(meeting_date(week, weekly_env), tz)
    paths: dict[str, list[str]] = {"alert": [], "weekly": [], "fault": []}
    with uow:
        session = uow.session
        incidents = {i.site_id: i.id for i in session.scalars(select(SiteIncident))}
        for ts in people:
            person = session.get(Staff, ts)
            paths["alert"].append(_token(links, person, "alert",
                                         incident_subject(incidents[sites[ts]]), period.end))
            paths["weekly"].append(_token(links, person, "weekly", str(week), weekly_until))
            fault = session.get(Fault, faults[ts])
            paths["fault"].append(_token(
                links, person, fault_links.SCOPE, fault_links.subject(fault.id, "resolve"),
                fault_links.expiry(fault, "resolve", now)))
    return paths
