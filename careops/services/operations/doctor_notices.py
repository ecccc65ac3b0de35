"""The scheduled doctor's mail: one ops mail per failing check, at most once a local day.

The checks are `careops.doctor.run_checks` (the same as `careops doctor`); the caller passes
their results in, so this unit of work only decides what to mail. A failing check (status
`fail`; a `warn` is shown in the run's artifact, not mailed) is a problem; each problem is
queued as one `doctor_alert` mail to ops (`settings.ops_email`, the recipient of the outbox
failure notice) under the outbox key `doctor:<check>:<local date>`, so re-runs, retries and
two runs at once queue it once that day, and a problem still failing the next day mails again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from careops.db.uow import UnitOfWork
from careops.doctor import Check, Status
from careops.mailer import Mailer

TEMPLATE = "doctor_alert"


@dataclass(frozen=True)
class DoctorNotices:
    day: str  # the local date the keys carry (ISO)
    problems: list[dict[str, str]] = field(default_factory=list)  # {"name", "detail"}
    mailed: list[str] = field(default_factory=list)  # problems queued by this call
    told_already: list[str] = field(default_factory=list)  # queued earlier the same day

    @property
    def healthy(self) -> bool:
        return not self.problems


def notice_key(check_name: str, day: date) -> str:
    """The outbox key of one problem on one local day, e.g. `doctor:prefect-api:2026-11-01`."""
    slug = re.sub(r"[^a-z0-9]+", "-", check_name.lower()).strip("-")
    return f"doctor:{slug}:{day.isoformat()}"


def problems_of(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if c.status == Status.FAIL]


def notify_problems(
    uow: UnitOfWork,
    mailer: Mailer,
    checks: Sequence[Check],
    *,
    ops_email: str,
    now: datetime,
    tz: ZoneInfo,
    send: bool = True,
) -> DoctorNotices:
    """Queue one ops mail per failing check not yet mailed today (local date in `tz`);
    `send=False` only lists the problems."""
    day = now.astimezone(tz).date()
    problems = problems_of(checks)
    result = DoctorNotices(
        day.isoformat(), [{"name": c.name, "detail": c.detail} for c in problems]
    )
    if not problems or not send:
        return result
    with uow:
        for check in problems:
            queued = mailer.queue(
                uow.session,
                key=notice_key(check.name, day),
                template=TEMPLATE,
                to=[ops_email],
                context={
                    "check": check.name,
                    "detail": check.detail,
                    "checked_at": now,
                    "day": day,
                    "others": [c.name for c in problems if c is not check],
                },
                now=now,
            )
            (result.mailed if queued else result.told_already).append(check.name)
        uow.commit()
    return result
