"""careops's web app: the pages customers answer (the case opinion; the survey, careops.web.survey).

`create_app()` builds a FastAPI app from the settings (uvicorn: `careops.web.app:create_app
--factory`); `careops stack up` serves it on web.host:web.port. Pages are server-rendered
jinja2 (autoescaped), work without JavaScript and on a phone, in zh_CN or en. Links are signed
and expiring per recipient (careops.web.tokens); posts carry a CSRF token (careops.web.csrf);
inputs are length-limited. Answer state lives in the database, so a link works once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from careops.clock import utcnow
from careops.db.engine import get_engine
from careops.db.uow import UnitOfWork
from careops.errors import InvalidTransition, NotFound
from careops.rules.cases import CaseState, Opinion
from careops.services.case_notices import CaseEnv
from careops.services.case_queries import show_case
from careops.services.cases import record_opinion
from careops.services.survey_links import survey_links
from careops.settings import Settings, get_settings
from careops.web import csrf
from careops.web.i18n import pick_locale, translator
from careops.web.survey import survey_router
from careops.web.tokens import LinkExpired, LinkInvalid

COMMENT_LIMIT = 2000
TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never hand it on
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
    env: CaseEnv | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="careops", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    protector = csrf.Csrf(settings.web.secret_key.get_secret_value())
    case_env = env or CaseEnv.from_settings(settings)

    def uow() -> UnitOfWork:
        return UnitOfWork(engine or get_engine(settings.database_url))

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def page(request: Request, name: str, locale: str, status: int = 200, **values):
        t = translator(locale)
        other = "en" if locale == "zh_CN" else "zh_CN"
        return templates.TemplateResponse(request, name, {
            "t": t, "locale": locale, "other_locale": other, **values}, status_code=status)

    def message(request: Request, locale: str, key: str, status: int) -> HTMLResponse:
        t = translator(locale)
        return page(request, "message.html", locale, status, title=t(f"{key}_title"),
                    body=t(f"{key}_body"))

    def claim_case(request: Request, token: str, lang: str | None):
        """The case behind a token, or an error page (in the asked or default language)."""
        fallback = pick_locale(lang, None, settings.default_locale)
        if len(token) > 512:
            return None, message(request, fallback, "invalid", 404)
        try:
            claim = case_env.signer.read(token, case_env.opinion_seconds)
            view = show_case(uow(), claim.record_id, settings.tz, clock())
        except LinkExpired:
            return None, message(request, fallback, "expired", 410)
        except (LinkInvalid, NotFound):
            return None, message(request, fallback, "invalid", 404)
        return (view, pick_locale(lang, view.customer_locale, settings.default_locale)), None

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    def opinion_form(request: Request, token: str, view, locale: str, status: int = 200,
                     error: str | None = None, comment: str = ""):
        nonce, form_token = protector.issue(request.cookies.get(csrf.COOKIE))
        t = translator(locale)
        response = page(
            request, "opinion.html", locale, status, case=view, token=token, error=error,
            comment=comment, csrf_field=csrf.FIELD, csrf_token=form_token,
            limit=COMMENT_LIMIT, kind=t(f"kind_{view.kind}"),
            received=view.received_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"))
        response.set_cookie(csrf.COOKIE, nonce, max_age=csrf.MAX_AGE, httponly=True,
                            samesite="strict", path="/opinion",
                            secure=settings.web.url.startswith("https:"))
        return response

    @app.get("/opinion/{token}", response_class=HTMLResponse)
    def opinion_page(request: Request, token: str, lang: str | None = None):
        found, error = claim_case(request, token, lang)
        if error is not None:
            return error
        view, locale = found
        if view.state != CaseState.ANSWERED:
            return message(request, locale, "already", 200)
        return opinion_form(request, token, view, locale)

    @app.post("/opinion/{token}", response_class=HTMLResponse)
    def opinion_post(
        request: Request, token: str, lang: str | None = None,
        opinion: str = Form(""), comment: str = Form(""),
        csrf_token: str = Form("", alias=csrf.FIELD),
    ):
        found, error = claim_case(request, token, lang)
        if error is not None:
            return error
        view, locale = found
        t = translator(locale)
        if not protector.valid(request.cookies.get(csrf.COOKIE), csrf_token):
            return message(request, locale, "csrf", 403)
        if view.state != CaseState.ANSWERED:
            return message(request, locale, "already", 200)
        comment = comment.strip()
        if opinion not in (Opinion.SATISFIED, Opinion.NOT_SATISFIED):
            return opinion_form(request, token, view, locale, 400, t("choose"), comment)
        if len(comment) > COMMENT_LIMIT:
            return opinion_form(request, token, view, locale, 400,
                                t("too_long", limit=COMMENT_LIMIT, count=len(comment)),
                                comment[:COMMENT_LIMIT])
        try:
            record_opinion(uow(), view.id, Opinion(opinion), comment, case_env, clock())
        except InvalidTransition:
            return message(request, locale, "already", 200)
        from careops.mail.delivery import deliver_pending

        deliver_pending(engine or get_engine(settings.database_url), settings.smtp)
        body = t("thanks_satisfied" if opinion == Opinion.SATISFIED else "thanks_not_satisfied")
        return page(request, "message.html", locale, title=t("thanks_title"), body=body)

    app.include_router(survey_router(settings, uow, clock, protector, page, survey_links(settings)))
    return app
