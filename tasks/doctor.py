"""The scheduled doctor's tasks: run the checks, queue ops mail per problem, the artifact.

The clock is read through `careops.clock` (module attribute), so tests freeze it in one place;
the checks through `careops.doctor.run_checks` (module attribute), the same as `careops doctor`.
Inside a flow run the Prefect API checked is the one the run talks to (`wakeups.api_url`).
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import task

from careops import clock, doctor
from careops.bootstrap import get_mailer
from careops.db.uow import UnitOfWork
from careops.doctor import Check, Status
from careops.services.operations import doctor_notices
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown

ARTIFACT_KEY = "doctor"


def _checks(rows: list[dict]) -> list[Check]:
    return [Check(r["name"], Status(r["status"]), r["detail"]) for r in rows]


@task(name="doctor-checks")
def run_checks_task() -> list[dict]:
    """Every check of `careops doctor`, as plain rows; a failing check is a row, not an error."""
    settings = get_settings()
    now = clock.utcnow()
    return [
        c.as_dict() for c in doctor.run_checks(settings, now, now.astimezone(settings.tz).date())
    ]


# Retries are safe: every mail has its key per problem and day.
@task(name="doctor-notices", retries=2, retry_delay_seconds=[5, 30])
def notify_problems_task(rows: list[dict], send: bool = True) -> dict:
    settings = get_settings()
    notices = doctor_notices.notify_problems(
        UnitOfWork(),
        get_mailer(),
        _checks(rows),
        ops_email=settings.ops_email,
        now=clock.utcnow(),
        tz=settings.tz,
        send=send,
    )
    return asdict(notices)


@task(name="publish-doctor")
def publish_task(rows: list[dict], notices: dict) -> None:
    """The markdown artifact `doctor`: the problems (and who was mailed), then every check."""
    problems = notices["problems"]
    lines = [
        f"# careops doctor {notices['day']}: "
        + (f"{len(problems)} problem(s)" if problems else "healthy"),
        "",
    ]
    for problem in problems:
        told = (
            "mailed to ops"
            if problem["name"] in notices["mailed"]
            else "ops mailed earlier today"
            if problem["name"] in notices["told_already"]
            else "not mailed"
        )
        lines.append(f"- **{problem['name']}** ({told}): {problem['detail']}")
    lines += ["", markdown_table(rows)]
    publish_markdown(
        ARTIFACT_KEY, "\n".join(lines), f"{len(problems)} problem(s)" if problems else "healthy"
    )


def final_state(rows: list[dict], notices: dict, delivery_note: str = ""):
    """Completed either way (the doctor reported what it found): "Healthy" or "Problems found",
    with a one-line message naming the problems."""
    from prefect.states import Completed

    problems = [p["name"] for p in notices["problems"]]
    warned = [r["name"] for r in rows if r["status"] == Status.WARN]
    if not problems:
        message = f"all {len(rows)} checks ok" + (
            f"; warnings: {', '.join(warned)}" if warned else ""
        )
        return Completed(name="Healthy", message=message, data=notices)
    told = notices["told_already"]
    mailed = ", ".join(notices["mailed"]) or (
        "none (told earlier today)" if told else "none (send off)"
    )
    message = f"{len(problems)} problem(s): {', '.join(problems)}; mailed now: {mailed}"
    message += delivery_note
    return Completed(name="Problems found", message=message, data=notices)
