"""A real SMTP server on loopback (aiosmtpd) whose received mail the tests read."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from careops.stack.processes import free_port


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # seconds before each DATA is answered (a slow server)
    refusals: dict[str, str] = field(default_factory=dict)  # address -> RCPT reply
    busy: int = 0  # connections open plus messages being accepted (see SmtpSink.quiet)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802
        with self.lock:
            reply = self.refusals.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.count(+1)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            with self.lock:
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
            return "250 OK"
        finally:
            self.count(-1)

    def count(self, step: int) -> None:
        with self.lock:
            self.busy += step


class _CountingSMTP(SMTP):
    """aiosmtpd's server, counting its open connections in the handler's `busy`."""

    def connection_made(self, transport) -> None:
        if self._original_transport is None:  # not the same connection again after STARTTLS
            self.event_handler.count(+1)
        super().connection_made(transport)

    def connection_lost(self, error) -> None:
        try:
            super().connection_lost(error)
        finally:
            self.event_handler.count(-1)


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """Start with `start()`; `messages` lists what arrived; `clear()` between tests."""

    def __init__(
        self, host: str = "127.0.0.1", *, delay: float = 0.0, **controller_options: Any
    ) -> None:
        """`controller_options` go to aiosmtpd's Controller (tls_context, authenticator ...);
        `delay`: seconds the server takes to accept each message. `stop()` then `start()`
        again is an outage: the port refuses connections meanwhile, the mail received stays."""
        self._handler = _Handler(delay=delay)
        self.host = host
        self.port = free_port(host)
        self._options = controller_options
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = _Controller(  # a fresh one: a stopped controller's loop is closed
            self._handler, hostname=self.host, port=self.port, **self._options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    @property
    def quiet(self) -> bool:
        """No client connected and no message half accepted: after a client is killed, wait
        for this before reading `messages`, or a message it had sent can still arrive (the
        server accepts it after a delay; a loaded machine makes the delay longer)."""
        with self._handler.lock:
            return self._handler.busy == 0

    def refuse(self, address: str, reply: str = "550 5.1.1 mailbox unavailable") -> None:
        """Answer RCPT TO:<address> with `reply` (e.g. "450 4.2.1 try later") until `accept`
        or `clear`; the other recipients of the same mail are still accepted."""
        with self._handler.lock:
            self._handler.refusals[address.lower()] = reply

    def accept(self, address: str) -> None:
        with self._handler.lock:
            self._handler.refusals.pop(address.lower(), None)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.envelope_to]

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.received.clear()
            self._handler.refusals.clear()
