"""prefect.yaml: only the R4 reminder has a cron (Monday to Friday at [weekly] reminder_at); the
nudge and the compile are exact-time runs the meeting day's reminder schedules."""

from __future__ import annotations

from careops.settings import PROJECT_ROOT, Settings
from careops.stack.prefect_setup import planned_deployments


def test_only_the_reminder_is_scheduled_at_the_configured_time():
    at = Settings().weekly.reminder_at  # config/careops.toml, as deployed
    planned = {d.name: d for d in planned_deployments(PROJECT_ROOT)}
    reminder = planned["weekly-reminder"]
    assert reminder.schedules == ((f"{at.minute} {at.hour} * * 1-5", "Asia/Shanghai"),)
    for name in ("weekly-reminder", "weekly-nudge", "weekly-compile", "submit-weekly-report"):
        assert planned[name].module_exists(PROJECT_ROOT)
        if name != "weekly-reminder":
            assert planned[name].schedules == (), name
