"""The simulation's invariant checker finds what it is there to find (so it can fail)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from careops.bootstrap import get_mailer
from careops.clock import FrozenClock
from careops.db.models.callbacks import Callback, CallbackMonth, CallbackStatus
from careops.simulation import invariants
from careops.simulation.core import Agenda, Sim
from tests.support.factories import World

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 4, 2, 9, 0, tzinfo=TZ)


def _sim(settings, uow) -> Sim:
    return Sim(FrozenClock(NOW), settings, uow.engine, Agenda(), random.Random(1), 1.0, 1)


def test_the_same_mail_under_two_keys_and_mail_never_sent_are_violations(settings, uow):
    sim = _sim(settings, uow)
    with uow:
        for key in ("watch-calendar:2027", "watch-calendar:2027:again"):
            get_mailer().queue(
                uow.session,
                key=key,
                template="watch_calendar_missing",
                to=["ops@careops.local"],
                context={"year": 2027},
                now=NOW,
            )
        uow.commit()
    found = invariants.mail_once(sim, Counter({"<unknown@careops>": 2}))
    assert any("queued 2 times" in v and "watch_calendar_missing" in v for v in found)
    assert sum("not delivered: pending" in v for v in found) == 2
    assert "mail <unknown@careops> received 2 times" in found


def test_a_callback_left_open_in_a_closed_month_is_a_violation(settings, uow):
    sim = _sim(settings, uow)
    w = World(uow)
    project = w.project("P1", w.customer("C1"), date(2025, 12, 10))
    with uow:
        uow.session.add(CallbackMonth(month="2026-03", planned_at=NOW, closed_at=None))
        uow.session.add(
            Callback(
                project_id=project,
                anchor_date=date(2025, 12, 10),
                seq=3,
                due_date=date(2026, 3, 10),
                month="2026-03",
                status=CallbackStatus.OPEN,
                created_at=NOW,
            )
        )
        uow.commit()
    found = invariants.callbacks_closed(sim, datetime(2026, 3, 1, tzinfo=TZ), NOW)
    assert found == [
        "callback month 2026-03 not closed",
        "1 callback(s) of 2026-03 neither done nor missed",
    ]


def test_a_meeting_not_compiled_and_a_window_not_watched_are_violations(settings, uow):
    sim = _sim(settings, uow)
    meetings = invariants.meetings_compiled(
        sim, datetime(2026, 3, 30, tzinfo=TZ), datetime(2026, 4, 6, tzinfo=TZ)
    )
    assert meetings == ["meeting 2026-W14 (2026-04-03) not compiled"]
    windows = invariants.windows_watched(
        sim, datetime(2026, 4, 1, tzinfo=TZ), datetime(2026, 4, 10, tzinfo=TZ)
    )
    assert windows[0] == "window 2026-qingming: 936 of 936 rounds not run"
    assert windows[1] == "window 2026-qingming: availability report not mailed"


def test_a_callback_created_twice_for_the_same_day_is_a_violation(settings, uow):
    sim = _sim(settings, uow)
    w = World(uow)
    project = w.project("P1", w.customer("C1"), date(2025, 12, 10))
    with uow:
        for seq in (3, 4):  # two rows for one call: the unique key does not catch it
            uow.session.add(
                Callback(
                    project_id=project,
                    anchor_date=date(2025, 12, 10),
                    seq=seq,
                    due_date=date(2026, 3, 10),
                    month="2026-03",
                    status=CallbackStatus.DONE,
                    created_at=NOW,
                )
            )
        uow.commit()
    assert invariants.records_once(sim) == [
        f"callback of project {project} due 2026-03-10 created 2 times"
    ]
