"""Deliver outbox messages over a small pool of reused aiosmtplib connections.

`deliver_pending` is what the delivery task calls: claim a batch, send it, record the outcome,
until nothing is due. Connections stay open across batches. A message refused by the server
fails alone (retried later with backoff); a connection that breaks is re-opened once, and if
that fails too the server counts as unreachable: the run stops and every message not sent stays
in the outbox for the next run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import aiosmtplib
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from careops import outbox
from careops.addresses import usable_addresses
from careops.clock import Clock, utcnow
from careops.errors import DeliveryError
from careops.mail.smtp_pool import (
    CONNECTION_ERRORS,
    MAX_ERRORS,
    DeliveryResult,
    SmtpPool,
    discard,
    error_text,
)
from careops.outbox import Claimed
from careops.outbox_recipients import (
    RecipientMarks,
    mark_recipients,
)
from careops.settings import SmtpSettings

# Sent mail is recorded every RECORD_EVERY messages (in a thread, while the next ones go out):
# a deliverer killed mid-batch has sent at most about twice this many unrecorded, which the
# next deliverer sends again once their lease expires (tests/chaos/test_kill_delivery.py).
RECORD_EVERY = 50


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # given up after max_attempts
    retry_later: int = 0
    errors: list[str] = field(default_factory=list)  # distinct error messages, first 20
    unreachable: str | None = None

    def check(self) -> DeliveryReport:
        """Raise DeliveryError if the server was unreachable (e.g. to make a task retry)."""
        if self.unreachable:
            raise DeliveryError(self.unreachable)
        return self


async def deliver_claimed(messages: Sequence[Claimed], smtp: SmtpSettings) -> DeliveryResult:
    """Send claimed messages over a fresh pool (closed afterwards); nothing is recorded."""
    pool = SmtpPool(smtp)
    try:
        return await pool.deliver(messages)
    finally:
        await pool.close()


def deliver_pending(
    engine: Engine,
    smtp: SmtpSettings,
    *,
    now: Clock = utcnow,
    batch: int = 500,
    max_batches: int | None = None,
) -> DeliveryReport:
    """Deliver everything due, batch by batch, recording each outcome in the outbox.

    Synchronous: runs its own event loop with `asyncio.run` in the calling thread (Prefect
    sync tasks run in a worker thread, where that is fine). Called from a thread that already
    runs an event loop, it runs in a helper thread instead, blocking the caller until done.
    Each message is attempted at most once per call (the run moves forward by id).
    """
    return _run_sync(_deliver_pending(engine, smtp, now, batch, max_batches))


async def _deliver_pending(
    engine: Engine, smtp: SmtpSettings, now: Clock, batch: int, max_batches: int | None
) -> DeliveryReport:
    """Pipelined: while batch k is on the wire, batch k+1 is claimed (in a thread), and what
    was sent is recorded every RECORD_EVERY messages (in a thread, while the next ones are on
    the wire), so the database work hides behind the SMTP work."""
    report = DeliveryReport()
    lease = timedelta(seconds=smtp.lease_seconds)
    backoff = timedelta(seconds=smtp.backoff_seconds)

    gave_up: list[str] = []  # reasons of messages with no usable envelope

    def claim(after_id: int) -> tuple[list[Claimed], int | None]:
        """(claimed messages with a usable envelope, the last id claimed; None: nothing due)."""
        # moving forward by id: a message that fails is not retried within this run
        claimed = outbox.claim_due(engine, limit=batch, now=now(), lease=lease, after_id=after_id)
        if not claimed:
            return [], None
        usable, unusable = _split_unusable(claimed)
        if unusable:  # stored before addresses were checked: never blocks the others
            outbox.give_up(engine, unusable, now())
            gave_up.extend(reason for _id, reason in unusable)
        return usable, claimed[-1].id

    def mark(result: DeliveryResult) -> tuple[outbox.FailOutcome, RecipientMarks]:
        if result.sent_ids:
            outbox.mark_sent(engine, result.sent_ids, now())
        apart = mark_recipients(engine, result.answered_apart, now(), backoff, smtp.max_attempts)
        failed = outbox.mark_failed(engine, result.failures, now(), backoff, smtp.max_attempts)
        return failed, apart

    def record(result: DeliveryResult) -> None:
        try:
            outcome, apart = mark(result)
        except DBAPIError as exc:
            # The connection was lost (a restarted server, a terminated backend): the mail is
            # sent, so record it over a fresh connection rather than leave it to be sent again
            # once its lease expires (tests/chaos/test_pg_terminate.py). Marking is idempotent.
            if not exc.connection_invalidated:
                raise
            outcome, apart = mark(result)
        report.sent += len(result.sent_ids) + apart.sent
        report.failed += outcome.failed + apart.failed
        report.retry_later += outcome.retry_later + apart.retry_later
        for error in [*apart.errors, *(error for _id, error in result.failures)]:
            if error not in report.errors and len(report.errors) < MAX_ERRORS:
                report.errors.append(error)

    pool = SmtpPool(smtp)
    recording: asyncio.Future[None] | None = None

    async def record_soon(result: DeliveryResult) -> None:
        nonlocal recording
        if recording is not None:
            await recording
        recording = asyncio.ensure_future(asyncio.to_thread(record, result))

    async def send(claimed: list[Claimed]) -> str | None:
        """Send a batch, recording every RECORD_EVERY messages; why the server is down."""
        for start in range(0, len(claimed), RECORD_EVERY):
            result = await pool.deliver(claimed[start : start + RECORD_EVERY])
            if result.unreachable:  # the rest of the batch waits for the next run
                rest = claimed[start + RECORD_EVERY :]
                result.failures.extend((m.id, result.unreachable) for m in rest)
            await record_soon(result)
            if result.unreachable:
                return result.unreachable
        return None

    try:
        claimed, last_id = await asyncio.to_thread(claim, 0)
        batches = 0
        while last_id is not None:
            batches += 1
            prefetch = None
            if max_batches is None or batches < max_batches:
                prefetch = asyncio.ensure_future(asyncio.to_thread(claim, last_id))
            unreachable = await send(claimed)
            claimed, last_id = await prefetch if prefetch is not None else ([], None)
            if unreachable:  # stop; what was claimed ahead waits for the next run too
                report.unreachable = unreachable
                await record_soon(
                    DeliveryResult([], [(m.id, unreachable) for m in claimed], unreachable)
                )
                claimed, last_id = [], None
    finally:
        if recording is not None:
            await recording
        await pool.close()
    report.failed += len(gave_up)
    report.errors.extend(gave_up[: max(0, MAX_ERRORS - len(report.errors))])
    return report


def probe(smtp: SmtpSettings) -> str | None:
    """Connect (and log in) once: None if the SMTP server answers, else why not."""

    async def run() -> str | None:
        pool = SmtpPool(smtp)
        try:
            client = await pool._connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            return pool._clean(f"SMTP server {pool.where} refused login: {exc}")
        except (*CONNECTION_ERRORS, aiosmtplib.SMTPException) as exc:
            return pool._clean(f"SMTP server {pool.where} unreachable: {error_text(exc)}")
        await discard(client, polite=True)
        return None

    return _run_sync(run())


def _split_unusable(claimed: Sequence[Claimed]) -> tuple[list[Claimed], list[tuple[int, str]]]:
    """Claimed messages with a usable envelope (bad addresses left out), and the others."""
    usable, unusable = [], []
    for message in claimed:
        good, problems = usable_addresses(message.recipients)
        if good:
            usable.append(replace(message, recipients=good))
        else:
            reason = "no usable recipient: " + ("; ".join(problems) or "none stored")
            unusable.append((message.id, reason))
    return usable, unusable


def _run_sync(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="careops-delivery") as executor:
        return executor.submit(asyncio.run, coro).result()
