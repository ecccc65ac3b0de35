"""Chaos: the SMTP server is down for a minute while careops queues mail and the outbox relay
keeps trying; it comes back and every mail goes out once, none given up."""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from careops.bootstrap import get_calendar, get_mailer
from careops.clock import DEFAULT_TZ
from careops.db.models.outbox import OutboxStatus
from careops.db.uow import UnitOfWork
from careops.demo import seed_demo
from careops.months import Month
from careops.services.callbacks.planning import plan_and_notify
from tests.chaos.conftest import outbox_rows, process_env, received_ids, start, wait_for
from tests.integration.test_delivery import _enqueue
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.chaos

OUTAGE_SECONDS = 60
BACKOFF_SECONDS = 2  # retries 2, 6, 14, 30, 62 s after the first attempt: max_attempts 8 holds


def test_a_minute_without_smtp_delays_mail_and_loses_none(chaos_engine, chaos_db_url, tmp_path):
    """Figures printed: mails queued, attempts per mail during the outage, the outage and the
    time from SMTP's return to the last mail sent."""
    sink = SmtpSink()  # not started: the server is down
    uow = UnitOfWork(chaos_engine)
    seed_demo(uow, today=date(2026, 11, 1))
    env = process_env(
        chaos_db_url,
        sink,
        smtp__backoff_seconds=str(BACKOFF_SECONDS),
        smtp__relay_interval_seconds="0.5",
    )
    log = tmp_path / "relay.log"
    down_at = time.monotonic()
    relay = start([sys.executable, "-m", "careops.mail.relay"], env, log)
    try:
        # a real process path queues mail during the outage: the month's call lists ...
        planned = plan_and_notify(
            uow, Month.parse("2026-12"), get_calendar(), get_mailer(), datetime.now(UTC), DEFAULT_TZ
        )
        _enqueue(chaos_engine, 200, prefix="outage")  # ... and a mass mailing
        queued = len(outbox_rows(chaos_engine))
        assert len(planned.call_lists) > 3 and queued == 200 + len(planned.call_lists)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        during = Counter(a for *_x, a in outbox_rows(chaos_engine))
        sink.start()
        back_at = time.monotonic()
        wait_for(
            lambda: (
                len(sink.messages) >= queued
                and all(s == OutboxStatus.SENT for _k, _m, s, _a in outbox_rows(chaos_engine))
            ),
            180,
            "every mail sent after SMTP came back",
        )
        recovered = time.monotonic() - back_at
        time.sleep(1)  # a relay that sent anything twice would have done it by now
    finally:
        relay.terminate()
        relay.wait(timeout=120)  # generous: a loaded machine
        sink.stop()
    rows = outbox_rows(chaos_engine)
    got = received_ids(sink)
    text = log.read_text()
    print(
        f"\n[chaos SMTP down] {queued} mails queued during a {back_at - down_at:.0f} s outage "
        f"(backoff {BACKOFF_SECONDS} s); attempts per mail during it "
        f"{dict(sorted(during.items()))}; all sent {recovered:.1f} s after SMTP came back; "
        f"attempts in all {dict(sorted(Counter(a for *_x, a in rows).items()))}"
    )
    assert min(during) >= 3  # retried during the outage, with backoff (not given up)
    assert Counter(s for _k, _m, s, _a in rows) == {OutboxStatus.SENT: queued}
    assert set(got) == {m for _k, m, _s, _a in rows} and set(got.values()) == {1}
    # one line when SMTP went down, one when it came back (not one per backoff period)
    assert text.count("SMTP unreachable") == 1 and text.count("SMTP reachable again") == 1
