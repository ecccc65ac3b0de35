"""deliver-outbox — send pending and retry-due mail from the outbox.

Every flow delivers right after writing its mail; this scheduled sweep (every 2 minutes) retries
what could not be sent then (SMTP down), with backoff. Requires a migrated careops database and the
configured SMTP server.
"""

from __future__ import annotations

from prefect import flow

from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


@flow(name="deliver-outbox", **FAILURE_HOOKS)
def deliver_outbox() -> dict:
    return deliver_outbox_task()
