"""What ops see and do with the outbox: list, show, retry, and what is waiting until when.

`careops outbox list|show|retry|deliver` and the deliver-outbox artifact read these. A message
is `pending` (due at `next_attempt_at`), `sending` (leased by a delivery until `claimed_until`:
running, or crashed and retried once the lease expires), `sent`, or `failed` (given up after
`smtp.max_attempts`, or stored without a usable recipient) — failed mail stays until ops retry it.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update

from careops import outbox_recipients
from careops.addresses import check_address
from careops.db.models.outbox import OutboxMessage, OutboxStatus
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, NotFound
from careops.mail.message import POLICY
from careops.settings import SmtpSettings

_T = OutboxMessage.__table__
NOTICE_CATEGORY = "ops_outbox_failed"  # the ops notice about failed mail (never about itself)


@dataclass(frozen=True)
class MessageInfo:
    id: int
    key: str
    category: str
    status: str
    recipients: str
    subject: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    claimed_until: datetime | None
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxState:
    """What is waiting, and until when (all times UTC)."""

    pending: int = 0
    next_attempt_at: datetime | None = None  # the earliest retry of a pending message
    retry_until: datetime | None = None  # the last retry before pending mail is given up
    leased: int = 0  # sending under a lease that has not expired
    lease_until: datetime | None = None  # the latest lease expiry
    failed: int = 0

    @property
    def waiting(self) -> int:
        return self.pending + self.leased


_COLUMNS = (
    _T.c.id,
    _T.c.key,
    _T.c.category,
    _T.c.status,
    _T.c.recipients,
    _T.c.subject,
    _T.c.attempts,
    _T.c.created_at,
    _T.c.next_attempt_at,
    _T.c.claimed_until,
    _T.c.sent_at,
    _T.c.last_error,
)


def _info(row) -> MessageInfo:
    values = {name: row._mapping[name] for name in MessageInfo.__dataclass_fields__}
    values["status"] = str(values["status"])
    return MessageInfo(**values)


def list_messages(
    uow: UnitOfWork, statuses: list[OutboxStatus] | None = None, *, limit: int = 50
) -> tuple[list[MessageInfo], int]:
    """Messages with one of `statuses` (all if None), newest first, at most `limit`; and the
    number that match."""
    where = [_T.c.status.in_(statuses)] if statuses else []
    with uow:
        conn = uow.session.connection()
        total = conn.execute(select(func.count()).select_from(_T).where(*where)).scalar_one()
        rows = conn.execute(
            select(*_COLUMNS).where(*where).order_by(_T.c.id.desc()).limit(limit)
        ).all()
    return [_info(row) for row in rows], total


def show_message(uow: UnitOfWork, message_id: int) -> tuple[MessageInfo, EmailMessage]:
    """One message and its parsed RFC 5322 text; NotFound if there is none."""
    info, message, _recipients = show_delivery(uow, message_id)
    return info, message


def show_delivery(
    uow: UnitOfWork, message_id: int
) -> tuple[MessageInfo, EmailMessage, list[tuple[str, str, str | None]]]:
    """One message, its parsed text and each recipient's (address, state, server's reply):
    recorded per recipient if the server answered them apart, else the message's own state
    (and its last error, if any) for every recipient. NotFound if there is none."""
    with uow:
        conn = uow.session.connection()
        row = conn.execute(select(*_COLUMNS, _T.c.raw).where(_T.c.id == message_id)).one_or_none()
        apart = outbox_recipients.recipients_of(conn, message_id) if row is not None else []
    if row is None:
        raise NotFound(f"no outbox message {message_id}")
    info = _info(row)
    # a recipient still owed shares the message's attempts, so its state is the message's
    apart = [(a, state if state == "sent" else info.status, r) for a, state, r in apart]
    recipients = apart or [
        (address, info.status, info.last_error) for address in info.recipients.split(",") if address
    ]
    return info, email.message_from_string(row.raw, policy=POLICY), recipients


def body_text(message: EmailMessage) -> str:
    """The plain-text part of a stored message (what `careops outbox show --body` prints)."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def retry(
    uow: UnitOfWork,
    ids: list[int] | None,
    now: datetime,
    *,
    to: list[str] | None = None,
) -> list[int]:
    """Failed messages back to pending, due now with fresh attempts; the ids changed.

    `ids` None: every failed message. `to` replaces the recipients (envelope and To header),
    e.g. after a bad address was corrected. A message that is not failed is an error.
    """
    new_recipients = [check_address(address) for address in to] if to else None
    with uow:
        session = uow.session
        stmt = select(_T.c.id, _T.c.status, _T.c.raw).where(_T.c.status == OutboxStatus.FAILED)
        if ids is not None:
            stmt = select(_T.c.id, _T.c.status, _T.c.raw).where(_T.c.id.in_(ids))
        rows = session.connection().execute(stmt.with_for_update()).all()
        found = {row.id: row for row in rows}
        if ids is not None:
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"no outbox message {', '.join(map(str, missing))}")
            not_failed = [f"{i} is {found[i].status}" for i in ids if found[i].status != "failed"]
            if not_failed:
                raise CareopsError(
                    "only failed mail can be retried: message " + ", ".join(not_failed)
                )
        outbox_recipients.reset_failed(
            session.connection(), [row.id for row in rows], forget=bool(new_recipients)
        )
        for row in rows:
            values = {
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "claimed_until": None,
            }
            if new_recipients:
                message = email.message_from_string(row.raw, policy=POLICY)
                del message["To"]
                message["To"] = ", ".join(new_recipients)
                values |= {"recipients": ",".join(new_recipients), "raw": message.as_string()}
            session.execute(
                update(_T)
                .where(_T.c.id == row.id, _T.c.status == OutboxStatus.FAILED)
                .values(**values)
            )
        uow.commit()
    return sorted(found)


