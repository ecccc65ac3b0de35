"""The simulated processes are prefect.yaml's scheduled deployments: none can be forgotten."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from careops.settings import PROJECT_ROOT
from careops.simulation.processes import STEPS
from careops.simulation.schedule import EXCLUDED, check_coverage, fire_times, scheduled

TZ = ZoneInfo("Asia/Shanghai")


def test_every_scheduled_deployment_is_simulated_or_excluded_with_a_reason():
    assert check_coverage(PROJECT_ROOT, set(STEPS)) == []
    assert all(reason.strip() for reason in EXCLUDED.values())
    assert set(STEPS) <= {d.name for d in scheduled(PROJECT_ROOT)}  # no step for nothing


def test_a_new_scheduled_deployment_is_named(tmp_path: Path):
    shutil.copy(PROJECT_ROOT / "prefect.yaml", tmp_path / "prefect.yaml")
    with (tmp_path / "prefect.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "  - name: new-sweep\n    entrypoint: flows/new_sweep.py:new_sweep\n"
            '    schedules:\n      - cron: "0 6 * * *"\n        timezone: Asia/Shanghai\n'
        )
    assert check_coverage(tmp_path, set(STEPS)) == [
        "new-sweep: scheduled in prefect.yaml but neither simulated nor excluded"
    ]


def test_fire_times_are_the_crons_in_local_time():
    by_name = {d.name: d for d in scheduled(PROJECT_ROOT)}
    year = datetime(2026, 1, 1, tzinfo=TZ), datetime(2027, 1, 1, tzinfo=TZ)
    close = list(fire_times(by_name["close-callback-month"], *year))
    assert len(close) == 12 and close[0] == datetime(2026, 1, 1, 0, 30, tzinfo=TZ)
    assert sum(1 for _ in fire_times(by_name["weekly-reminder"], *year)) == 261  # Mon-Fri
    assert [t.day for t in fire_times(by_name["survey-reminders"], *year)] == [15, 22]
