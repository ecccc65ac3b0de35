"""The lease of the run watching a window: one holder at a time, a stale one taken over."""

from __future__ import annotations

from datetime import timedelta

from careops.db.models.watch import WatchPeriod
from careops.services.watch.periods import claim, release, renew, unreported
from tests.integration.watch_world import PERIOD, slot


def test_one_holder_and_a_stale_lease_is_taken_over(uow):
    now = slot(0)
    assert claim(uow, PERIOD, "run-a", now, 15)
    assert not claim(uow, PERIOD, "run-b", now + timedelta(minutes=10), 15)
    assert renew(uow, PERIOD.id, "run-a", now + timedelta(minutes=12))
    assert not claim(uow, PERIOD, "run-b", now + timedelta(minutes=26), 15)
    assert claim(uow, PERIOD, "run-b", now + timedelta(minutes=28), 15)  # a silent over 15 min
    assert not renew(uow, PERIOD.id, "run-a", now + timedelta(minutes=29))  # a must stop
    release(uow, PERIOD.id, "run-a")  # not its lease any more: no effect
    with uow:
        assert uow.session.get(WatchPeriod, PERIOD.id).holder == "run-b"
    release(uow, PERIOD.id, "run-b")
    assert claim(uow, PERIOD, "run-c", now + timedelta(minutes=30), 15)


def test_unreported_periods_are_those_watched_without_a_report(uow):
    claim(uow, PERIOD, "run-a", slot(0), 15)
    assert unreported(uow) == []  # no round stored yet
    with uow:
        uow.session.get(WatchPeriod, PERIOD.id).rounds = 3
        uow.commit()
    assert unreported(uow) == [PERIOD.id]
