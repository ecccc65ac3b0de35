"""Build the RFC 5322 message of a rendered mail.

The policy is `email.policy.SMTP` with 7-bit transfer encoding: non-ASCII headers (Chinese
subjects, display names) are RFC 2047 encoded and the bodies quoted-printable or base64, so the
serialised message is pure ASCII with CRLF line ends. Any SMTP server accepts it, with or without
SMTPUTF8 / 8BITMIME, and the outbox can store and resend the identical text.
"""

from __future__ import annotations

import email.policy
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from careops.clock import utcnow
from careops.errors import CareopsError
from careops.mail.render import RenderedMail

POLICY = email.policy.SMTP.clone(cte_type="7bit")
NO_RECIPIENT = "undisclosed-recipients:;"  # the To header of a mail nobody can receive
_RESERVED = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}


class HeaderError(CareopsError):
    """A header value that would break the message (line break) or is missing."""


def _check(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderError(f"mail header {name} contains a line break: {value!r}")
    return value


def sender_domain(sender: str) -> str:
    """The domain of the sender's address, used for Message-IDs (`localhost` if none)."""
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def envelope_address(address: str) -> str:
    """`careops <careops@example.com>` → `careops@example.com` (for MAIL FROM / RCPT TO)."""
    parsed = parseaddr(_check("address", address))[1]
    if not parsed or "@" not in parsed:
        raise HeaderError(f"not a mail address: {address!r}")
    return parsed


def build_message(
    *,
    sender: str,
    recipients: Sequence[str],
    rendered: RenderedMail,
    message_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative (text + HTML) message with Date and Message-ID.

    `recipients` may hold display names (`张三 <zhang@example.com>`). `headers` adds extra
    headers (e.g. `Reply-To`, `X-Careops-Category`); the structural ones are not overridable.
    """
    if not recipients:
        raise HeaderError(f"mail {rendered.subject!r} has no recipients")
    _check("From", sender)
    for recipient in recipients:
        _check("To", recipient)
    _check("Subject", rendered.subject)
    msg = EmailMessage(policy=POLICY)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = rendered.subject
    msg["Date"] = format_datetime(date or utcnow())
    msg["Message-ID"] = _check(
        "Message-ID", message_id or make_msgid(domain=sender_domain(sender))
    )
    for name, value in (headers or {}).items():
        _check("header name", name)
        if name.lower() in _RESERVED or not name or ":" in name:
            raise HeaderError(f"mail header {name!r} cannot be set through extra headers")
        msg[name] = _check(name, value)
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg

