"""What must hold after a simulated span; each check returns a list of violations (text)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select

from careops.bootstrap import get_calendar, get_watch_calendar
from careops.calendar import UnknownCalendarYear
from careops.db.models.callbacks import Callback, CallbackMonth, CallbackStatus
from careops.db.models.cases import Case
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.db.models.watch import SiteCheck, WatchPeriod
from careops.db.models.weekly import WeeklyMeeting
from careops.months import Month
from careops.rules import weekly as weekly_rules
from careops.rules.holidays import HolidayPeriod, periods_starting_in, round_times
from careops.rules.weekly import IsoWeek
from careops.simulation.core import Sim

NO_RECIPIENT = "no usable recipient"  # stored failed at once by design (careops.outbox)
# what differs between two renderings of the same mail: MIME boundaries, image Content-IDs
_VARYING = re.compile(r"=+[0-9a-f]{6,}==|cid:[^\"'>\s]+|Content-ID: <[^>]*>", re.IGNORECASE)


def _content(raw: str) -> str:
    """A mail's body as rendered, without what differs between two renderings of it."""
    body = re.split(r"\r?\n\r?\n", raw, maxsplit=1)[-1]
    return hashlib.sha256(_VARYING.sub("", body).encode()).hexdigest()


def check_all(sim: Sim, received: Counter[str], start: datetime, end: datetime) -> list[str]:
    return (
        [f"a run failed: {f}" for f in sim.failures]
        + mail_once(sim, received)
        + records_once(sim)
        + callbacks_closed(sim, start, end)
        + meetings_compiled(sim, start, end)
        + windows_watched(sim, start, end)
    )


def mail_once(sim: Sim, received: Counter[str]) -> list[str]:
    """Every outbox mail delivered exactly once; no mail twice under another key (the same
    category, recipients, subject and body)."""
    out = []
    uow = sim.uow()
    with uow:
        rows = uow.session.execute(
            select(
                OutboxMessage.key,
                OutboxMessage.status,
                OutboxMessage.message_id,
                OutboxMessage.category,
                OutboxMessage.recipients,
                OutboxMessage.subject,
                OutboxMessage.last_error,
                OutboxMessage.raw,
            )
        ).all()
    sent = {r.message_id for r in rows if r.status == OutboxStatus.SENT}
    for r in rows:
        unusable = r.status == OutboxStatus.FAILED and (r.last_error or "").startswith(NO_RECIPIENT)
        if r.status != OutboxStatus.SENT and not unusable:
            out.append(f"mail {r.key} not delivered: {r.status}")
    out += [f"mail {mid} received {n} times" for mid, n in received.items() if n > 1]
    out += [f"mail {mid} sent but never received" for mid in sent - set(received)]
    out += [f"mail {mid} received but not in the outbox" for mid in set(received) - sent]
    same = Counter((r.category, r.recipients, r.subject, _content(r.raw)) for r in rows)
    out += [
        f"{category} {subject!r} to {to} queued {n} times"
        for (category, to, subject, _), n in same.items()
        if n > 1
    ]
    return out


def records_once(sim: Sim) -> list[str]:
    """No callback or case created twice for the same thing."""
    uow = sim.uow()
    with uow:
        s = uow.session
        callbacks = s.execute(
            select(Callback.project_id, Callback.due_date, func.count())
            .group_by(Callback.project_id, Callback.due_date)
            .having(func.count() > 1)
        ).all()
        cases = s.execute(
            select(Case.customer_id, Case.kind, Case.received_at, func.count())
            .group_by(Case.customer_id, Case.kind, Case.received_at)
            .having(func.count() > 1)
        ).all()
    return [f"callback of project {p} due {d} created {n} times" for p, d, n in callbacks] + [
        f"{k} case of customer {c} at {at} created {n} times" for c, k, at, n in cases
    ]


def callbacks_closed(sim: Sim, start: datetime, end: datetime) -> list[str]:
    """Every month closed in the span is closed, its callbacks done, missed or cancelled."""
    out, month = [], Month.of(start.astimezone(sim.tz).date())
    uow = sim.uow()
    with uow:
        s = uow.session
        while (
            datetime.combine(month.next().first_day, datetime.min.time(), sim.tz)
            + timedelta(minutes=30)
            < end
        ):
            row = s.get(CallbackMonth, str(month))
            if row is None or row.closed_at is None:
                out.append(f"callback month {month} not closed")
            still = s.scalar(
                select(func.count())
                .select_from(Callback)
                .where(Callback.month == str(month), Callback.status == CallbackStatus.OPEN)
            )
            if still:
                out.append(f"{still} callback(s) of {month} neither done nor missed")
            month = month.next()
    return out


def meetings_compiled(sim: Sim, start: datetime, end: datetime) -> list[str]:
    """Every R4 meeting whose compile time falls in the span was compiled."""
    out, cal = [], get_calendar()
    rules = sim.settings.weekly
    day = start.astimezone(sim.tz).date()
    with (uow := sim.uow()):
        while day < end.astimezone(sim.tz).date():
            week = IsoWeek.of(day)
            try:
                meeting = weekly_rules.meeting_day(week, cal.is_working_day)
            except UnknownCalendarYear:  # reported as runs waiting for the calendar
                meeting = None
            compile_at = datetime.combine(day, rules.compile_at, sim.tz)
            if meeting == day and start <= compile_at < end:
                row = uow.session.scalar(
                    select(WeeklyMeeting).where(WeeklyMeeting.week == str(week))
                )
                if row is None or row.compiled_at is None:
                    out.append(f"meeting {week} ({day}) not compiled")
            day += timedelta(days=1)
    return out


def periods_in(sim: Sim, start: datetime, end: datetime) -> list[HolidayPeriod]:
    cal, found = get_watch_calendar(), []  # R3 watches provisional windows too
    watched = tuple(sim.settings.holiday_watch.holidays)
    for year in range(start.astimezone(sim.tz).year - 1, end.astimezone(sim.tz).year + 1):
        try:
            found += periods_starting_in(year, cal, sim.tz, watched)
        except Exception:  # noqa: BLE001 - an unpublished year has no periods to check
            continue
    return [p for p in found if p.start < end and p.end > start]


def windows_watched(sim: Sim, start: datetime, end: datetime) -> list[str]:
    """Every slot of every R3 window in the span has a round; a window ended is reported."""
    out = []
    interval = sim.settings.holiday_watch.interval_minutes
    with (uow := sim.uow()):
        for period in periods_in(sim, start, end):
            slots = {t for t in round_times(period, interval) if start <= t < end}
            stored = set(
                uow.session.scalars(
                    select(SiteCheck.at).where(SiteCheck.period_id == period.id).distinct()
                )
            )
            missing = len(slots - stored)
            if missing:
                out.append(f"window {period.id}: {missing} of {len(slots)} rounds not run")
            row = uow.session.get(WatchPeriod, period.id)
            if period.end < end and (row is None or row.reported_at is None):
                out.append(f"window {period.id}: availability report not mailed")
    return out
