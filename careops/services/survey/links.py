"""The customers' personal survey links: signed, expiring, per campaign member.

The token (careops.web.tokens.LinkSigner, purpose "survey", signed with `web.secret_key`)
carries the member id and the contact address it was mailed to; it is genuine for
`survey.link_valid_days` after it was made. A forged or altered token is `LinkInvalid`, an old
one `LinkExpired`: the page says so and shows no data. A genuine link may be opened many times:
whether the survey is still open and what was answered live in the database, not in the token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from careops.web.tokens import LinkClaim, LinkExpired, LinkInvalid, LinkSigner, same_recipient

__all__ = ["LinkExpired", "LinkInvalid", "SurveyClaim", "SurveyLinks", "for_contact",
           "survey_links"]
PURPOSE = "survey"


@dataclass(frozen=True)
class SurveyClaim:
    member_id: int
    recipient: str


def for_contact(claim: SurveyClaim, contact_email: str | None) -> bool:
    """The link was mailed to the member's contact (a genuine token naming another address,
    or a member whose contact has no address, is refused like a forged one)."""
    return same_recipient(LinkClaim(claim.member_id, claim.recipient), contact_email)


class SurveyLinks:
    """`secret`: the key or a function giving it (careops.secrets.web_secret_key)."""

    def __init__(self, secret: str | Callable[[], str], base_url: str, valid_days: int) -> None:
        self._signer = LinkSigner(secret, PURPOSE)
        self.base_url = base_url.rstrip("/")
        self.max_age = valid_days * 86400

    def token(self, member_id: int, recipient: str) -> str:
        return self._signer.make(member_id, recipient)

    def url(self, member_id: int, recipient: str) -> str:
        return f"{self.base_url}/survey/{self.token(member_id, recipient)}"

    def read(self, token: str) -> SurveyClaim:
        claim = self._signer.read(token, self.max_age)
        return SurveyClaim(claim.record_id, claim.recipient)


def survey_links(settings=None) -> SurveyLinks:
    from careops.secrets import web_secret_key
    from careops.settings import get_settings

    settings = settings or get_settings()
    return SurveyLinks(lambda: web_secret_key(settings), settings.web.url,
                       settings.survey.link_valid_days)
