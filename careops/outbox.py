"""The transactional outbox: mails are written with the state change they report, sent later.

- `enqueue` inserts in the CALLER's transaction (ON CONFLICT (key) DO NOTHING): if the service
  rolls back, the mail is gone too; a re-run enqueues the same key once.
- `claim_due` leases a batch (status `sending`, `claimed_until`) in its own short transaction,
  `FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent deliverers get disjoint rows. A
  deliverer that crashes leaves its rows `sending`; once the lease expires they are due again
  (so a message in flight during a crash may go out twice, with the same Message-ID).
- `mark_sent` / `mark_failed` record the outcome; failures back off exponentially and give up
  after `max_attempts`. A message whose recipients the server answered apart (some refused at
  RCPT) is recorded per recipient (`careops.outbox_recipients`); `claim_due` then gives only
  the recipients still owed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import NamedTuple

from sqlalchemy import Engine, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from careops import outbox_recipients
from careops.addresses import usable_addresses
from careops.clock import utcnow
from careops.db.insert import insert_ignoring_duplicates
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.errors import CareopsError
from careops.mail.message import RawMail

_T = OutboxMessage.__table__
_CHUNK = 500  # ids per IN (...) list: well under SQLite's bound-parameter limit
_MAX_ERROR = 2000


@dataclass(frozen=True)
class Claimed:
    id: int
    recipients: list[str]
    raw: str
    attempts: int  # including the current one
    partial: bool = False  # answered apart before: `recipients` are those still owed


@dataclass(frozen=True)
class FailedMessage:
    id: int
    key: str
    category: str
    recipients: str
    subject: str
    attempts: int
    last_error: str | None


class FailOutcome(NamedTuple):
    retry_later: int
    failed: int


def enqueue(
    session: Session,
    *,
    key: str,
    category: str,
    recipients: Sequence[str],
    message: EmailMessage,
    now: datetime | None = None,
    problems: Sequence[str] = (),
) -> bool:
    """Add `message` to the outbox in the caller's transaction; False if `key` is already there.

    `recipients` is the envelope (display names are dropped); does not commit. An unusable
    address never fails the caller: it is left out, and a message with no usable recipient
    is stored as failed with the reason (`problems`: reasons the caller already found), for
    `careops outbox list` and the ops notice — the rest of the caller's mail goes on.
    """
    addresses, bad = usable_addresses(recipients)
    problems = [*problems, *bad]
    error = None
    if not addresses:
        error = "no usable recipient: " + ("; ".join(problems) or "none given")
    message_id = message["Message-ID"]
    if not message_id:
        raise CareopsError(f"outbox message {key!r} has no Message-ID header")
    moment = now or utcnow()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(_T)
        .values(
            key=key,
            category=category,
            recipients=",".join(addresses),
            subject=str(message["Subject"] or "")[:300],
            message_id=str(message_id),
            raw=message.as_string(),
            status=OutboxStatus.FAILED if error else OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=moment,
            created_at=moment,
            last_error=error[:_MAX_ERROR] if error else None,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_T.c.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def enqueue_many(
    session: Session,
    mails: Sequence[tuple[str, str, RawMail, Sequence[str]]],
    *,
    now: datetime | None = None,
) -> None:
    """Add many serialised mails `(key, category, mail, problems)` in one executemany, in the
    caller's transaction; keys already in the outbox are skipped (ON CONFLICT (key) DO
    NOTHING). `mail.recipients` must be checked already (`careops.addresses`, as
    `Mailer.queue_many` does: checking 10,000 addresses twice costs more than the insert);
    like `enqueue`, a mail with none is stored as failed with `problems` as the reason."""
    moment = now or utcnow()
    rows = []
    for key, category, mail, problems in mails:
        addresses = mail.recipients
        error = None if addresses else "no usable recipient: " + ("; ".join(problems) or "none")
        rows.append(
            {
                "key": key,
                "category": category,
                "recipients": ",".join(addresses),
                "subject": mail.subject[:300],
                "message_id": mail.message_id,
                "raw": mail.raw,
                "status": OutboxStatus.FAILED if error else OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
                "last_error": error[:_MAX_ERROR] if error else None,
            }
        )
    insert_ignoring_duplicates(session, OutboxMessage, rows, ["key"])


def claim_due(
    engine: Engine,
    *,
    limit: int,
    now: datetime,
    lease: timedelta,
    after_id: int = 0,
) -> list[Claimed]:
    """Lease up to `limit` due messages (oldest first) until `now + lease`.

    Due: pending with `next_attempt_at <= now`, or sending whose lease expired (a crashed
    delivery). The lease must outlast the delivery of one batch. `after_id` lets a delivery
    run move forward through the outbox, so it attempts each message at most once.
    """
    due = or_(
        and_(_T.c.status == OutboxStatus.PENDING, _T.c.next_attempt_at <= now),
        and_(_T.c.status == OutboxStatus.SENDING, _T.c.claimed_until < now),
    )
    stmt = (
        select(_T.c.id, _T.c.recipients, _T.c.raw, _T.c.attempts)
        .where(due, _T.c.id > after_id)
        .order_by(_T.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE holds the write lock already
        rows = conn.execute(stmt).all()
        if not rows:
            return []
        answered_apart: dict[int, set[str]] = {}
        for ids in _chunks([row.id for row in rows]):
            answered_apart.update(outbox_recipients.delivered(conn, ids))
            conn.execute(
                update(_T)
                .where(_T.c.id.in_(ids))
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_until=now + lease,
                    attempts=_T.c.attempts + 1,
                )
            )
    claimed = []
    for row in rows:
        sent = answered_apart.get(row.id, set())
        owed = [r for r in row.recipients.split(",") if r and r not in sent]
        claimed.append(Claimed(row.id, owed, row.raw, row.attempts + 1, row.id in answered_apart))
    return claimed


def mark_sent(engine: Engine, ids: Iterable[int], now: datetime) -> None:
    """Record delivered messages (one UPDATE per 500 ids)."""
    with engine.begin() as conn:
        for chunk in _chunks(list(ids)):
            conn.execute(
                update(_T)
                .where(_T.c.id.in_(chunk))
                .values(status=OutboxStatus.SENT, sent_at=now, claimed_until=None, last_error=None)
            )


def mark_failed(
    engine: Engine,
    failures: Sequence[tuple[int, str]],
    now: datetime,
    backoff: timedelta,
    max_attempts: int,
) -> FailOutcome:
    """Back to pending after `backoff * 2**(attempts-1)`, or `failed` after `max_attempts`.

    `error` is stored as given (truncated): callers must not put secrets in it.
    """
    if not failures:
        return FailOutcome(0, 0)
    errors = dict(failures)
    with engine.begin() as conn:
        attempts: dict[int, int] = {}
        for chunk in _chunks(list(errors)):
            rows = conn.execute(select(_T.c.id, _T.c.attempts).where(_T.c.id.in_(chunk)))
            attempts.update((row.id, row.attempts) for row in rows)
        params = []
        for message_id, tried in attempts.items():
            give_up = tried >= max_attempts
            delay = backoff * 2 ** min(max(tried - 1, 0), 16)
            params.append(
                {
                    "b_id": message_id,
                    "b_status": OutboxStatus.FAILED if give_up else OutboxStatus.PENDING,
                    "b_next": now if give_up else now + delay,
                    "b_error": errors[message_id][:_MAX_ERROR],
                }
            )
        if params:
            conn.execute(
                update(_T)  # a row another deliverer re-claimed and sent stays sent
                .where(_T.c.id == bindparam("b_id"), _T.c.status == OutboxStatus.SENDING)
                .values(
                    status=bindparam("b_status"),
                    next_attempt_at=bindparam("b_next"),
                    last_error=bindparam("b_error"),
                    claimed_until=None,
                ),
                params,
            )
    gave_up = sum(1 for p in params if p["b_status"] == OutboxStatus.FAILED)
    return FailOutcome(retry_later=len(params) - gave_up, failed=gave_up)


def give_up(engine: Engine, failures: Sequence[tuple[int, str]], now: datetime) -> int:
    """Mark claimed messages failed at once (e.g. no usable recipient); no retry helps them."""
    if not failures:
        return 0
    with engine.begin() as conn:
        conn.execute(
            update(_T)
            .where(_T.c.id == bindparam("b_id"), _T.c.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.FAILED,
                next_attempt_at=now,
                last_error=bindparam("b_error"),
                claimed_until=None,
            ),
            [{"b_id": i, "b_error": e[:_MAX_ERROR]} for i, e in failures],
        )
    return len(failures)


def pending_count(engine: Engine) -> int:
    """Messages not yet delivered nor given up (pending, or sending under a lease)."""
    with engine.connect() as conn:
        stmt = select(func.count()).where(
            _T.c.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
        return conn.execute(stmt).scalar_one()


def failed(engine: Engine) -> list[FailedMessage]:
    """Messages given up after `max_attempts`, oldest first."""
    stmt = (
        select(
            _T.c.id,
            _T.c.key,
            _T.c.category,
            _T.c.recipients,
            _T.c.subject,
            _T.c.attempts,
            _T.c.last_error,
        )
        .where(_T.c.status == OutboxStatus.FAILED)
        .order_by(_T.c.id)
    )
    with engine.connect() as conn:
        return [FailedMessage(*row) for row in conn.execute(stmt)]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]
