"""E-mail addresses, checked with email-validator wherever one enters careops.

Imports, settings (`ops_email`, `smtp.sender` ...), CLI options and the outbox all go through
`check_address`, so an address that would split or empty a message (`evil,x@a.cn`, `a"b@a.cn`,
`<@a.cn`) never reaches the SMTP envelope. No DNS lookups (the department's mail server may not
be resolvable from every worker, and a check must never depend on the network). Quoted local
parts, domain literals and non-ASCII local parts are refused (the outbox stores 7-bit messages);
internationalised domains are kept in their ASCII (IDNA) form.

The special-use names `local`, `localhost` and `test` are allowed: internal mail domains such as
`careops.local` are common in a company network (this project's demo and test domains).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Annotated, Any

import email_validator
from pydantic import AfterValidator

from careops.errors import CareopsError

for _allowed in ("local", "localhost", "test"):
    if _allowed in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        email_validator.SPECIAL_USE_DOMAIN_NAMES.remove(_allowed)


class InvalidAddress(CareopsError, ValueError):
    """Not a usable e-mail address (the message says why)."""


def _validate(text: str) -> email_validator.ValidatedEmail:
    try:
        return email_validator.validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except email_validator.EmailNotValidError as exc:
        raise InvalidAddress(f"{text!r} is not an e-mail address ({exc})") from None


def check_address(value: Any) -> str:
    """The bare address `value` holds (ASCII form), or InvalidAddress naming the problem."""
    text = str(value).strip()
    if not text:
        raise InvalidAddress("an e-mail address is required")
    return _checked(text)


@lru_cache(maxsize=8192)  # delivery checks every envelope again: the same few staff addresses
def _checked(text: str) -> str:
    result = _validate(text)
    return result.ascii_email or result.normalized


def check_mailbox(value: Any) -> str:
    """An address with an optional display name (`careops 客服部 <careops@example.com>`).

    The display name may not hold characters that would split or re-address the header.
    """
    text = str(value).strip()
    name, address = _split_mailbox(text)
    if any(c in _NAME_BREAKERS or not c.isprintable() for c in name):
        raise InvalidAddress(f"{text!r}: the display name may not contain {_NAME_BREAKERS}")
    check_address(address)
    return text


_NAME_BREAKERS = ',;:<>"@()[]\\'


def _split_mailbox(text: str) -> tuple[str, str]:
    if text.endswith(">") and text.count("<") == 1 and text.count(">") == 1:
        name, _, rest = text.partition("<")
        return name.strip(), rest[:-1].strip()
    return "", text


def usable_addresses(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(bare addresses that can go into an envelope, one reason per value that cannot)."""
    good: list[str] = []
    problems: list[str] = []
    for value in values:
        try:
            address = check_address(_bare(value))
        except InvalidAddress as exc:
            problems.append(str(exc))
            continue
        if address not in good:
            good.append(address)
    return good, problems


def usable_recipients(values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the values, display names kept, that hold a usable address; a reason per other one)."""
    good: list[str] = []
    problems: list[str] = []
    for value in values:
        try:
            check_address(_bare(value))
        except InvalidAddress as exc:
            problems.append(str(exc))
        else:
            good.append(str(value).strip())
    return good, problems


def _bare(value: str) -> str:
    """`张三 <zhang@example.com>` → `zhang@example.com`; anything else as it is."""
    text = str(value).strip()
    name, address = _split_mailbox(text)
    if any(c in _NAME_BREAKERS or not c.isprintable() for c in name):
        return text  # refused by check_address
    return address

def _after(value: str) -> str:
    try:
        return check_address(value)
    except InvalidAddress as exc:  # pydantic reports ValueErrors with the field's name
        raise ValueError(str(exc)) from None


def _after_mailbox(value: str) -> str:
    try:
        return check_mailbox(value)
    except InvalidAddress as exc:
        raise ValueError(str(exc)) from None


# pydantic field types: settings, flow parameter models, import rows
Address = Annotated[str, AfterValidator(_after)]
Mailbox = Annotated[str, AfterValidator(_after_mailbox)]
