"""prefect.yaml schedules each R4 step Monday to Friday at the time config/careops.toml gives."""

from __future__ import annotations

from careops.settings import PROJECT_ROOT, Settings
from careops.stack.prefect_setup import planned_deployments


def test_weekly_crons_match_the_configured_times():
    weekly = Settings().weekly  # config/careops.toml, as deployed
    planned = {d.name: d for d in planned_deployments(PROJECT_ROOT)}
    for name, at in (("weekly-reminder", weekly.reminder_at), ("weekly-nudge", weekly.nudge_at),
                     ("weekly-compile", weekly.compile_at)):
        assert planned[name].schedules == ((f"{at.minute} {at.hour} * * 1-5", "Asia/Shanghai"),)
        assert planned[name].module_exists(PROJECT_ROOT)
    submit = planned["submit-weekly-report"]
    assert submit.schedules == () and submit.module_exists(PROJECT_ROOT)
