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

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


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
        self._controller = Controller(  # a fresh one: a stopped controller's loop is closed
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

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.envelope_to]

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.received.clear()