def outbox_state(uow: UnitOfWork, now: datetime, smtp: SmtpSettings) -> OutboxState:
    """Counts of waiting and failed mail, with the times a person needs to know."""
    with uow:
        conn = uow.session.connection()
        by_attempts = conn.execute(
            select(
                _T.c.attempts,
                func.count(),
                func.min(_T.c.next_attempt_at),
                func.max(_T.c.next_attempt_at),
            )
            .where(_T.c.status == OutboxStatus.PENDING)
            .group_by(_T.c.attempts)
        ).all()
        leased = conn.execute(
            select(func.count(), func.max(_T.c.claimed_until)).where(
                _T.c.status == OutboxStatus.SENDING, _T.c.claimed_until >= now
            )
        ).one()
        expired = conn.execute(
            select(func.count()).where(
                _T.c.status == OutboxStatus.SENDING, _T.c.claimed_until < now
            )
        ).scalar_one()
        failed = conn.execute(
            select(func.count()).where(_T.c.status == OutboxStatus.FAILED)
        ).scalar_one()
    pending = sum(count for _a, count, _first, _last in by_attempts) + expired
    firsts = [first for _a, _c, first, _l in by_attempts] + ([now] if expired else [])
    untils = [last + _remaining_backoff(attempts, smtp) for attempts, _c, _f, last in by_attempts]
    return OutboxState(
        pending=pending,
        next_attempt_at=min(firsts) if firsts else None,
        retry_until=max(untils) if untils else (now if expired else None),
        leased=leased[0],
        lease_until=leased[1],
        failed=failed,
    )


def _remaining_backoff(attempts: int, smtp: SmtpSettings) -> timedelta:
    """From the next attempt of a message tried `attempts` times to its last attempt."""
    backoff = timedelta(seconds=smtp.backoff_seconds)
    return sum(
        (backoff * 2 ** min(k - 1, 16) for k in range(attempts + 1, smtp.max_attempts)),
        timedelta(0),
    )


def failure_episode(uow: UnitOfWork) -> tuple[str, list[MessageInfo]] | None:
    """(the key of the current failure episode, its failed messages), or None if none failed.

    An episode lasts while its oldest failed message stays failed: the key names that message
    and the moment it was given up, so ops hear once per episode, and again after a retry that
    fails anew.
    """
    with uow:
        rows = (
            uow.session.connection()
            .execute(
                select(*_COLUMNS)
                .where(_T.c.status == OutboxStatus.FAILED, _T.c.category != NOTICE_CATEGORY)
                .order_by(_T.c.id)
                .limit(200)
            )
            .all()
        )
    if not rows:
        return None
    first = _info(rows[0])
    return f"ops-outbox-failed:{first.id}:{first.next_attempt_at:%Y%m%dT%H%M%S}", [
        _info(row) for row in rows
    ]


def key_exists(uow: UnitOfWork, key: str) -> bool:
    with uow:
        return (
            uow.session.connection().execute(select(_T.c.id).where(_T.c.key == key)).first()
            is not None
        )
