"""careops's web app: the pages customers answer (the case opinion; the survey, careops.web.survey).

`create_app()` builds a FastAPI app from the settings (uvicorn: `careops.web.app:create_app
--factory`); `careops stack up` serves it on web.host:web.port. Pages are server-rendered
jinja2 (autoescaped), work without JavaScript and on a phone, in zh_CN or en. Links are signed
and expiring per recipient (careops.web.tokens); posts carry a CSRF token (careops.web.csrf);
inputs are length-limited. Answer state lives in the database, so a link works once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from careops.clock import utcnow
from careops.db.engine import get_engine
from careops.db.uow import UnitOfWork
from careops.errors import InvalidTransition, NotFound
from careops.rules.cases import CaseState, Opinion
from careops.secrets import web_secret_key
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import case_contact_email, show_case
from careops.services.cases.steps import record_opinion
from careops.services.survey.links import survey_links
from careops.settings import Settings, get_settings
from careops.staff_links import staff_links
from careops.web import csrf
from careops.web.i18n import pick_locale, translator
from careops.web.staff import staff_routers
from careops.web.staff.pages import StaffPages
from careops.web.survey import survey_router
from careops.web.tokens import LinkExpired, LinkInvalid, same_recipient
from careops.web.views import PageViews, reads_never_wait

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

_SECURITY_HEADERS_RAW = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                         for name, value in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response that does not set them itself.

    A pure ASGI middleware: it only edits the `http.response.start` message (Starlette's
    BaseHTTPMiddleware, `@app.middleware("http")`, runs every request through an extra task and
    memory stream and cost the pages a large share of their throughput)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers.extend(h for h in _SECURITY_HEADERS_RAW if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# The posts (and, on PostgreSQL, the page views: careops.web.views) are `def` endpoints:
# Starlette runs each in anyio's thread pool (40 threads by default). Their work is CPU under one
# GIL, so 40 threads only take turns at the GIL, switching every 5 ms, and every request's latency
# grows with the crowd (p99 > 2 s at 50 clients). A few threads take requests in their arrival
# order and finish each sooner; a writer waiting for the lock (busy timeout) still leaves the
# other threads free.
WEB_THREADS = 4


@asynccontextmanager
async def _few_threads(_app: FastAPI):
    to_thread.current_default_thread_limiter().total_tokens = WEB_THREADS
    yield


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utcnow,
    env: CaseEnv | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="careops", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_few_threads)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.auto_reload = False  # no stat() of every template at every render
    protector = csrf.Csrf(web_secret_key(settings))  # SecretProblem: no usable key
    case_env = env or CaseEnv.from_settings(settings)

    # SQLite: the app's writers (a survey answer, a staff action) take turns in the process
    # before they meet at the database's one write lock (UnitOfWork's `serial`)
    sqlite = (engine.dialect.name if engine is not None
              else settings.database_url.split(":", 1)[0].split("+", 1)[0]) == "sqlite"
    serial = threading.RLock() if sqlite else None

    def uow() -> UnitOfWork:
        return UnitOfWork(engine or get_engine(settings.database_url), serial=serial)

    # page views that only read: inline on the event loop on a SQLite file (careops.web.views)
    views = PageViews(reads_never_wait(engine or get_engine(settings.database_url)))

    def read_uow() -> UnitOfWork:  # a page view: no write lock (UnitOfWork.reading)
        return UnitOfWork.reading(engine or get_engine(settings.database_url))

    app.add_middleware(SecurityHeaders)

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
            if not same_recipient(claim, case_contact_email(read_uow(), claim.record_id)):
                raise LinkInvalid("the link names another recipient than the case's contact")
            view = show_case(read_uow(), claim.record_id, settings.tz, clock())
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
    @views
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

    app.include_router(survey_router(settings, uow, read_uow, clock, protector, page,
                                     survey_links(settings), views))
    staff = StaffPages(settings, lambda: engine or get_engine(settings.database_url), clock,
                       protector, page, staff_links(settings), serial, views)
    for router in staff_routers(staff):
        app.include_router(router)
    return app
