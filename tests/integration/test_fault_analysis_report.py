"""R5 analysis report: the customer gets customer-facing facts only, BIZ the full report, and a
customer without an e-mail address is flagged, never "sent" (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from careops.clock import FrozenClock
from careops.db.models.common import Customer
from careops.db.models.faults import FaultNotice
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import fault_timeline
from careops.services.faults.steps import (
    AnalysisInput,
    file_fault,
    report_fault,
    resolve_fault,
    submit_analysis,
)
from careops.services.faults.watch import watch_faults
from tests.integration.fault_world import (
    BIZ,
    CUSTOMER,
    MANAGER,
    START,
    TS_SUP,
    Harness,
    build_world,
    report,
)

ANALYSIS = AnalysisInput("主站不可用 40 分钟", "切换备用节点后恢复", "数据库连接池耗尽",
                         "扩容连接池", "增加连接数监控告警", "韩梅梅")


@pytest.fixture
def h(uow, settings, smtp) -> Harness:
    build_world(uow)
    return Harness(uow, FaultEnv.from_settings(settings), FrozenClock(START), smtp, settings)


def _chased_and_resolved(h: Harness) -> int:
    fid = report_fault(h.uow, report(), h.env, h.clock()).fault_id
    h.clock.advance(minutes=31)
    watch_faults(h.uow, h.env, h.clock())  # chase:filing_reminder on the timeline
    file_fault(h.uow, fid, "赵经理", h.env, h.clock(), comment="内部备注：客户很难缠")
    h.clock.advance(hours=1)
    resolve_fault(h.uow, fid, "值班工程师李雷重启数据库", "李雷", h.env, h.clock(),
                  ended_at=h.clock() - timedelta(minutes=20))
    h.clock.advance(days=4)
    watch_faults(h.uow, h.env, h.clock())  # an overdue analysis chase
    h.deliver()
    return fid


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_customer_gets_customer_facing_facts_only(h, locale):
    with h.uow:
        h.uow.session.scalars(select(Customer)).one().locale = locale
        h.uow.commit()
    fid = _chased_and_resolved(h)
    submit_analysis(h.uow, fid, ANALYSIS, h.env, h.clock())
    got = h.deliver()
    assert sorted(got) == [BIZ, CUSTOMER]
    (mail,) = h.smtp.to(CUSTOMER)
    for body in (mail.text(), mail.html()):
        for fact in ("主站不可用 40 分钟", "切换备用节点后恢复", "数据库连接池耗尽", "扩容连接池",
                     "增加连接数监控告警"):
            assert fact in body
        assert "2026" in body  # the times of the fault
        for internal in ("chase", "notice:", "filing", "overdue", "逾期", "时间线", "Timeline",
                         "李雷", "赵经理", "韩梅梅", "客户很难缠", MANAGER, TS_SUP, "careops fault",
                         "员工"):
            assert internal not in body, internal
    (full,) = h.smtp.to(BIZ)
    for part in ("chase:filing_reminder", "数据库连接池耗尽", "韩梅梅", "时间线"):
        assert part in full.text()


def test_a_customer_without_email_is_flagged_never_recorded_as_sent(h):
    with h.uow:
        h.uow.session.scalars(select(Customer)).one().contact_email = None
        h.uow.commit()
    fid = _chased_and_resolved(h)
    result = submit_analysis(h.uow, fid, ANALYSIS, h.env, h.clock())
    assert result.state == "closed"
    assert any("no e-mail address" in w and "联系人C1" in w for w in result.warnings)
    assert list(h.deliver()) == [BIZ]
    with h.uow:
        purposes = h.uow.session.scalars(
            select(FaultNotice.recipients).where(FaultNotice.purpose == "report")).all()
    assert purposes == [BIZ]
    timeline = fault_timeline(h.uow, fid).timeline
    closed = [e for e in timeline if e.kind == "closed"][0]
    assert "customer" in closed.details and "not sent" in closed.details
    assert not any("sent to customer" in e.details for e in timeline)
    assert "no e-mail address" in [e for e in timeline if e.kind == "unreached"][-1].details
