"""Signed, expiring, per-recipient links (itsdangerous), shared by every customer page.

A token names what it is for (the salt: "case-opinion", later "survey"), the record and the
recipient's address; it is valid for `max_age` seconds. A signed link can still be opened
twice: the answer state (and any one-time use) lives in the database, never in the token.
No web framework here, so services can make links inside their unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from careops.errors import CareopsError


class LinkInvalid(CareopsError):
    """The link was not made by careops (or was altered)."""


class LinkExpired(CareopsError):
    """The link is genuine but older than its validity."""


@dataclass(frozen=True)
class LinkClaim:
    record_id: int
    recipient: str


class LinkSigner:
    def __init__(self, secret: str, purpose: str) -> None:
        if not secret:
            raise CareopsError("web.secret_key is empty: links cannot be signed")
        self.purpose = purpose
        self._serializer = URLSafeTimedSerializer(secret, salt=f"careops:{purpose}")

    def make(self, record_id: int, recipient: str) -> str:
        return self._serializer.dumps({"id": record_id, "to": recipient.strip().lower()})

    def read(self, token: str, max_age_seconds: int) -> LinkClaim:
        try:
            data = self._serializer.loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise LinkExpired(f"this {self.purpose} link has expired") from None
        except BadSignature:
            raise LinkInvalid(f"this is not a valid {self.purpose} link") from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise LinkInvalid(f"this is not a valid {self.purpose} link")
        return LinkClaim(data["id"], str(data.get("to", "")))
