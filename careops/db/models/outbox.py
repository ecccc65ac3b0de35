"""The outbox: every mail careops sends, written in the transaction of what it reports."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from careops.clock import utcnow
from careops.db.base import Base, UTCDateTime, _enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    """A rendered mail, written in the same transaction as the state change it reports.

    `raw` holds the complete RFC 5322 message (with its Message-ID), so a redelivery after a
    crash sends the identical bytes and receivers can de-duplicate.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(50))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(200))
    raw: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxRecipient(Base):
    """One recipient's delivery state, once the server answered a message's recipients apart.

    Written when a server refused some recipients at RCPT (and for every later attempt of that
    message): accepted ones are `sent` and never sent again; refused ones share the message's
    state (`pending` with backoff, `failed` after `smtp.max_attempts`). A message without rows
    had every recipient in its own state; the recipients still owed are its `recipients` less
    the `sent` rows. `reply` is the server's answer (the RCPT refusal, or DATA's acceptance).
    """

    __tablename__ = "outbox_recipient"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus))
    reply: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
