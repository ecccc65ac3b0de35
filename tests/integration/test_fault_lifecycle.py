"""R5 end to end on a real database and SMTP server, with a frozen clock for the timers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.faults import Fault, FaultNotice
from careops.db.models.outbox import OutboxMessage
from careops.rules.faults import FaultSeverity, FaultState
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import fault_timeline, open_faults
from careops.services.faults.steps import (
    AnalysisInput,
    file_fault,
    report_fault,
    resolve_fault,
    submit_analysis,
    update_fault,
)
from careops.services.faults.watch import watch_faults
from tests.integration.fault_world import (
    BIZ,
    CS_HEAD,
    CUSTOMER,
    LEADER,
    MANAGER,
    SALES,
    START,
    TS_CONTACT,
    TS_HEAD,
    TS_SUP,
    Harness,
    build_world,
    report,
)

ANALYSIS = AnalysisInput("主站不可用 40 分钟", "切换备用节点", "数据库连接池耗尽", "扩容连接池",
                         "增加连接数监控告警", "韩梅梅")


@pytest.fixture
def h(uow, settings, smtp) -> Harness:
    build_world(uow)
    return Harness(uow, FaultEnv.from_settings(settings), FrozenClock(START), smtp, settings)


def _watch(h: Harness, minutes: float = 0, **delta) -> dict[str, list[str]]:
    h.clock.advance(minutes=minutes, **delta)
    watch_faults(h.uow, h.env, h.clock())
    return h.deliver()


def test_full_lifecycle_of_a_major_fault(h):
    r = report_fault(h.uow, report(), h.env, h.clock())
    got = h.deliver()
    assert sorted(got) == sorted([SALES, MANAGER, TS_CONTACT, TS_HEAD, CS_HEAD])
    assert all(len(v) == 1 and "故障通报" in v[0] for v in got.values())
    (mail,) = h.smtp.to(SALES)
    assert "首页 502" in mail.text() and "切换备用节点" in mail.text() and "李雷" in mail.text()

    assert _watch(h, 29) == {}  # not due yet
    got = _watch(h, 1)  # 30 min unfiled: a reminder to the manager only
    assert list(got) == [MANAGER] and "尚未备案" in got[MANAGER][0]
    with h.uow:
        fault = h.uow.session.get(Fault, r.fault_id)
        assert fault.timer_count == 1 and fault.state == FaultState.REPORTED

    got = _watch(h, 30)  # second chase: escalation to leadership, stating it is unfiled
    assert sorted(got) == [LEADER, MANAGER] and "Fault escalation" in got[LEADER][0]

    file_fault(h.uow, r.fault_id, "赵经理", h.env, h.clock(), comment="已安排抢修")
    got = h.deliver()
    assert list(got) == [LEADER] and "filed" in got[LEADER][0]
    assert _watch(h, 600) == {}  # filing stopped the chase at once

    update_fault(h.uow, r.fault_id, "备用节点已接管", "李雷", h.env, h.clock())
    got = h.deliver()
    assert list(got) == [MANAGER] and "故障进展" in got[MANAGER][0]

    resolved_at = datetime(2026, 9, 30, 7, 0, tzinfo=UTC)  # Wed 15:00, before National Day
    h.clock.now = resolved_at
    resolve_fault(h.uow, r.fault_id, "数据库连接池扩容后恢复", "李雷", h.env, h.clock())
    got = h.deliver()
    assert list(got) == [TS_SUP] and "2026年10月9日 24:00" in got[TS_SUP][0]
    with h.uow:
        due = h.uow.session.get(Fault, r.fault_id).analysis_due_at
    # 2 working days after 30 Sep: the holiday runs 1-7 Oct, so 8 and 9 Oct; 24:00 of 9 Oct
    assert due == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)

    h.clock.now = datetime(2026, 10, 8, 16, 0, tzinfo=UTC)  # 24 h before the deadline
    got = _watch(h)
    assert list(got) == [TS_SUP] and "催办" in got[TS_SUP][0]
    h.clock.now = due
    got = _watch(h)
    assert sorted(got) == [MANAGER, TS_SUP] and "逾期" in got[MANAGER][0]

    submit_analysis(h.uow, r.fault_id, ANALYSIS, h.env, h.clock())
    got = h.deliver()
    assert sorted(got) == sorted([CUSTOMER, BIZ])
    (to_customer,) = h.smtp.to(CUSTOMER)
    assert to_customer.envelope_to == [CUSTOMER]  # alone: no internal address shown
    body = to_customer.text()
    for part in ("数据库连接池耗尽", "扩容连接池", "增加连接数监控告警"):
        assert part in body
    assert "时间线" not in body and "filed" not in body  # the internal timeline is BIZ's
    assert "时间线" in h.smtp.to(BIZ)[0].text()
    assert MANAGER not in body and MANAGER not in to_customer.html()
    assert _watch(h, hours=100) == {}  # closed: no more chases

    view = fault_timeline(h.uow, r.fault_id)
    assert view.state == "closed" and view.closed_at == due
    kinds = [e.kind for e in view.timeline]
    for step in ("reported", "filed", "escalated", "update", "resolved", "analysed", "closed"):
        assert step in kinds
    notices = [e for e in view.timeline if e.kind.startswith("notice:")]
    assert all("sent" in e.delivery for e in notices)
    assert open_faults(h.uow, h.clock()) == []


def test_minor_fault_goes_to_ts_only_and_is_not_chased(h):
    report_fault(h.uow, report(FaultSeverity.MINOR), h.env, h.clock())
    assert sorted(h.deliver()) == [TS_CONTACT, TS_HEAD]
    assert _watch(h, hours=10) == {}


def test_unfiled_chases_repeat_at_the_interval_and_stop_at_the_limit(h):
    r = report_fault(h.uow, report(), h.env, h.clock())
    h.deliver()
    seen = [_watch(h, 30) for _ in range(6)]
    assert list(seen[0]) == [MANAGER]
    assert [sorted(s) for s in seen[1:4]] == [[LEADER, MANAGER]] * 3
    assert seen[4:] == [{}, {}]  # limit 4 reached: silence, recorded once
    view = fault_timeline(h.uow, r.fault_id)
    assert [e.kind for e in view.timeline].count("chase-limit") == 1
    with h.uow:
        keys = h.uow.session.scalars(
            select(FaultNotice.outbox_key).where(FaultNotice.purpose == "filing_escalation"))
        tags = {key.split(":")[3] for key in keys}  # one mail per locale per chase
    assert tags == {"filing-2", "filing-3", "filing-4"}


def test_a_late_sweep_sends_one_chase_not_a_storm(h):
    report_fault(h.uow, report(), h.env, h.clock())
    h.deliver()
    got = _watch(h, 95)  # three chases were due: only the latest goes out
    assert sorted(got) == [LEADER, MANAGER] and all(len(v) == 1 for v in got.values())


def test_leadership_falls_back_to_configured_addresses(uow, settings, smtp):
    build_world(uow, leadership_staff=False)
    h = Harness(uow, FaultEnv.from_settings(settings), FrozenClock(START), smtp, settings)
    r = report_fault(h.uow, report(), h.env, h.clock())
    file_fault(h.uow, r.fault_id, "赵经理", h.env, h.clock())
    got = h.deliver()
    assert "leadership@careops.local" in got


def test_every_notice_is_recorded_with_its_delivery_status(h):
    r = report_fault(h.uow, report(), h.env, h.clock())
    with h.uow:
        rows = h.uow.session.execute(
            select(FaultNotice.recipients, OutboxMessage.status)
            .join(OutboxMessage, OutboxMessage.key == FaultNotice.outbox_key)
            .where(FaultNotice.fault_id == r.fault_id)).all()
    assert {status for _r, status in rows} == {"pending"}
    assert sum(len(rcpt.split(",")) for rcpt, _s in rows) == 5
    h.deliver()
    view = fault_timeline(h.uow, r.fault_id)
    (notice,) = [e for e in view.timeline if e.kind == "notice:notice"]
    assert notice.delivery.endswith("sent") and SALES in notice.details
