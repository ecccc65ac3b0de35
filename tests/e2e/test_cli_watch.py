"""`careops import sites|duty`, `careops duty set`, `careops watch check|report` (CliRunner)."""

from __future__ import annotations

import json

from tests.e2e.test_cli_import import SAMPLES, cli, flat, run  # noqa: F401 - the fixture
from tests.integration.watch_world import DOWN, PERIOD, build_watch, env, slot
from tests.support.sites import SiteServer, refusing_url


def _samples(cli) -> None:  # noqa: F811
    for kind in ("staff", "customers", "projects"):
        assert run(cli, "import", kind, str(SAMPLES / f"{kind}.csv")).exit_code == 0


def test_import_sites_and_duty_and_bad_rows(cli, tmp_path):  # noqa: F811
    _samples(cli)
    assert run(cli, "import", "sites", str(SAMPLES / "sites.csv")).exit_code == 0
    result = run(cli, "import", "duty", str(SAMPLES / "duty.csv"))
    assert result.exit_code == 0 and "8inserted" in flat(result.output)
    bad = tmp_path / "duty.csv"
    bad.write_text("date,staff_code\n2026-11-02,CS002\n", encoding="utf-8")
    result = run(cli, "import", "duty", str(bad))
    assert result.exit_code == 1 and "2026-11-02isoutsideeveryholidaywatchwindow" in flat(
        result.output)


def test_duty_set(cli):  # noqa: F811
    _samples(cli)
    assert run(cli, "duty", "set", "--date", "2026-10-02", "--staff", "CS003").exit_code == 0
    result = run(cli, "duty", "set", "--date", "2026-10-02", "--staff", "TS002")
    assert result.exit_code == 2 and "not CS" in result.output


def test_watch_check_exit_status_and_unknown_site(cli, settings):  # noqa: F811
    web = SiteServer().start()
    try:
        from careops.db.uow import UnitOfWork

        build_watch(UnitOfWork(), urls=[web.url("/ok"), refusing_url()])
        ok = run(cli, "watch", "check", "--site", web.url("/ok"))
        assert ok.exit_code == 0, ok.output
        down = run(cli, "watch", "check")
        assert down.exit_code == 1 and "cannotconnect" in flat(down.output)
        unknown = run(cli, "watch", "check", "--site", "https://nope.example.cn")
        assert unknown.exit_code == 2 and "no monitored site" in unknown.output
    finally:
        web.stop()


def test_watch_report_json(cli, settings):  # noqa: F811
    from careops.db.uow import UnitOfWork
    from careops.services.watch.rounds import record_round

    (a, b) = build_watch(UnitOfWork())
    for n in range(4):
        record_round(UnitOfWork(), env(settings), PERIOD, slot(n), {a: DOWN}, slot(n))
    result = run(cli, "watch", "report", "--period", "2026-national-day", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["checks"] == 4 and data["percent_up"] == 0.0
    assert data["sites"][0]["incidents"] == 1
    assert run(cli, "watch", "report", "--period", "2026-xmas").exit_code == 2
