"""Per-recipient delivery of outbox mail, for servers that accept some recipients and refuse
others at RCPT (aiosmtplib's `sendmail` returns the refused ones and delivers to the rest).

A message answered apart gets one `outbox_recipient` row per recipient (`OutboxRecipient`):
the accepted ones are `sent` and never sent again; the refused ones follow the message's rules
(pending with backoff, `failed` after `smtp.max_attempts`; a refusal counts as one attempt of
the message, whatever its code, as a refused whole message does). A later attempt sends the
same bytes (same Message-ID) only to the recipients still owed. A message without rows (the
usual case) had one answer for all its recipients: nothing is written for it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from careops.db.models.outbox import OutboxMessage, OutboxRecipient, OutboxStatus

_M = OutboxMessage.__table__
_R = OutboxRecipient.__table__
_MAX_ERROR = 2000


@dataclass(frozen=True)
class RecipientOutcome:
    """What the server answered one message's recipients on one attempt."""

    id: int  # the outbox message
    accepted: list[str]
    refused: list[tuple[str, str]]  # (address, the server's reply, e.g. "550 5.1.1 no user")
    reply: str = ""  # the server's reply to DATA, for the accepted ones


@dataclass
class RecipientMarks:
    sent: int = 0  # messages now delivered to every recipient
    retry_later: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def refused_text(refused: Sequence[tuple[str, str]]) -> str:
    """`refused by the server: a@x (550 5.1.1 no such user); b@y (450 ...)`."""
    return "refused by the server: " + "; ".join(f"{addr} ({reply})" for addr, reply in refused)


def delivered(conn: Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    """For the messages among `ids` answered apart: the addresses already delivered to."""
    found: dict[int, set[str]] = {}
    if not ids:
        return found
    rows = conn.execute(
        select(_R.c.message_id, _R.c.address, _R.c.status).where(_R.c.message_id.in_(ids))
    )
    for row in rows:
        sent = found.setdefault(row.message_id, set())
        if row.status == OutboxStatus.SENT:
            sent.add(row.address)
    return found


def mark_recipients(
    engine: Engine,
    outcomes: Sequence[RecipientOutcome],
    now: datetime,
    backoff: timedelta,
    max_attempts: int,
) -> RecipientMarks:
    """Record each recipient's answer and the message's resulting state (sent once nobody is
    owed; else pending with backoff or failed, as `outbox.mark_failed` decides). A message no
    longer `sending` (re-claimed and recorded by another deliverer) is left as it is."""
    marks = RecipientMarks()
    if not outcomes:
        return marks
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as conn:
        for outcome in outcomes:
            tried = conn.execute(
                select(_M.c.attempts).where(_M.c.id == outcome.id)
            ).scalar_one_or_none()
            if tried is None:
                continue
            if not outcome.refused:
                state, retry_at = OutboxStatus.SENT, now
            elif tried >= max_attempts:
                state, retry_at = OutboxStatus.FAILED, now
            else:
                state, retry_at = OutboxStatus.PENDING, now + backoff * 2 ** min(tried - 1, 16)
            error = None
            if outcome.refused:
                error = refused_text(outcome.refused)
            values = {
                "status": state,
                "next_attempt_at": retry_at,
                "claimed_until": None,
                "last_error": error[:_MAX_ERROR] if error else None,
            }
            if state == OutboxStatus.SENT:
                values["sent_at"] = now
            changed = conn.execute(
                update(_M)
                .where(_M.c.id == outcome.id, _M.c.status == OutboxStatus.SENDING)
                .values(**values)
            ).rowcount
            if changed:
                rows = [
                    {
                        "message_id": outcome.id,
                        "address": a,
                        "status": OutboxStatus.SENT,
                        "reply": outcome.reply[:_MAX_ERROR],
                        "updated_at": now,
                    }
                    for a in outcome.accepted
                ]
                rows += [
                    {
                        "message_id": outcome.id,
                        "address": a,
                        "status": state,
                        "reply": reply[:_MAX_ERROR],
                        "updated_at": now,
                    }
                    for a, reply in outcome.refused
                ]
                stmt = insert(_R)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[_R.c.message_id, _R.c.address],
                        set_={
                            "status": stmt.excluded.status,
                            "reply": stmt.excluded.reply,
                            "updated_at": stmt.excluded.updated_at,
                        },
                    ),
                    rows,
                )
                if error:
                    sent = conn.execute(
                        select(func.count()).where(
                            _R.c.message_id == outcome.id, _R.c.status == OutboxStatus.SENT
                        )
                    ).scalar_one()
                    if sent:
                        error = f"{error}; delivered to the other {sent} recipient(s)"
                    conn.execute(
                        update(_M)
                        .where(_M.c.id == outcome.id)
                        .values(last_error=error[:_MAX_ERROR])
                    )
            if state == OutboxStatus.SENT:
                marks.sent += 1
            elif state == OutboxStatus.FAILED:
                marks.failed += 1
            else:
                marks.retry_later += 1
            if error:
                marks.errors.append(error)
    return marks


def reset_failed(conn: Connection, ids: Sequence[int], *, forget: bool) -> None:
    """Ops retry failed messages: their refused recipients are owed again (`forget`: new
    recipients were given, so the old per-recipient record goes)."""
    if not ids:
        return
    if forget:
        conn.execute(_R.delete().where(_R.c.message_id.in_(ids)))
    else:
        conn.execute(
            update(_R)
            .where(_R.c.message_id.in_(ids), _R.c.status != OutboxStatus.SENT)
            .values(status=OutboxStatus.PENDING)
        )


def recipients_of(conn: Connection, message_id: int) -> list[tuple[str, str, str | None]]:
    """(address, state, the server's reply) of a message answered apart, by address."""
    rows = conn.execute(
        select(_R.c.address, _R.c.status, _R.c.reply)
        .where(_R.c.message_id == message_id)
        .order_by(_R.c.address)
    )
    return [(row.address, str(row.status), row.reply) for row in rows]
