"""doctor — the checks of `careops doctor` every morning; ops get mail about what fails.

Runs the same checks as the CLI (careops/doctor.py): the database and its migration, SMTP,
the working-day calendar (the next 90 days and, from 1 November, next year's:
careops/rules/calendar_years.py), the Prefect API this run talks to (deployments of
prefect.yaml with their schedules, a live worker), the outbox, the last scheduled runs. Each
failing check is one mail to ops (`ops_email`, as the outbox failure notice), at most once per
problem and local (Asia/Shanghai) day: re-runs, retries and two runs at once mail once, a
problem still failing tomorrow mails again tomorrow (careops/services/operations/doctor_notices.py).
Warnings (mail waiting > 15 min) are in the artifact only.

The run ends Completed whatever the checks found, so the run history stays readable: in state
"Healthy" (message "all N checks ok"), or "Problems found" with the problems in the message
and in the markdown artifact `doctor`. It fails only when it cannot report: the database (and
so the outbox) unreachable, which the flow failure hook and Prefect show. Mail goes out at
once when SMTP answers, else the outbox relay sends it later. Scheduled daily 07:30
Asia/Shanghai. Requires the careops database and settings (ops_email, smtp).
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.doctor import final_state, notify_problems_task, publish_task, run_checks_task
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


class DoctorParams(BaseModel):
    send: bool = Field(True, description="Mail ops about failing checks (off: artifact only)")


@flow(name="doctor", log_prints=True, **FAILURE_HOOKS)
def doctor(params: DoctorParams | None = None):
    params = params or DoctorParams()
    rows = run_checks_task()
    problems = [r for r in rows if r["status"] == "fail"]
    notices = notify_problems_task(rows, params.send)
    note = ""
    smtp_ok = not any(r["name"] == "smtp" for r in problems)
    if notices["mailed"] and smtp_ok:
        delivery = deliver_outbox_task(return_state=True)
        if not delivery.is_completed():
            note = f"; delivery: {delivery.message or delivery.name} (the relay retries)"
    elif notices["mailed"]:
        note = "; SMTP down: the mail waits in the outbox"
    publish_task(rows, notices)
    return final_state(rows, notices, note)
