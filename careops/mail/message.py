"""Build the RFC 5322 message of a rendered mail.

The policy is `email.policy.SMTP` with 7-bit transfer encoding: non-ASCII headers (Chinese
subjects, display names) are RFC 2047 encoded and the bodies quoted-printable or base64, so the
serialised message is pure ASCII with CRLF line ends. Any SMTP server accepts it, with or without
SMTPUTF8 / 8BITMIME, and the outbox can store and resend the identical text.
"""

from __future__ import annotations

import base64
import email.policy
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache

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


@lru_cache(maxsize=64)
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



@dataclass(frozen=True)
class RawMail:
    """A serialised message ready for the outbox (what `outbox.enqueue_many` stores)."""

    recipients: list[str]  # envelope addresses
    subject: str
    message_id: str
    raw: str


def build_raw(
    *,
    sender: str,
    recipients: Sequence[str],
    rendered: RenderedMail,
    message_id: str | None = None,
    date: datetime | None = None,
) -> RawMail:
    """The same multipart/alternative message as `build_message`, serialised ~30x faster.

    For mass mail (10,000 invitations): `email.policy.SMTP` parses and refolds every header
    through the header registry, which costs ~25x more than rendering the mail. This writes the
    same structure directly: RFC 2047 encoded-word headers, base64 UTF-8 bodies, 7-bit, CRLF
    (`tests/unit/test_build_raw.py` parses it back with the standard library). No
    attachments or extra headers.
    """
    if not recipients:
        raise HeaderError(f"mail {rendered.subject!r} has no recipients")
    _check("Subject", rendered.subject)
    message_id = _check("Message-ID", message_id or make_msgid(domain=sender_domain(sender)))
    boundary = f"==============={secrets.token_hex(12)}=="
    if list(recipients) == [NO_RECIPIENT]:  # a mail nobody can receive (stored as failed)
        parsed, to = [], [NO_RECIPIENT]
    else:
        parsed = [_parse_address(_check("To", r)) for r in recipients]
        to = [_address(name, address) for name, address in parsed]
    lines = [
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
        "MIME-Version: 1.0",
        f"From: {_address(*_parse_address(_check('From', sender)))}",
        "To: " + ",\r\n ".join(to),
        f"Subject: {_encoded_words(rendered.subject)}",
        f"Date: {format_datetime(date or utcnow())}",
        f"Message-ID: {message_id}",
        "",
    ]
    for body, subtype in ((rendered.text, "plain"), (rendered.html, "html")):
        encoded = base64.b64encode(body.encode("utf-8")).decode("ascii")
        lines += [f"--{boundary}", f'Content-Type: text/{subtype}; charset="utf-8"',
                  "Content-Transfer-Encoding: base64", "",
                  *(encoded[i:i + 76] for i in range(0, len(encoded), 76))]
    lines.append(f"--{boundary}--\r\n")
    return RawMail([address for _name, address in parsed], rendered.subject, message_id,
                   "\r\n".join(lines))


_PLAIN_HEADER = re.compile(r"^[\x20-\x7e]{0,70}$")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~.]*$")


def _encoded_words(text: str) -> str:
    """`text` as a header value: as is if short printable ASCII, else RFC 2047 base64 words
    of at most 39 bytes each (64 characters), one per folded line, never splitting a
    character."""
    if _PLAIN_HEADER.match(text):
        return text
    data, words, start = text.encode("utf-8"), [], 0
    while start < len(data):
        end = min(start + 39, len(data))
        while end < len(data) and 0x80 <= data[end] < 0xC0:  # never split a character
            end -= 1
        words.append(data[start:end])
        start = end
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


_NAME_ADDR = re.compile(r'^\s*"?([^"<>\\]*?)"?\s*<([^<>@\s,"]+@[^<>@\s,"]+)>\s*$')
_BARE_ADDR = re.compile(r"^\s*([^<>@\s,\"()]+@[^<>@\s,\"()]+)\s*$")


@lru_cache(maxsize=64)  # the sender: the same few values every time
def _parse_address(value: str) -> tuple[str, str]:
    """(display name, address) of `Name <a@b>` or `a@b` (the common forms, fast), else of
    whatever `parseaddr` makes of it."""
    match = _NAME_ADDR.match(value)
    if match:
        return match.group(1).strip(), match.group(2)
    match = _BARE_ADDR.match(value)
    if match:
        return "", match.group(1)
    name, address = parseaddr(value)
    if not address or "@" not in address:
        raise HeaderError(f"not a mail address: {value!r}")
    return name, address


def _address(name: str, address: str) -> str:
    if not name:
        return address
    if _PLAIN_NAME.match(name):
        return f"{name} <{address}>"
    if name.isascii():
        return formataddr((name, address))
    return f"{_encoded_words(name)} <{address}>"
