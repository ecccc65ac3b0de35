"""Queue a templated mail in the caller's transaction: render → build → outbox.

Services call `Mailer.queue(...)` inside their unit of work, so the mail is stored if and only if
the state change it reports is committed. Delivery happens later (careops.mail.delivery).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from careops import outbox
from careops.addresses import usable_addresses, usable_recipients
from careops.mail.message import NO_RECIPIENT, InlineImage, build_message, build_raw
from careops.mail.render import MailRenderer
from careops.secrets import SecretProblem
from careops.staff_links import StaffLinks

if TYPE_CHECKING:
    from careops.db.models.common import Staff

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "text/csv"


@dataclass(frozen=True)
class BulkMail:
    """One mail of a mass mailing (`Mailer.queue_many`)."""

    key: str
    to: Sequence[str]
    context: Mapping[str, object]
    locale: str | None = None


@dataclass
class Mailer:
    renderer: MailRenderer
    sender: str
    default_locale: str = "zh_CN"
    links: StaffLinks | None = None  # staff members' personal links (careops.staff_links)

    def staff_link(self, staff: Staff, scope: str, subject: object,
                   expires: datetime) -> str | None:
        """`staff`'s personal link to the `scope` page of `subject`, valid until `expires`;
        None when this mailer makes no links or the installation has no usable key (the mail
        still goes, with the CLI and Prefect UI ways to act)."""
        if self.links is None:
            return None
        try:
            return self.links.url(staff_id=staff.id, recipient=staff.email,
                                  generation=staff.link_generation or 0, scope=scope,
                                  subject=str(subject), expires=expires)
        except SecretProblem as exc:
            log.warning("mail to %s goes without its personal link: %s", staff.code, exc)
            return None

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

    def queue_many(
        self,
        session: Session,
        *,
        template: str,
        mails: Sequence[BulkMail],
        category: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Render and queue many mails of one template in one INSERT (mass mailings).

        Same outcome as `queue` per mail (once per key), without attachments; the messages
        are built by `build_raw`, which is what makes 10,000 invitations fast.
        """
        rows = []
        for mail in mails:
            rendered = self.renderer.render(template, mail.locale or self.default_locale,
                                            mail.context)
            # as in `queue`, each address checked once (10,000 of them: the check costs)
            envelope, problems = usable_addresses(mail.to)
            usable = list(mail.to) if not problems else usable_recipients(mail.to)[0]
            raw = build_raw(sender=self.sender, recipients=usable or [NO_RECIPIENT],
                            rendered=rendered, date=now)
            raw = replace(raw, recipients=envelope)  # the checked (ASCII) form
            rows.append((mail.key, category or template, raw, problems))
        outbox.enqueue_many(session, rows, now=now)
