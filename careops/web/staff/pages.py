"""What every staff page does the same way: open a link, render a form, take a post, record it.

`StaffPages.open(request, scope, token, lang)` turns a personal link into a `StaffContext` (the
person, the claim, the page's locale) or an error page: "not valid" (404) for a forged or
altered token, one of another scope or one naming someone else's address; "expired" (410) after
the token's own expiry; "revoked" (410) after `careops links revoke`. `form` renders a page with
a CSRF token (the signed double-submit cookie of careops.web.csrf, path /staff); `csrf_ok`
checks a post before anything else. `audited(ctx, action, subject)` is the unit of work to hand
to the ordinary service function: its commit also records who did what, when, "via link".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from careops.db.uow import UnitOfWork
from careops.services.operations.staff_access import (
    AuditedUnitOfWork,
    StaffPerson,
    staff_for_claim,
)
from careops.settings import Settings
from careops.staff_links import LinkExpired, LinkInvalid, LinkRevoked, StaffClaim, StaffLinks
from careops.web import csrf
from careops.web.i18n import pick_locale
from careops.web.staff.words import words_for
from careops.web.views import PageViews

COOKIE_PATH = "/staff"


@dataclass(frozen=True)
class StaffContext:
    person: StaffPerson
    claim: StaffClaim
    locale: str
    token: str


class StaffPages:
    def __init__(self, settings: Settings, engine: Callable[[], Engine],
                 clock: Callable[[], datetime], protector: csrf.Csrf,
                 page: Callable[..., HTMLResponse], links: StaffLinks,
                 serial: threading.RLock | None = None,
                 view: PageViews | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.protector = protector
        self.page = page
        self.links = links
        self.serial = serial  # the app's writers take turns (UnitOfWork's `serial`)
        # `@staff.view` on a GET endpoint: where it runs (careops.web.views)
        self.view = view or PageViews(inline=False)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine(), serial=self.serial)

    def read_uow(self) -> UnitOfWork:
        """For what a page only reads: no write lock on SQLite (UnitOfWork.reading)."""
        return UnitOfWork.reading(self.engine())

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.settings.tz).strftime("%Y-%m-%d %H:%M")

    def notice(self, request: Request, locale: str, key: str, status: int,
               own: dict | None = None, **values) -> HTMLResponse:
        w = words_for(locale, own)
        return self.page(request, "message.html", locale, status, title=w(f"{key}_title"),
                         body=w(f"{key}_body", **values))

    def open(self, request: Request, scope: str, token: str,
             lang: str | None) -> StaffContext | HTMLResponse:
        fallback = pick_locale(lang, None, self.settings.default_locale)
        try:
            claim = self.links.read(token, scope, self.clock())
            person = staff_for_claim(self.read_uow(), claim)
        except LinkExpired:
            return self.notice(request, fallback, "expired", 410)
        except LinkRevoked:
            return self.notice(request, fallback, "revoked", 410)
        except LinkInvalid:
            return self.notice(request, fallback, "invalid", 404)
        locale = pick_locale(lang, person.locale, self.settings.default_locale)
        return StaffContext(person, claim, locale, token)

    def form(self, request: Request, template: str, ctx: StaffContext, own: dict,
             status: int = 200, **values) -> HTMLResponse:
        nonce, form_token = self.protector.issue(request.cookies.get(csrf.COOKIE))
        w = words_for(ctx.locale, own)
        response = self.page(
            request, template, ctx.locale, status, w=w, ctx=ctx, person=ctx.person,
            token=ctx.token, csrf_field=csrf.FIELD, csrf_token=form_token,
            valid_until=w("valid_until", until=self.local(ctx.claim.expires)), **values)
        response.set_cookie(csrf.COOKIE, nonce, max_age=csrf.MAX_AGE, httponly=True,
                            samesite="strict", path=COOKIE_PATH,
                            secure=self.settings.web.url.startswith("https:"))
        return response

    def csrf_ok(self, request: Request, form_token: str) -> bool:
        return self.protector.valid(request.cookies.get(csrf.COOKIE), form_token)

    def audited(self, ctx: StaffContext, action: str, subject: str,
                detail: str | None = None) -> AuditedUnitOfWork:
        return AuditedUnitOfWork(self.engine(), staff_id=ctx.person.id, action=action,
                                 subject=subject, now=self.clock(), detail=detail,
                                 serial=self.serial)

    def deliver(self) -> None:
        """Send the mail the action queued now (the relay would, a little later)."""
        from careops.mail.delivery import deliver_pending

        deliver_pending(self.engine(), self.settings.smtp)
