"""The case owner's page (R6): `/staff/case/{token}`, the personal link in the owner's case mails.

The page shows the case (the customer's text escaped), its contact log, notes and history, and
lets the current owner act, each form posting to its own path: `/contact` (add_contact), `/note`
(add_note), `/department` (set_department), `/handover` (hand_over, to an active CS person) and
`/result` (send_result: the customer is mailed the result and their opinion link, as from the CLI).
Every action goes through the ordinary service function with the owner's id (`as_owner`: refused
under the row lock if the case changed hands) and an audited unit of work (a `staff_action` row,
"via link"). After a handover the old owner's link shows the case read-only ("handed over to X");
a closed case is read-only for everyone. A genuine link of someone who never owned the case is
"not valid" (404), like a forged one: no data shown. Words: `WORDS` (zh_CN first, en).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from careops.db.models.common import Department
from careops.db.uow import UnitOfWork
from careops.errors import CareopsError, InvalidTransition, NotFound
from careops.rules.cases import MAX_TEXT, CaseState
from careops.services.cases import steps
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import CaseView, NotOwner, handover_candidates, show_case
from careops.web import csrf
from careops.web.staff.case_words import WORDS
from careops.web.staff.pages import StaffContext, StaffPages
from careops.web.staff.words import words_for

SCOPE = "case"
ACTIONS = ("contact", "note", "department", "handover", "result")
NOTE_LIMIT = steps.MAX_NOTE
DEPARTMENTS = [d.value for d in Department]

Opened = tuple[StaffContext, CaseView]
Act = Callable[[UnitOfWork, CaseView, StaffContext], object]


def case_id_of(subject: str) -> int | None:
    """The case a link is for: its subject is "case:<id>"."""
    prefix, _, number = subject.partition(":")
    return int(number) if prefix == "case" and number.isdigit() else None


def was_owner(view: CaseView, code: str, name: str) -> bool:
    """Owns the case now, took it, or handed it over (the history's "A → B: why" lines)."""
    return view.owner_code == code or view.taken_by_name == name or any(
        e.kind == "handover" and e.details.startswith(f"{name} → ") for e in view.history)


def cases_router(staff: StaffPages) -> APIRouter:
    router = APIRouter()
    env: list[CaseEnv] = []

    def case_env() -> CaseEnv:
        if not env:
            env.append(CaseEnv.from_settings(staff.settings))
        return env[0]

    def opened(request: Request, token: str, lang: str | None) -> Opened | HTMLResponse:
        ctx = staff.open(request, SCOPE, token, lang)
        if isinstance(ctx, HTMLResponse):
            return ctx
        case_id = case_id_of(ctx.claim.subject)
        try:
            if case_id is None:
                raise NotFound("a case link names no case")
            view = show_case(staff.read_uow(), case_id, staff.settings.tz, staff.clock())
        except NotFound:
            return staff.notice(request, ctx.locale, "invalid", 404)
        if not was_owner(view, ctx.person.code, ctx.person.name):
            return staff.notice(request, ctx.locale, "invalid", 404)
        return ctx, view

    def render(request: Request, ctx: StaffContext, view: CaseView, status: int = 200,
               error: str | None = None, values: dict | None = None,
               done: str | None = None) -> HTMLResponse:
        w = words_for(ctx.locale, WORDS)
        owner = view.owner_code == ctx.person.code
        can_act = owner and view.state != CaseState.CLOSED
        due = (staff.local(view.due_at) if view.due_at is not None
               else w("due_pending", year=view.due_pending_year))
        return staff.form(
            request, "staff/case.html", ctx, WORDS, status, case=view, owner=owner,
            can_act=can_act, error=error, v=values or {}, done=done in ACTIONS,
            due=due, local=staff.local, departments=DEPARTMENTS,
            candidates=handover_candidates(staff.read_uow(), view.owner_code) if can_act else [],
            contacts=[e for e in view.history if e.kind == "contact"],
            notes=[e for e in view.history if e.kind == "note"],
            note_limit=NOTE_LIMIT, result_limit=MAX_TEXT)

    def text_problem(w, label: str, value: str, limit: int) -> str | None:
        if not value:
            return w("required", field=w(label))
        if len(value) > limit:
            return w("too_long", field=w(label), limit=limit, count=len(value))
        return None

    def post(request: Request, token: str, lang: str | None, form_token: str, action: str,
             problem: Callable[[Callable[..., str], CaseView], str | None], act: Act,
             values: dict, detail: str | None = None) -> HTMLResponse:
        found = opened(request, token, lang)
        if isinstance(found, HTMLResponse):
            return found
        ctx, view = found
        w = words_for(ctx.locale, WORDS)
        if not staff.csrf_ok(request, form_token):
            return staff.notice(request, ctx.locale, "csrf", 403)
        if view.state == CaseState.CLOSED:
            return render(request, ctx, view, 409, w("closed"))
        if view.owner_code != ctx.person.code:
            return render(request, ctx, view, 403, w("handed_over", name=view.owner_name))
        wrong = problem(w, view)
        if wrong is not None:
            return render(request, ctx, view, 400, wrong, values)
        uow = staff.audited(ctx, f"case.{action}", f"case:{view.id}", detail)
        try:
            act(uow, view, ctx)
        except NotOwner:
            view = show_case(staff.read_uow(), view.id, staff.settings.tz, staff.clock())
            return render(request, ctx, view, 403, w("handed_over", name=view.owner_name))
        except InvalidTransition as exc:
            return render(request, ctx, view, 409, str(exc), values)
        except CareopsError as exc:
            return render(request, ctx, view, 400, str(exc), values)
        if action in ("handover", "result"):
            staff.deliver()  # the new owner's mail, the customer's result: sent now
        return RedirectResponse(f"/staff/case/{token}?lang={ctx.locale}&done={action}",
                                status_code=303)

    @router.get("/staff/case/{token}", response_class=HTMLResponse)
    @staff.view
    def case_page(request: Request, token: str, lang: str | None = None,
                  done: str | None = None):
        found = opened(request, token, lang)
        if isinstance(found, HTMLResponse):
            return found
        return render(request, *found, done=done)

    @router.post("/staff/case/{token}/contact", response_class=HTMLResponse)
    def contact(request: Request, token: str, lang: str | None = None,
                details: str = Form(""), form_token: str = Form("", alias=csrf.FIELD)):
        details = details.strip()
        return post(request, token, lang, form_token, "contact",
                    lambda w, view: text_problem(w, "contact_label", details, NOTE_LIMIT),
                    lambda uow, view, ctx: steps.add_contact(
                        uow, view.id, details, ctx.person.name, staff.clock(),
                        as_owner=ctx.person.id),
                    {"details": details[:NOTE_LIMIT]})

    @router.post("/staff/case/{token}/note", response_class=HTMLResponse)
    def note(request: Request, token: str, lang: str | None = None,
             text: str = Form(""), form_token: str = Form("", alias=csrf.FIELD)):
        text = text.strip()
        return post(request, token, lang, form_token, "note",
                    lambda w, view: text_problem(w, "note_label", text, NOTE_LIMIT),
                    lambda uow, view, ctx: steps.add_note(
                        uow, view.id, text, ctx.person.name, staff.clock(),
                        as_owner=ctx.person.id),
                    {"note": text[:NOTE_LIMIT]})

    @router.post("/staff/case/{token}/department", response_class=HTMLResponse)
    def department(request: Request, token: str, lang: str | None = None,
                   department: str = Form(""), form_token: str = Form("", alias=csrf.FIELD)):
        return post(request, token, lang, form_token, "department",
                    lambda w, view: None if department in DEPARTMENTS else w("choose_department"),
                    lambda uow, view, ctx: steps.set_department(
                        uow, view.id, department, ctx.person.name, staff.clock(),
                        as_owner=ctx.person.id),
                    {}, department[:20])

    @router.post("/staff/case/{token}/handover", response_class=HTMLResponse)
    def handover(request: Request, token: str, lang: str | None = None, to: str = Form(""),
                 reason: str = Form(""), form_token: str = Form("", alias=csrf.FIELD)):
        reason = reason.strip()

        def problem(w, view: CaseView) -> str | None:
            codes = [code for code, _name in handover_candidates(staff.read_uow(), view.owner_code)]
            if to not in codes:
                return w("choose_person")
            return text_problem(w, "reason_label", reason, NOTE_LIMIT)

        return post(request, token, lang, form_token, "handover", problem,
                    lambda uow, view, ctx: steps.hand_over(
                        uow, view.id, to, ctx.person.name, reason, case_env(), staff.clock(),
                        as_owner=ctx.person.id),
                    {"reason": reason[:NOTE_LIMIT]}, f"to {to[:40]}")

    @router.post("/staff/case/{token}/result", response_class=HTMLResponse)
    def result(request: Request, token: str, lang: str | None = None,
               text: str = Form(""), form_token: str = Form("", alias=csrf.FIELD)):
        text = text.strip()
        return post(request, token, lang, form_token, "result",
                    lambda w, view: text_problem(w, "result_label", text, MAX_TEXT),
                    lambda uow, view, ctx: steps.send_result(
                        uow, view.id, text, ctx.person.name, case_env(), staff.clock(),
                        as_owner=ctx.person.id),
                    {"result": text[:MAX_TEXT]})

    return router
