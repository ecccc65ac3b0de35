"""A small pool of reused aiosmtplib connections that sends claimed outbox messages.

`SmtpPool.deliver` sends and reports (sent ids, failures, recipients answered apart); it records
nothing: careops.mail.delivery claims, records and decides what to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiosmtplib

from careops.errors import SmtpConfigError
from careops.mail.message import envelope_address
from careops.outbox import Claimed
from careops.outbox_recipients import RecipientOutcome, refused_text
from careops.settings import SmtpSettings

# The connection is unusable (or was never usable): reconnect, then give up on the server.
CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,  # includes a refusing greeting (SMTPConnectResponseError)
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPNotSupported,  # e.g. STARTTLS configured but not offered
    OSError,  # ConnectionRefusedError, TimeoutError, ssl errors ...
)
MAX_ERRORS = 20


@dataclass(frozen=True)
class DeliveryResult:
    sent_ids: list[int]
    failures: list[tuple[int, str]]
    unreachable: str | None = None  # set when the server could not be reached / logged into
    # messages whose recipients the server answered apart (some refused at RCPT), or that
    # were answered apart before: recorded per recipient (careops.outbox_recipients)
    answered_apart: list[RecipientOutcome] = field(default_factory=list)


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
        return DeliveryResult(
            result.sent_ids, result.failures, down[0] if down else None, result.answered_apart
        )

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            await discard(client, polite=True)

    async def _worker(
        self, queue: asyncio.Queue[Claimed], result: DeliveryResult, down: list[str]
    ) -> None:
        client = self._idle.pop() if self._idle else None
        try:
            while not queue.empty():
                message = queue.get_nowait()
                client, error, server_down = await self._send(client, message)
                if isinstance(error, RecipientOutcome):
                    result.answered_apart.append(error)
                    continue
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
    ) -> tuple[aiosmtplib.SMTP | None, str | RecipientOutcome | None, bool]:
        """Send one message to the recipients still owed: (client to keep, error or None or
        the recipients' answers when they differ, whether the server is down)."""
        error = ""
        for _attempt in range(2):  # a broken connection is re-opened once
            try:
                if client is None or not client.is_connected:
                    client = await self._connect()
                refused, reply = await client.sendmail(
                    self.envelope_from, message.recipients, message.raw.encode()
                )
                if refused or message.partial:  # some accepted, some not (now or before)
                    answers = [
                        (a, self._clean(f"{r.code} {r.message}")) for a, r in refused.items()
                    ]
                    accepted = [a for a in message.recipients if a not in refused]
                    return (
                        client,
                        RecipientOutcome(message.id, accepted, answers, f"250 {reply}"),
                        False,
                    )
                return client, None, False
            except aiosmtplib.SMTPRecipientsRefused as exc:  # every owed recipient refused
                answers = [
                    (r.recipient, self._clean(f"{r.code} {r.message}")) for r in exc.recipients
                ]
                if message.partial:
                    return client, RecipientOutcome(message.id, [], answers), False
                return client, refused_text(answers), False
            except aiosmtplib.SMTPAuthenticationError as exc:
                user = self.settings.username
                error = f"SMTP server {self.where} refused login as {user!r}: {exc}"
                return await discard(client), self._clean(error), True
            except CONNECTION_ERRORS as exc:
                client = await discard(client)
                error = f"SMTP server {self.where} unreachable: {error_text(exc)}"
            except (aiosmtplib.SMTPException, ValueError) as exc:
                # refused sender / recipients / data, or a bad address: this message only
                return client, self._clean(error_text(exc)), False
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


async def discard(client: aiosmtplib.SMTP | None, *, polite: bool = False) -> None:
    if client is not None:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            if polite and client.is_connected:
                await client.quit()
        client.close()


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
