"""R5 validation, transitions, idempotency and concurrent watchers (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from careops.clock import FrozenClock
from careops.db.models.common import Customer
from careops.db.models.faults import Fault, FaultEvent, FaultNotice
from careops.db.models.outbox import OutboxMessage
from careops.errors import CareopsError, InvalidTransition
from careops.rules.faults import FaultReportError
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import UnknownProject
from careops.services.faults.steps import (
    AnalysisInput,
    file_fault,
    report_fault,
    resolve_fault,
    submit_analysis,
    update_fault,
)
from tests.integration.fault_world import (
    BIZ,
    CUSTOMER,
    MANAGER,
    START,
    Harness,
    build_world,
    report,
)
from tests.support.concurrency import run_together

ANALYSIS = AnalysisInput("影响", "处理", "原因", "纠正", "预防", "韩梅梅")


@pytest.fixture
def h(uow, settings, smtp) -> Harness:
    build_world(uow)
    return Harness(uow, FaultEnv.from_settings(settings), FrozenClock(START), smtp, settings)


def _counts(h: Harness) -> tuple[int, int, int, int]:
    with h.uow:
        s = h.uow.session
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (Fault, FaultEvent, FaultNotice, OutboxMessage))


@pytest.mark.parametrize(("over", "error", "match"), [
    ({"project_code": "P-ALPHX"}, UnknownProject, r"'P-ALPHX'; did you mean P-ALPHA"),
    ({"occurred_at": START + timedelta(hours=1)}, FaultReportError, "is in the future"),
    ({"symptoms": "  \n"}, FaultReportError, "symptoms are empty"),
])
def test_bad_reports_are_refused_and_write_nothing(h, over, error, match):
    with pytest.raises(error, match=match):
        report_fault(h.uow, report(**over), h.env, h.clock())
    assert _counts(h) == (0, 0, 0, 0)


def test_the_same_report_twice_is_one_fault(h):
    first = report_fault(h.uow, report(), h.env, h.clock())
    h.clock.advance(minutes=3)  # a retry, with the symptoms re-typed slightly differently
    again = report_fault(h.uow, report(symptoms="首页 502，用户无法登录 "), h.env, h.clock())
    assert (again.fault_id, again.changed, again.notified) == (first.fault_id, False, [])
    assert _counts(h)[0] == 1 and len(h.deliver()) == 5
    keyed = report_fault(h.uow, report(report_key="form-1", symptoms="另一个"), h.env, h.clock())
    assert report_fault(h.uow, report(report_key="form-1", symptoms="另一个"), h.env,
                        h.clock()).fault_id == keyed.fault_id


def test_invalid_transitions_are_refused_with_nothing_half_written(h):
    fid = report_fault(h.uow, report(), h.env, h.clock()).fault_id
    before = _counts(h)
    with pytest.raises(InvalidTransition, match="not filed yet.*unfiled_reason"):
        resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock())
    with pytest.raises(InvalidTransition, match="still open; resolve it before the analysis"):
        submit_analysis(h.uow, fid, ANALYSIS, h.env, h.clock())
    assert _counts(h) == before
    file_fault(h.uow, fid, "赵经理", h.env, h.clock())
    with pytest.raises(InvalidTransition, match="filed already"):
        file_fault(h.uow, fid, "赵经理", h.env, h.clock())
    resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock())
    with pytest.raises(InvalidTransition, match="resolved already"):
        resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock())
    submit_analysis(h.uow, fid, ANALYSIS, h.env, h.clock())
    before = _counts(h)
    with pytest.raises(InvalidTransition, match="no double close"):
        submit_analysis(h.uow, fid, ANALYSIS, h.env, h.clock())
    with pytest.raises(InvalidTransition, match="closed"):
        update_fault(h.uow, fid, "迟到的备注", "李雷", h.env, h.clock())
    assert _counts(h) == before


def test_resolving_unfiled_with_a_reason_stops_the_filing_chase(h):
    fid = report_fault(h.uow, report(), h.env, h.clock()).fault_id
    h.clock.advance(minutes=5)
    resolve_fault(h.uow, fid, "5 分钟内自行恢复", "李雷", h.env, h.clock(),
                  unfiled_reason="故障 5 分钟即恢复，来不及备案")
    with h.uow:
        fault = h.uow.session.get(Fault, fid)
        assert fault.unfiled_reason and fault.timer == "analysis"
        assert fault.timer_due_at > START + timedelta(days=1)


def test_empty_inputs_name_what_is_missing(h):
    fid = report_fault(h.uow, report(), h.env, h.clock()).fault_id
    with pytest.raises(CareopsError, match="progress note is empty"):
        update_fault(h.uow, fid, " ", "李雷", h.env, h.clock())
    file_fault(h.uow, fid, "赵经理", h.env, h.clock())
    resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock())
    with pytest.raises(CareopsError, match="the analysis needs root_cause"):
        submit_analysis(h.uow, fid, AnalysisInput("a", "b", "", "d", "e", "f"), h.env, h.clock())


def watch_in_this_process(now_iso: str) -> int:
    from datetime import datetime

    from careops.db.uow import UnitOfWork
    from careops.services.faults.env import FaultEnv
    from careops.services.faults.watch import watch_faults

    return watch_faults(UnitOfWork(), FaultEnv.from_settings(),
                        datetime.fromisoformat(now_iso)).count


def test_two_watchers_at_once_send_each_chase_once(h, db_url, smtp):
    for i in range(20):
        report_fault(h.uow, report(symptoms=f"故障 {i}"), h.env, h.clock())
    h.deliver()
    env = {"CAREOPS_DATABASE_URL": db_url, "CAREOPS_SMTP__PORT": str(smtp.port)}
    counts = run_together(watch_in_this_process, ((START + timedelta(minutes=31)).isoformat(),),
                          env)
    assert sum(counts) == 20
    got = h.deliver()
    assert list(got) == [MANAGER] and len(got[MANAGER]) == 20


def test_analysis_report_follows_the_customers_language(h):
    with h.uow:
        h.uow.session.scalars(select(Customer)).one().locale = "en"
        h.uow.commit()
    fid = report_fault(h.uow, report(), h.env, h.clock()).fault_id
    file_fault(h.uow, fid, "赵经理", h.env, h.clock())
    resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock())
    submit_analysis(h.uow, fid, ANALYSIS, h.env, h.clock())
    got = h.deliver()
    (to_customer,) = got[CUSTOMER]
    (to_biz,) = got[BIZ]
    assert to_customer.startswith("[Fault analysis report]")  # the customer reads English
    assert to_biz.startswith("【")  # BIZ staff: zh_CN
