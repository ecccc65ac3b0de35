"""Signed, expiring, per-recipient links (itsdangerous), shared by every customer page.

A token names what it is for (the salt: "case-opinion", later "survey"), the record and the
recipient's address; it is valid for `max_age` seconds. A signed link can still be opened
twice: the answer state (and any one-time use) lives in the database, never in the token.
No web framework here, so services can make links inside their unit of work.

The key is checked when it is first used (careops.secrets.key_problem): a key that ships in
careops's source, or a short one, neither signs nor verifies (SecretProblem). A claim's
recipient must be the address of the record's contact (`same_recipient`): the pages refuse a
genuine token whose "to" names someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from careops.errors import CareopsError
from careops.secrets import SecretProblem, key_problem


class LinkInvalid(CareopsError):
    """The link was not made by careops (or was altered)."""


class LinkExpired(CareopsError):
    """The link is genuine but older than its validity."""


@dataclass(frozen=True)
class LinkClaim:
    record_id: int
    recipient: str


def normal_address(address: str | None) -> str:
    return (address or "").strip().lower()


def same_recipient(claim: LinkClaim, address: str | None) -> bool:
    """The token was made for `address` (the record's contact as stored now)."""
    wanted = normal_address(address)
    return bool(wanted) and normal_address(claim.recipient) == wanted


def usable_key(secret: str | Callable[[], str]) -> str:
    """The signing key, resolved and checked (SecretProblem when empty, shipped or short)."""
    key = secret() if callable(secret) else secret
    if not key:
        raise SecretProblem("web.secret_key is empty: links cannot be signed")
    problem = key_problem(key)
    if problem is not None:
        raise SecretProblem(
            f"web.secret_key {problem}: careops will not sign or verify links with it; "
            "unset it (the stack's var/secrets/web_secret_key is used) or set "
            "CAREOPS_WEB__SECRET_KEY to a long random value")
    return key


class LinkSigner:
    """`secret`: the key, or a function giving it (resolved and checked at first use, so a
    service that never makes a link needs no key)."""

    def __init__(self, secret: str | Callable[[], str], purpose: str) -> None:
        self.purpose = purpose
        self._secret = secret
        self._built: URLSafeTimedSerializer | None = None

    @property
    def _serializer(self) -> URLSafeTimedSerializer:
        if self._built is None:
            self._built = URLSafeTimedSerializer(usable_key(self._secret),
                                                 salt=f"careops:{self.purpose}")
        return self._built

    def make(self, record_id: int, recipient: str) -> str:
        return self._serializer.dumps({"id": record_id, "to": normal_address(recipient)})

    def read(self, token: str, max_age_seconds: int) -> LinkClaim:
        serializer = self._serializer  # SecretProblem is not "an invalid link"
        try:
            data = serializer.loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise LinkExpired(f"this {self.purpose} link has expired") from None
        except BadSignature:
            raise LinkInvalid(f"this is not a valid {self.purpose} link") from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise LinkInvalid(f"this is not a valid {self.purpose} link")
        return LinkClaim(data["id"], str(data.get("to", "")))
