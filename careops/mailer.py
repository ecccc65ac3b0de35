"""Queue a templated mail in the caller's transaction: render → build → outbox.

Services call `Mailer.queue(...)` inside their unit of work, so the mail is stored if and only if
the state change it reports is committed. Delivery happens later (careops.mail.delivery).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from careops import outbox
from careops.addresses import usable_recipients
from careops.mail.message import NO_RECIPIENT, InlineImage, build_message
from careops.mail.render import MailRenderer


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "text/csv"


@dataclass
class Mailer:
    renderer: MailRenderer
    sender: str
    default_locale: str = "zh_CN"

    def queue(
        self,
        session: Session,
        *,
        key: str,
        template: str,
        to: Sequence[str],
        context: Mapping[str, object],
        locale: str | None = None,
        category: str | None = None,
        attachments: Sequence[Attachment] = (),
        inline_images: Sequence[InlineImage] = (),
        now: datetime | None = None,
    ) -> bool:
        """Render `template` for `to` and add it to the outbox under `key` (once per key).

        Returns False when a mail with this key was already queued (a re-run or a retry).
        `now` stamps the outbox row (an injected clock); default: the real time.
        `inline_images` are shown by the HTML as `cid:<image.cid>` (pass the cid in `context`).
        """
        rendered = self.renderer.render(template, locale or self.default_locale, context)
        # one bad address never blocks the caller: the mail goes to the usable ones, or is
        # stored as failed (visible in `careops outbox list`) when there is none
        usable, problems = usable_recipients(to)
        message = build_message(
            sender=self.sender, recipients=usable or [NO_RECIPIENT], rendered=rendered,
            inline_images=inline_images,
        )
        for item in attachments:
            maintype, subtype = item.mimetype.split("/", 1)
            message.add_attachment(
                item.content, maintype=maintype, subtype=subtype, filename=item.filename
            )
        return outbox.enqueue(
            session,
            key=key,
            category=category or template,
            recipients=usable,
            message=message,
            now=now,
            problems=problems,
        )
