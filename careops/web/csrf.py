"""CSRF protection of form posts: a signed double-submit token.

The GET that renders a form sets a random nonce in an HttpOnly, SameSite=Strict cookie and puts
the same nonce, signed and time-limited, in a hidden field. A POST is accepted only when the
field's signature is valid and its nonce equals the cookie's: another site can neither read the
cookie nor forge the signature.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "careops_csrf"
FIELD = "csrf_token"
MAX_AGE = 2 * 3600


class Csrf:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="careops:csrf")

    def issue(self, existing: str | None) -> tuple[str, str]:
        """(cookie nonce, form token); keeps an existing nonce so several tabs keep working."""
        nonce = existing if existing and 20 <= len(existing) <= 64 else secrets.token_urlsafe(24)
        return nonce, self._serializer.dumps(nonce)

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        try:
            nonce = self._serializer.loads(token, max_age=MAX_AGE)
        except BadSignature:
            return False
        return isinstance(nonce, str) and hmac.compare_digest(nonce, cookie)
