"""R6 complaints, consultations and suggestions as pure rules: kinds, deadlines, warnings, checks.

No database, no Prefect, no network. Deadlines follow the PRC Civil Code's counting of periods
(arts. 201-203): the day of receipt does not count, a period in days ends at 24:00 of its last day,
and a last day that is not a working day moves to the next working day. 24:00 of day D is stored
and printed as 00:00 of D + 1 (an instant); mails show it as "D 24:00".

- consultation: 24 clock hours from receipt (holidays do not stop the clock);
- complaint: 24:00 of the 3rd working day after the day of receipt (7th when marked special);
- suggestion: 24:00 of the reply date promised to the customer (moved to the next working day
  if it is not one), by default of the 5th working day after the day of receipt.

Warnings to the owner: 09:00 (configurable) on the morning of the last day of a complaint or
suggestion, and 4 h before a consultation's 24 h run out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careops.calendar import WorkCalendar
from careops.errors import CareopsError

MAX_TEXT = 20_000
CONSULTATION_HOURS = 24
COMPLAINT_WORKING_DAYS = 3
SPECIAL_COMPLAINT_WORKING_DAYS = 7
SUGGESTION_WORKING_DAYS = 5


class CaseKind(enum.StrEnum):
    CONSULTATION = "consultation"
    SUGGESTION = "suggestion"
    COMPLAINT = "complaint"


class CaseState(enum.StrEnum):
    OPEN = "open"  # being handled (also after a reopen)
    ANSWERED = "answered"  # the result went to the customer; their opinion is awaited
    CLOSED = "closed"


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    VISIT = "visit"
    LETTER = "letter"
    WEB = "web"
    CALLBACK = "callback"  # raised during an R1 callback


class Opinion(enum.StrEnum):
    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"


class CaseInputError(CareopsError):
    """A case that cannot be accepted (kind, special flag, text, received time ...)."""


def parse_kind(text: str) -> CaseKind:
    try:
        return CaseKind(text.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in CaseKind)
        raise CaseInputError(f"kind {text!r} is not one of {kinds}") from None


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """24:00 of `day` (local) as an instant: 00:00 of the next day."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


@dataclass(frozen=True)
class DeadlineRule:
    """The configurable numbers of R6 (defaults are the regulation's)."""

    consultation_hours: int = CONSULTATION_HOURS
    complaint_days: int = COMPLAINT_WORKING_DAYS
    special_complaint_days: int = SPECIAL_COMPLAINT_WORKING_DAYS
    suggestion_days: int = SUGGESTION_WORKING_DAYS
    warn_hours_before_consultation: int = 4
    warn_morning: time = time(9, 0)


def case_deadline(
    kind: CaseKind,
    received_at: datetime,
    cal: WorkCalendar,
    tz: ZoneInfo,
    *,
    special: bool = False,
    promised_on: date | None = None,
    rule: DeadlineRule = DeadlineRule(),  # noqa: B008 - frozen, immutable default
) -> datetime:
    """The instant the case is due. Raises UnknownCalendarYear for an unpublished year."""
    if received_at.tzinfo is None:
        raise CaseInputError(f"received_at {received_at:%Y-%m-%d %H:%M} has no timezone")
    if kind == CaseKind.CONSULTATION:
        return received_at + timedelta(hours=rule.consultation_hours)
    received_day = received_at.astimezone(tz).date()
    if kind == CaseKind.COMPLAINT:
        days = rule.special_complaint_days if special else rule.complaint_days
        return end_of_day(cal.add_working_days(received_day, days), tz)
    if promised_on is not None:
        if promised_on < received_day:
            raise CaseInputError(
                f"the promised reply date {promised_on} is before the day of receipt "
                f"{received_day}"
            )
        return end_of_day(cal.roll_forward(promised_on), tz)
    return end_of_day(cal.add_working_days(received_day, rule.suggestion_days), tz)


def warning_at(
    kind: CaseKind,
    received_at: datetime,
    due_at: datetime,
    tz: ZoneInfo,
    rule: DeadlineRule = DeadlineRule(),  # noqa: B008
) -> datetime:
    """When the owner is warned: 4 h before a consultation is due; the morning of the last day
    of a complaint or suggestion. Never before receipt (a case due today is warned at once)."""
    if kind == CaseKind.CONSULTATION:
        warn = due_at - timedelta(hours=rule.warn_hours_before_consultation)
    else:
        last_day = (due_at.astimezone(tz) - timedelta(microseconds=1)).date()
        warn = datetime.combine(last_day, rule.warn_morning, tzinfo=tz)
    return max(warn, received_at)


def validate_intake(
    kind: CaseKind,
    text: str,
    received_at: datetime,
    now: datetime,
    *,
    special: bool,
    special_reason: str | None,
    promised_on: date | None,
) -> None:
    if special and kind != CaseKind.COMPLAINT:
        raise CaseInputError(f"only a complaint can be special, not a {kind}")
    if special and not (special_reason or "").strip():
        raise CaseInputError("a special complaint needs the reason (special_reason / --reason)")
    if not special and (special_reason or "").strip():
        raise CaseInputError("a reason was given but the case is not marked special")
    if promised_on is not None and kind != CaseKind.SUGGESTION:
        raise CaseInputError(f"a promised reply date is for suggestions, not a {kind}")
    check_text("text", text)
    if received_at.tzinfo is None:
        raise CaseInputError(f"received_at {received_at:%Y-%m-%d %H:%M} has no timezone")
    if received_at > now + timedelta(minutes=1):  # a minute of clock skew is tolerated
        raise CaseInputError(
            f"received_at {received_at.isoformat(timespec='minutes')} is in the future "
            f"(now is {now.isoformat(timespec='minutes')})"
        )


def check_text(what: str, text: str | None, limit: int = MAX_TEXT, *, required: bool = True) -> str:
    value = (text or "").strip()
    if required and not value:
        raise CaseInputError(f"{what} is empty")
    if len(value) > limit:
        raise CaseInputError(f"{what} has {len(value)} characters; at most {limit} are kept")
    return value


def deadline_met(
    due_at: datetime | None, answered_at: datetime | None, now: datetime
) -> bool | None:
    """True: answered in time; False: answered late or overdue; None: open and not yet due,
    or the deadline is pending (its calendar year is not published)."""
    if due_at is None:
        return None
    if answered_at is not None:
        return answered_at <= due_at
    return None if now < due_at else False
