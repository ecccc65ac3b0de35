"""Build the RFC 5322 message of a rendered mail.

The policy is `email.policy.SMTP` with 7-bit transfer encoding: non-ASCII headers (Chinese
subjects, display names) are RFC 2047 encoded and the bodies quoted-printable or base64, so the
serialised message is pure ASCII with CRLF line ends. Any SMTP server accepts it, with or without
SMTPUTF8 / 8BITMIME, and the outbox can store and resend the identical text.
"""

from __future__ import annotations

import email.policy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML part shows with `<img src="cid:{cid}">` (a multipart/related part)."""

    cid: str  # without angle brackets, e.g. from `inline_cid(sender)`
    content: bytes
    mimetype: str = "image/png"


def inline_cid(sender: str, name: str = "img") -> str:
    """A globally unique Content-ID for an inline image, without angle brackets."""
    return make_msgid(idstring=name, domain=sender_domain(sender))[1:-1]


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
    inline_images: Sequence[InlineImage] = (),
) -> EmailMessage:
    """A multipart/alternative (text + HTML) message with Date and Message-ID.

    `inline_images` become related parts of the HTML (multipart/related), referenced from the
    HTML as `cid:<cid>`; text-only readers never see them.

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
    if inline_images:
        html_part = msg.get_body(preferencelist=("html",))
        assert html_part is not None
        for image in inline_images:
            if f"cid:{image.cid}" not in rendered.html:
                raise HeaderError(
                    f"mail {rendered.subject!r}: the HTML never shows cid:{image.cid}"
                )
            maintype, subtype = image.mimetype.split("/", 1)
            html_part.add_related(
                image.content, maintype=maintype, subtype=subtype, cid=f"<{image.cid}>",
                disposition="inline",
            )
    return msg

