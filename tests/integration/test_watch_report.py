"""R3 availability report: per site and per customer, rebuilt from the stored results."""

from __future__ import annotations

from datetime import timedelta

from careops.rules.site_conditions import Response
from careops.services.watch.report import build_report, percentile, prune
from careops.services.watch.rounds import close_period, record_round
from tests.integration.watch_world import DOWN, PERIOD, build_watch, env, slot


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([7], 99) == 7


def test_report_per_site_and_customer(uow, settings):
    a, b, c = build_watch(uow, sites=3)
    for n in range(10):
        results = {a: Response(status=200, elapsed_ms=100 + n),
                   b: DOWN if 2 <= n < 6 else Response(status=200, elapsed_ms=50),
                   c: DOWN if n >= 7 else Response(status=200, elapsed_ms=70)}
        record_round(uow, env(settings), PERIOD, slot(n), results, slot(n))
    close_period(uow, PERIOD)
    report = build_report(uow, PERIOD, 5)
    by_url = {s.url: s for s in report.sites}
    sa, sb, sc = (by_url[f"https://site{i}.example.cn"] for i in range(3))
    assert (sa.checks, sa.up, sa.percent_up, sa.downtime_minutes) == (10, 10, 100.0, 0)
    assert (sa.p50, sa.p95, sa.p99) == (104, 109, 109)
    assert (sb.up, sb.downtime_minutes, len(sb.incidents)) == (6, 20, 1)
    assert sb.incidents[0]["started_at"] == slot(2) and sb.incidents[0]["ended_at"] == slot(6)
    assert sc.incidents[0]["still_down_at_end"] and sc.incidents[0]["ended_at"] == PERIOD.end
    customers = {c.customer: c for c in report.customers}
    assert (customers["甲公司"].percent_up, customers["乙公司"].percent_up) == (100.0, 65.0)
    assert customers["乙公司"].incidents == 2 and report.percent_up == 76.67


def test_results_pruned_after_retention(uow, settings):
    (a, _) = build_watch(uow)
    record_round(uow, env(settings), PERIOD, slot(0), {a: DOWN}, slot(0))
    assert prune(uow, slot(0) + timedelta(days=399), 400) == 0
    assert prune(uow, slot(0) + timedelta(days=401), 400) == 1
    assert build_report(uow, PERIOD, 5).checks == 0
