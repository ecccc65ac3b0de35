"""Staff members' personal links: signed with the installation's key, scoped, expiring, revocable.

A token names the staff member (id and the address it was mailed to), the page it opens
(`scope`: "calls", "weekly", "fault", "case", "alert"; one signing salt per scope, so a call-list
link never opens a case page), the item it is for (`subject`: a month, a week, a fault id ...),
the instant it stops working (`expires`: a call list at its month's end plus 7 days, an alert at
its window's end) and the staff member's link generation. `careops links revoke --staff CODE`
bumps the generation (careops.services.operations.staff_access): every link made before stops
working. What the person may do on the page lives in the database, never in the token.

No web framework and no database here: services make links while they render a mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from careops.errors import CareopsError
from careops.web.tokens import LinkExpired, LinkInvalid, normal_address, usable_key

__all__ = ["SCOPES", "LinkExpired", "LinkInvalid", "LinkRevoked", "StaffClaim", "StaffLinks",
           "staff_links"]
SCOPES = frozenset({"calls", "weekly", "fault", "case", "alert"})
MAX_TOKEN = 1024


class LinkRevoked(CareopsError):
    """The link is genuine but its person's links were revoked after it was made."""


@dataclass(frozen=True)
class StaffClaim:
    staff_id: int
    recipient: str
    scope: str
    subject: str
    expires: datetime
    generation: int


class StaffLinks:
    """`secret`: the key or a function giving it (careops.secrets.web_secret_key), resolved and
    checked at first use; `base_url`: the web app's public address."""

    def __init__(self, secret: str | Callable[[], str], base_url: str) -> None:
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self._serializers: dict[str, URLSafeSerializer] = {}

    def _serializer(self, scope: str) -> URLSafeSerializer:
        if scope not in SCOPES:
            raise ValueError(f"unknown staff link scope {scope!r}")
        if scope not in self._serializers:
            self._serializers[scope] = URLSafeSerializer(
                usable_key(self._secret), salt=f"careops:staff:{scope}")
        return self._serializers[scope]

    def token(self, *, staff_id: int, recipient: str, generation: int, scope: str,
              subject: str, expires: datetime) -> str:
        return self._serializer(scope).dumps({
            "s": staff_id, "to": normal_address(recipient), "g": generation,
            "r": str(subject), "e": int(expires.timestamp())})

    def url(self, *, staff_id: int, recipient: str, generation: int, scope: str,
            subject: str, expires: datetime) -> str:
        token = self.token(staff_id=staff_id, recipient=recipient, generation=generation,
                           scope=scope, subject=subject, expires=expires)
        return f"{self.base_url}/staff/{scope}/{token}"

    def read(self, token: str, scope: str, now: datetime) -> StaffClaim:
        """The claim of a genuine, unexpired `scope` token (LinkInvalid, LinkExpired)."""
        serializer = self._serializer(scope)  # SecretProblem is not "an invalid link"
        if len(token) > MAX_TOKEN:
            raise LinkInvalid("this is not a valid staff link")
        try:
            data = serializer.loads(token)
        except BadSignature:
            raise LinkInvalid("this is not a valid staff link") from None
        if not (isinstance(data, dict) and isinstance(data.get("s"), int)
                and isinstance(data.get("g"), int) and isinstance(data.get("e"), int)):
            raise LinkInvalid("this is not a valid staff link")
        expires = datetime.fromtimestamp(data["e"], UTC)
        if now >= expires:
            raise LinkExpired(f"this {scope} link expired at {expires.isoformat()}")
        return StaffClaim(data["s"], str(data.get("to", "")), scope, str(data.get("r", "")),
                          expires, data["g"])


def staff_links(settings=None) -> StaffLinks:
    from careops.secrets import web_secret_key
    from careops.settings import get_settings

    settings = settings or get_settings()
    return StaffLinks(lambda: web_secret_key(settings), settings.web.url)
