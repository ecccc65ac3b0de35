"""deliver-outbox — send pending and retry-due mail from the outbox.

Every flow delivers right after writing its mail, and the outbox relay of the stack
(careops/mail/relay.py) delivers whatever is due within seconds, retrying with backoff while SMTP
is down. This deployment is the safety sweep (every 4 hours) for a machine without a relay, and
the way to deliver now from the Prefect UI. Requires a migrated careops database and the
configured SMTP server.
"""

from __future__ import annotations

from prefect import flow

from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS


@flow(name="deliver-outbox", **FAILURE_HOOKS)
def deliver_outbox() -> dict:
    return deliver_outbox_task()
