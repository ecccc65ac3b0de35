"""case-deadlines — the R6 clock: warn owners, escalate breaches, close unanswered opinions.

Warnings go to the owner on the morning of a complaint's or suggestion's last working day and
4 h before a consultation's 24 h run out; a breach goes once to the CS head, and for a complaint
also to the GM; an answered case whose customer gave no opinion within `cases.opinion_days` is
closed. Each notice once, whatever re-runs (marked on the case, keyed in the outbox). A
deadline left pending at intake for an unpublished calendar year is set here as soon as
`config/calendar/YYYY.toml` exists; its notices follow and their wakeup is scheduled.

When it runs: at 09:00, 13:00 and 17:00 every day (the backstop), and at the exact instant of the
next warning or breach, which each run (and open-case) schedules as one idempotent flow run. So
a consultation's 4 h warning goes at its minute, and the run history holds a few runs a day
plus one per notice, not a sweep every few minutes. Requires a migrated database and SMTP.
"""

from __future__ import annotations

import time

from prefect import flow
from pydantic import BaseModel

from careops.clock import utcnow
from tasks.cases import publish_cases_task, schedule_sweep_task, sweep_deadlines_task
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


class CaseDeadlinesParams(BaseModel):
    """No parameters: the sweep acts on every case due now."""


# A run scheduled for a notice's instant can start a moment early (the worker prefetches runs):
# a notice due within this many seconds is waited for, not left to the next backstop run.
IMMINENT_SECONDS = 90


@flow(name="case-deadlines", log_prints=True, **FAILURE_HOOKS)
def case_deadlines(params: CaseDeadlinesParams | None = None) -> dict:
    swept = sweep_deadlines_task()
    upcoming = swept["next_notice_at"]
    if upcoming is not None and (upcoming - utcnow()).total_seconds() <= IMMINENT_SECONDS:
        time.sleep(max(0.0, (upcoming - utcnow()).total_seconds()) + 1)
        again = sweep_deadlines_task()
        swept = {key: swept[key] + again[key]
                 for key in ("warned", "breached", "closed", "deadlines")} | {
            "next_notice_at": again["next_notice_at"]}
    delivery = deliver_outbox_task()
    touched = sorted({*swept["warned"], *swept["breached"], *swept["closed"],
                      *swept["deadlines"]})
    if touched:
        publish_cases_task(touched)
    schedule_sweep_task(swept["next_notice_at"])
    return swept | {"delivery": delivery}
