"""Deliver outbox messages over a small pool of reused aiosmtplib connections.

`deliver_pending` is what the delivery task calls: claim a batch, send it, record the outcome,
until nothing is due. Connections stay open across batches. A message refused by the server
fails alone (retried later with backoff); a connection that breaks is re-opened once, and if
that fails too the server counts as unreachable: the run stops and every message not sent stays
in the outbox for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from careops.errors import DeliveryError, SmtpConfigError
from careops.mail.message import envelope_address
from careops.outbox import Claimed
from careops.settings import SmtpSettings

# The connection is unusable (or was never usable): reconnect, then give up on the server.
_CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,  # includes a refusing greeting (SMTPConnectResponseError)
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPNotSupported,  # e.g. STARTTLS configured but not offered
    OSError,  # ConnectionRefusedError, TimeoutError, ssl errors ...
)
_MAX_ERRORS = 20
# Sent mail is recorded every RECORD_EVERY messages (in a thread, while the next ones go out):
# a deliverer killed mid-batch has sent at most about twice this many unrecorded, which the
# next deliverer sends again once their lease expires (tests/chaos/test_kill_delivery.py).
RECORD_EVERY = 50


@dataclass(frozen=True)
class DeliveryResult:
    sent_ids: list[int]
    failures: list[tuple[int, str]]
    unreachable: str | None = None  # set when the server could not be reached / logged into


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


class SmtpPool:
    """Up to `pool_size` connections, kept open between `deliver` calls until `close()`."""

    def __init__(self, smtp: SmtpSettings) -> None:
        """SmtpConfigError (before anything is claimed) if logging in would leak the password."""
        if problem := smtp.plain_auth_problem():
            raise SmtpConfigError(problem)
        self.settings = smtp
        self.where = f"{smtp.host}:{smtp.port}"
        self.envelope_from = envelope_address(smtp.sender)
        self.connects = 0  # connections opened so far (pool reuse is visible here)
        self._password = smtp.password.get_secret_value() if smtp.password else None
        self._idle: list[aiosmtplib.SMTP] = []

    async def deliver(self, messages: Sequence[Claimed]) -> DeliveryResult:
        queue: asyncio.Queue[Claimed] = asyncio.Queue()
        for message in messages:
            queue.put_nowait(message)
        result = DeliveryResult([], [])
        down: list[str] = []
        workers = max(1, min(self.settings.pool_size, len(messages)))
        await asyncio.gather(*(self._worker(queue, result, down) for _ in range(workers)))
        while not queue.empty():  # every worker gave up on the server
            result.failures.append((queue.get_nowait().id, down[-1]))
        return DeliveryResult(result.sent_ids, result.failures, down[0] if down else None)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            await _discard(client, polite=True)

    async def _worker(
        self, queue: asyncio.Queue[Claimed], result: DeliveryResult, down: list[str]
    ) -> None:
        client = self._idle.pop() if self._idle else None
        try:
            while not queue.empty():
                message = queue.get_nowait()
                client, error, server_down = await self._send(client, message)
                if error is None:
                    result.sent_ids.append(message.id)
                    continue
                result.failures.append((message.id, error))
                if server_down:  # this worker stops; the others may still get through
                    down.append(error)
                    return
        finally:
            if client is not None and client.is_connected:
                self._idle.append(client)

    async def _send(
        self, client: aiosmtplib.SMTP | None, message: Claimed
    ) -> tuple[aiosmtplib.SMTP | None, str | None, bool]:
        """Send one message: (client to keep, error or None, whether the server is down)."""
        error = ""
        for _attempt in range(2):  # a broken connection is re-opened once
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                await client.sendmail(self.envelope_from, message.recipients, message.raw.encode())
                return client, None, False
            except aiosmtplib.SMTPAuthenticationError as exc:
                user = self.settings.username
                error = f"SMTP server {self.where} refused login as {user!r}: {exc}"
                return await _discard(client), self._clean(error), True
            except _CONNECTION_ERRORS as exc:
                client = await _discard(client)
                error = f"SMTP server {self.where} unreachable: {_text(exc)}"
            except (aiosmtplib.SMTPException, ValueError) as exc:
                # refused sender / recipients / data, or a bad address: this message only
                return client, self._clean(_text(exc)), False
        return None, self._clean(error), True

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = self.settings
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            timeout=smtp.timeout_seconds,
            use_tls=smtp.security == "ssl",
            start_tls=smtp.security == "starttls",
            username=smtp.username if smtp.username else None,
            password=self._password if smtp.username else None,
            cert_bundle=str(smtp.ca_file) if smtp.ca_file else None,
        )
        await client.connect()
        self.connects += 1
        return client

    def _clean(self, text: str) -> str:
        """Never let the password reach a log line or `last_error`."""
        return text.replace(self._password, "***") if self._password else text


async def _discard(client: aiosmtplib.SMTP | None, *, polite: bool = False) -> None:
    if client is not None:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            if polite and client.is_connected:
                await client.quit()
        client.close()


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


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

    def mark(result: DeliveryResult) -> outbox.FailOutcome:
        if result.sent_ids:
            outbox.mark_sent(engine, result.sent_ids, now())
        return outbox.mark_failed(engine, result.failures, now(), backoff, smtp.max_attempts)

    def record(result: DeliveryResult) -> None:
        try:
            outcome = mark(result)
        except DBAPIError as exc:
            # The connection was lost (a restarted server, a terminated backend): the mail is
            # sent, so record it over a fresh connection rather than leave it to be sent again
            # once its lease expires (tests/chaos/test_pg_terminate.py). Marking is idempotent.
            if not exc.connection_invalidated:
                raise
            outcome = mark(result)
        report.sent += len(result.sent_ids)
        report.failed += outcome.failed
        report.retry_later += outcome.retry_later
        for _id, error in result.failures:
            if error not in report.errors and len(report.errors) < _MAX_ERRORS:
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
    report.errors.extend(gave_up[: max(0, _MAX_ERRORS - len(report.errors))])
    return report


def probe(smtp: SmtpSettings) -> str | None:
    """Connect (and log in) once: None if the SMTP server answers, else why not."""

    async def run() -> str | None:
        pool = SmtpPool(smtp)
        try:
            client = await pool._connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            return pool._clean(f"SMTP server {pool.where} refused login: {exc}")
        except (*_CONNECTION_ERRORS, aiosmtplib.SMTPException) as exc:
            return pool._clean(f"SMTP server {pool.where} unreachable: {_text(exc)}")
        await _discard(client, polite=True)
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
