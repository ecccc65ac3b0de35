"""R5 analysis deadline: counted from the end of the fault (故障结束后), and never a lost
resolution when the deadline needs a calendar year not published yet (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careops.clock import FrozenClock
from careops.db.models.faults import Fault
from careops.services.faults.env import FaultEnv
from careops.services.faults.queries import fault_timeline, open_faults
from careops.services.faults.steps import file_fault, report_fault, resolve_fault
from careops.services.faults.watch import watch_faults
from careops.settings import get_settings
from tests.integration.fault_world import MANAGER, TS_SUP, Harness, build_world, report

OPS = "ops@careops.local"


def _fault_at(h: Harness, occurred: datetime) -> int:
    fid = report_fault(h.uow, report(occurred_at=occurred), h.env, h.clock()).fault_id
    file_fault(h.uow, fid, "赵经理", h.env, h.clock())
    h.deliver()
    return fid


def _due(h: Harness, fid: int) -> datetime | None:
    with h.uow:
        return h.uow.session.get(Fault, fid).analysis_due_at


def test_the_deadline_counts_from_when_the_fault_ended(uow, settings, smtp):
    build_world(uow)
    recorded = datetime(2026, 9, 30, 7, 0, tzinfo=UTC)  # Wed 30 Sep 15:00, recorded late
    h = Harness(uow, FaultEnv.from_settings(settings), FrozenClock(recorded), smtp, settings)
    fid = _fault_at(h, datetime(2026, 9, 28, 1, 0, tzinfo=UTC))
    ended = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # Tue 29 Sep 10:00
    resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock(), ended_at=ended)
    # two working days after Tue 29 Sep: 30 Sep, then 8 Oct (1-7 Oct is the holiday)
    assert _due(h, fid) == datetime(2026, 10, 8, 16, 0, tzinfo=UTC)
    assert "2026年10月8日 24:00" in h.deliver()[TS_SUP][0]


def test_a_resolution_needing_an_unpublished_year_is_kept_and_the_deadline_follows(
    uow, smtp, calendar_dir
):
    settings = get_settings()
    build_world(uow)
    resolved = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)  # Wed 30 Dec 10:00: 2027 is unknown
    h = Harness(uow, FaultEnv.from_settings(), FrozenClock(resolved - timedelta(hours=3)),
                smtp, settings)
    fid = _fault_at(h, resolved - timedelta(hours=4))
    h.clock.now = resolved
    result = resolve_fault(h.uow, fid, "数据库恢复", "李雷", h.env, h.clock())
    assert result.state == "resolved"
    assert any("2027" in w for w in result.warnings)
    with h.uow:
        fault = h.uow.session.get(Fault, fid)
        assert fault.resolved_at == resolved and fault.resolution == "数据库恢复"
        assert fault.analysis_due_at is None and fault.analysis_due_pending_year == 2027
        assert fault.timer is None
    got = h.deliver()
    assert len(got[OPS]) == 1 and "2027" in got[OPS][0]  # ops told, through the outbox
    assert "2027" in h.smtp.to(OPS)[0].text() and "2027.toml" in h.smtp.to(OPS)[0].text()
    assert len(got[TS_SUP]) == 1  # the analysis is asked for at once, deadline to follow
    assert "待定" in h.smtp.to(TS_SUP)[0].text()
    rows = open_faults(h.uow, h.clock())
    assert "2027" in rows[0]["analysis_due"]

    for hours in (1, 24):  # sweeps while the calendar is missing: nothing new, ops told once
        h.clock.advance(hours=hours)
        watch_faults(h.uow, FaultEnv.from_settings(), h.clock())
        assert h.deliver() == {}

    (calendar_dir / "2027.toml").write_text(
        'days_off = [2027-01-01]\nworkdays = []\n[names]\n2027-01-01 = "元旦"\n')
    h.clock.advance(minutes=5)
    watched = watch_faults(h.uow, FaultEnv.from_settings(), h.clock())  # no reset: re-read
    assert watched.deadlines == [fid]
    # two working days after Wed 30 Dec: Thu 31 Dec, Mon 4 Jan (1 Jan off, then the weekend)
    due = datetime(2027, 1, 4, 16, 0, tzinfo=UTC)
    assert _due(h, fid) == due
    got = h.deliver()
    assert list(got) == [TS_SUP] and "2027年1月4日 24:00" in got[TS_SUP][0]
    kinds = [e.kind for e in fault_timeline(h.uow, fid).timeline]
    assert "deadline-pending" in kinds and "deadline" in kinds

    h.clock.now = due - timedelta(hours=24)  # the normal chases follow
    watch_faults(h.uow, FaultEnv.from_settings(), h.clock())
    assert list(h.deliver()) == [TS_SUP]
    h.clock.now = due
    watch_faults(h.uow, FaultEnv.from_settings(), h.clock())
    assert sorted(h.deliver()) == [MANAGER, TS_SUP]


def test_an_analysis_submitted_while_its_deadline_is_pending_closes_the_fault(
    uow, smtp, calendar_dir
):
    from careops.services.faults.steps import AnalysisInput, submit_analysis

    build_world(uow)
    resolved = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
    h = Harness(uow, FaultEnv.from_settings(), FrozenClock(resolved), smtp, get_settings())
    fid = _fault_at(h, resolved - timedelta(hours=1))
    resolve_fault(h.uow, fid, "已恢复", "李雷", h.env, h.clock())
    submit_analysis(h.uow, fid, AnalysisInput("影响", "处理", "原因", "纠正", "预防", "韩梅梅"),
                    h.env, h.clock())
    (calendar_dir / "2027.toml").write_text("days_off = [2027-01-01]\n")
    h.deliver()
    h.clock.advance(hours=1)
    assert watch_faults(h.uow, FaultEnv.from_settings(), h.clock()).deadlines == []
    assert h.deliver() == {}
    with h.uow:
        fault = h.uow.session.get(Fault, fid)
        assert fault.state == "closed" and fault.analysis_due_pending_year is None
