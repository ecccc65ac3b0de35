"""The customers' needs-survey page (R2) on careops's web app: `/survey/{token}`.

GET shows the customer's name and projects and the needs plan form (prefilled with the saved
answer); POST saves it (CSRF-checked, length-limited, choices validated by
careops.services.survey.answers) and thanks the customer, who can come back and change it until
the survey closes; after that the link shows the closed page with the saved answers, read-only.
A forged or altered token, or a genuine one naming another address than the member's contact,
gets the "not valid" page (404), an old one the "expired" page (410), both without any data. Works
without JavaScript, on a phone, in zh_CN (first) or en (`?lang=`, else the customer's locale).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, NotFound
from careops.rules.survey import MAX_COMMENTS, MAX_TEXT, choice_labels
from careops.services.survey.answers import (
    AnswerInput,
    SurveyClosed,
    SurveyView,
    parse_answer,
    save_answer,
    save_from_link,
    survey_view,
)
from careops.services.survey.links import LinkExpired, LinkInvalid, SurveyLinks, for_contact
from careops.settings import Settings
from careops.web import csrf
from careops.web.i18n import pick_locale
from careops.web.survey_words import survey_translator
from careops.web.views import PageViews

MAX_TOKEN = 512


def survey_router(
    settings: Settings,
    uow: Callable[[], UnitOfWork],
    read_uow: Callable[[], UnitOfWork],
    clock: Callable[[], datetime],
    protector: csrf.Csrf,
    page: Callable[..., HTMLResponse],
    links: SurveyLinks,
    views: PageViews,
) -> APIRouter:
    router = APIRouter()

    def today():
        return clock().astimezone(settings.tz).date()

    def local(moment: datetime) -> str:
        return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")

    def notice(request: Request, locale: str, key: str, status: int, **values) -> HTMLResponse:
        st = survey_translator(locale)
        return page(request, "message.html", locale, status, title=st(f"{key}_title"),
                    body=st(f"{key}_body", **values))

    def claim(request: Request, token: str, lang: str | None, projects: bool = True):
        fallback = pick_locale(lang, None, settings.default_locale)
        if len(token) > MAX_TOKEN:
            return None, notice(request, fallback, "invalid", 404)
        try:
            link = links.read(token)
            view = survey_view(read_uow(), link.member_id, today(), projects)
        except LinkExpired:
            return None, notice(request, fallback, "expired", 410)
        except (LinkInvalid, NotFound):
            return None, notice(request, fallback, "invalid", 404)
        if not for_contact(link, view.contact_email):  # genuine, but made for someone else
            return None, notice(request, fallback, "invalid", 404)
        locale = pick_locale(lang, view.locale, settings.default_locale)
        if view.closed:
            return None, closed_page(request, view, locale)  # (it fetches what it shows)
        return (view, locale), None

    def closed_page(request: Request, view: SurveyView, locale: str) -> HTMLResponse:
        """The survey has closed: the customer's saved answers, read-only (no form)."""
        view = survey_view(read_uow(), view.member_id, today())  # the answers as saved now
        st = survey_translator(locale)
        return page(request, "survey_closed.html", locale, st=st, view=view,
                    labels=choice_labels(locale), title=st("closed_title"),
                    body=st("closed_body", next_year=view.year + 1,
                            closes=view.closes_on.isoformat()),
                    saved_at=local(view.updated_at) if view.updated_at else "")

    def form(request: Request, token: str, view: SurveyView, locale: str, answer: AnswerInput,
             status: int = 200, errors: list[str] | None = None) -> HTMLResponse:
        nonce, form_token = protector.issue(request.cookies.get(csrf.COOKIE))
        response = page(
            request, "survey.html", locale, status, st=survey_translator(locale), view=view,
            answer=answer, token=token, errors=errors or [], labels=choice_labels(locale),
            csrf_field=csrf.FIELD, csrf_token=form_token, max_text=MAX_TEXT,
            max_comments=MAX_COMMENTS, closes=view.closes_on.isoformat(),
            saved_at=local(view.updated_at) if view.updated_at else "")
        response.set_cookie(csrf.COOKIE, nonce, max_age=csrf.MAX_AGE, httponly=True,
                            samesite="strict", path="/survey",
                            secure=settings.web.url.startswith("https:"))
        return response

    @router.get("/survey/{token}", response_class=HTMLResponse)
    @views
    def survey_page(request: Request, token: str, lang: str | None = None):
        found, error = claim(request, token, lang)
        if error is not None:
            return error
        view, locale = found
        return form(request, token, view, locale, view.answer or AnswerInput())

    def read_answer(raw: dict, st) -> tuple[AnswerInput, list[str]]:
        """The posted answer, and what is wrong with it in the customer's words."""
        errors = []
        for field, limit in (("needs_other", MAX_TEXT), ("comments", MAX_COMMENTS)):
            text = raw[field].strip()
            if len(text) > limit:
                errors.append(st("too_long", field=st(f"field_{field}"), limit=limit,
                                 count=len(text)))
                raw[field] = text[:limit]
        try:
            return parse_answer(raw), errors
        except CareopsError:
            errors.append(st("bad_choice"))
            return AnswerInput(needs_other=raw["needs_other"][:MAX_TEXT],
                               comments=raw["comments"][:MAX_COMMENTS]), errors

    def thanks(request: Request, token: str, locale: str, closes_on) -> HTMLResponse:
        st = survey_translator(locale)
        return page(request, "survey_saved.html", locale, st=st, token=token,
                    title=st("thanks_title"), body=st("thanks_body", closes=closes_on.isoformat()))

    def save_at_once(request: Request, token: str, lang: str | None, raw: dict,
                     csrf_token: str) -> HTMLResponse | None:
        """The usual post (a genuine link, a valid form, the survey open): checked and saved
        in one transaction. None: anything else, for the page's full checks."""
        fallback = pick_locale(lang, None, settings.default_locale)
        if len(token) > MAX_TOKEN or not protector.valid(request.cookies.get(csrf.COOKIE),
                                                         csrf_token):
            return None
        data, errors = read_answer(dict(raw), survey_translator(fallback))
        if errors:
            return None
        try:
            saved = save_from_link(uow(), links.read(token), data, today(), clock())
        except (LinkExpired, LinkInvalid, NotFound, SurveyClosed):
            return None
        return thanks(request, token, pick_locale(lang, saved.locale, settings.default_locale),
                      saved.closes_on)

    @router.post("/survey/{token}", response_class=HTMLResponse)
    def survey_post(
        request: Request, token: str, lang: str | None = None,
        needs: Annotated[list[str] | None, Form()] = None,
        needs_other: str = Form(""), budget: str = Form(""),
        timing: str = Form(""), contact_preference: str = Form(""), comments: str = Form(""),
        csrf_token: str = Form("", alias=csrf.FIELD),
    ):
        raw = {"needs": (needs or [])[:50], "needs_other": needs_other, "budget": budget,
               "timing": timing, "contact_preference": contact_preference,
               "comments": comments}
        saved = save_at_once(request, token, lang, raw, csrf_token)
        if saved is not None:
            return saved
        found, error = claim(request, token, lang, projects=False)  # the thank-you page
        if error is not None:
            return error
        view, locale = found
        if not protector.valid(request.cookies.get(csrf.COOKIE), csrf_token):
            return notice(request, locale, "csrf", 403)
        data, errors = read_answer(raw, survey_translator(locale))
        if errors:  # the form again, with the customer's projects
            view = survey_view(read_uow(), view.member_id, today())
            return form(request, token, view, locale, data, 400, errors)
        try:
            save_answer(uow(), view.member_id, data, today(), clock())
        except SurveyClosed:
            return closed_page(request, view, locale)
        return thanks(request, token, locale, view.closes_on)

    return router
