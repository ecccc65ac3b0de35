"""R5 fault steps on a staff member's personal link: `/staff/fault/{token}`.

The link's subject `fault:<id>:<step>` (careops.services.faults.links) says which step it
opens: `file` (the manager files the fault, with an optional comment → `file_fault`),
`resolve` (the handler records when the fault ended, a datetime-local input, and how →
`resolve_fault`; an unfiled major fault also needs the reason) or `analysis` (the TS
supervisor submits impact, handling, root cause, corrective and preventive actions →
`submit_analysis`, which mails the customer and BIZ). A filing link never submits an analysis.
The person must still be the one the routing names for that step (`may_act`, the project's
manager / TS contact / the TS supervisor), else "not valid" (404) without any data. A step
already done shows "done". Every action goes through the same service functions as the CLI
and the flows, with the staff action recorded in their transaction ("via link").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from careops.errors import CareopsError, InvalidTransition
from careops.rules.faults import FaultSeverity, FaultState
from careops.services.faults.env import FaultEnv
from careops.services.faults.links import SCOPE, may_act, parse_subject, step_open
from careops.services.faults.page import read_fault_page
from careops.services.faults.queries import FaultView
from careops.services.faults.steps import AnalysisInput, file_fault, resolve_fault, submit_analysis
from careops.web import csrf
from careops.web.staff.faults_words import WORDS
from careops.web.staff.pages import StaffContext, StaffPages
from careops.web.staff.words import words_for

__all__ = ["WORDS", "faults_router"]
TEXT_LIMIT = 2000
ANALYSIS_LIMIT = 4000
ANALYSIS_FIELDS = ("impact", "handling", "root_cause", "corrective_actions",
                   "preventive_actions")
TEMPLATE = "staff/fault.html"


@dataclass(frozen=True)
class Opened:
    ctx: StaffContext
    step: str
    fault: FaultView
    open: bool  # the fault still waits for this step

    @property
    def needs_reason(self) -> bool:  # an unfiled major fault is resolved only with a reason
        return (self.fault.severity == FaultSeverity.MAJOR
                and self.fault.state == FaultState.REPORTED)


def faults_router(staff: StaffPages, env: FaultEnv | None = None) -> APIRouter:
    router = APIRouter()
    envs: list[FaultEnv] = [env] if env is not None else []

    def fault_env() -> FaultEnv:
        if not envs:
            envs.append(FaultEnv.from_settings(staff.settings))
        return envs[0]

    def load(request: Request, token: str, lang: str | None) -> Opened | HTMLResponse:
        ctx = staff.open(request, SCOPE, token, lang)
        if isinstance(ctx, HTMLResponse):
            return ctx
        parsed = parse_subject(ctx.claim.subject)
        if parsed is None:
            return staff.notice(request, ctx.locale, "invalid", 404)
        fault_id, step = parsed
        uow = staff.read_uow()
        with uow:
            page = read_fault_page(uow.session, fault_id)
            if page is None or not may_act(uow.session, fault_env(), page.project, step,
                                           ctx.person.id):
                return staff.notice(request, ctx.locale, "invalid", 404)
        return Opened(ctx, step, page.view, step_open(page.view.state, step))

    def form(request: Request, o: Opened, status: int = 200, error: str | None = None,
             **values: str) -> HTMLResponse:
        now = staff.clock().astimezone(staff.settings.tz).strftime("%Y-%m-%dT%H:%M")
        f = o.fault
        return staff.form(
            request, TEMPLATE, o.ctx, WORDS, status, step=o.step, fault=f, error=error,
            needs_reason=o.needs_reason, fields=ANALYSIS_FIELDS, text_limit=TEXT_LIMIT,
            analysis_limit=ANALYSIS_LIMIT, now_local=now, occurred=staff.local(f.occurred_at),
            reported=staff.local(f.reported_at),
            ended=staff.local(f.ended_at) if f.ended_at else "",
            due=staff.local(f.analysis_due_at) if f.analysis_due_at else "",
            values={"ended_at": now, **values})

    def done(request: Request, o: Opened) -> HTMLResponse:
        return staff.notice(request, o.ctx.locale, f"done_{o.step}", 200, WORDS, id=o.fault.id)

    @router.get("/staff/fault/{token}", response_class=HTMLResponse)
    @staff.view
    def fault_page(request: Request, token: str, lang: str | None = None) -> HTMLResponse:
        o = load(request, token, lang)
        if isinstance(o, HTMLResponse):
            return o
        return form(request, o) if o.open else done(request, o)

    @router.post("/staff/fault/{token}", response_class=HTMLResponse)
    def fault_post(
        request: Request, token: str, lang: str | None = None,
        csrf_token: str = Form("", alias=csrf.FIELD), comment: str = Form(""),
        ended_at: str = Form(""), resolution: str = Form(""), unfiled_reason: str = Form(""),
        impact: str = Form(""), handling: str = Form(""), root_cause: str = Form(""),
        corrective_actions: str = Form(""), preventive_actions: str = Form(""),
    ) -> HTMLResponse:
        o = load(request, token, lang)
        if isinstance(o, HTMLResponse):
            return o
        if not staff.csrf_ok(request, csrf_token):
            return staff.notice(request, o.ctx.locale, "csrf", 403)
        if not o.open:
            return done(request, o)
        values = {"comment": comment.strip(), "ended_at": ended_at.strip(),
                  "resolution": resolution.strip(), "unfiled_reason": unfiled_reason.strip(),
                  "impact": impact.strip(), "handling": handling.strip(),
                  "root_cause": root_cause.strip(), "corrective_actions":
                  corrective_actions.strip(), "preventive_actions": preventive_actions.strip()}
        w = words_for(o.ctx.locale, WORDS)
        problem, ended = check(o, values, w)
        if problem is not None:
            return form(request, o, 400, problem, **values)
        try:
            body = act(o, values, ended)
        except InvalidTransition:  # done meanwhile (another link, the CLI, a flow)
            return done(request, o)
        except CareopsError as exc:
            return form(request, o, 400, str(exc).splitlines()[0], **values)
        staff.deliver()
        return staff.notice(request, o.ctx.locale, f"saved_{o.step}", 200, WORDS, **body)

    def check(o: Opened, v: dict[str, str], w) -> tuple[str | None, datetime | None]:
        """The first problem of the posted values (one line, the page's language), and the end."""
        def long(name: str, label: str, limit: int) -> str | None:
            if len(v[name]) > limit:
                return w("too_long", field=label, limit=limit, count=len(v[name]))
            return None

        if o.step == "file":
            return long("comment", w("comment_short"), TEXT_LIMIT), None
        if o.step == "analysis":
            for name in ANALYSIS_FIELDS:
                if not v[name]:
                    return w("err_required", field=w(name)), None
                if (problem := long(name, w(name), ANALYSIS_LIMIT)) is not None:
                    return problem, None
            return None, None
        try:
            ended = datetime.fromisoformat(v["ended_at"])
        except ValueError:
            return w("err_when"), None
        ended = ended.replace(tzinfo=staff.settings.tz) if ended.tzinfo is None else ended
        now = staff.clock()
        if ended > now:
            return w("err_future", now=staff.local(now)), None
        if ended < o.fault.occurred_at:
            return w("err_before", at=staff.local(o.fault.occurred_at)), None
        label = w("resolution_shown")
        if not v["resolution"]:
            return w("err_required", field=label), None
        if o.needs_reason and not v["unfiled_reason"]:
            return w("err_required", field=w("unfiled_short")), None
        problem = (long("resolution", label, TEXT_LIMIT)
                   or long("unfiled_reason", w("unfiled_short"), TEXT_LIMIT))
        return problem, None if problem else ended

    def act(o: Opened, v: dict[str, str], ended: datetime | None) -> dict[str, object]:
        """The step through its service function, recorded as the person's action."""
        p, fid, now = o.ctx.person, o.fault.id, staff.clock()
        uow = staff.audited(o.ctx, f"fault.{o.step}", f"fault:{fid}")
        if o.step == "file":
            file_fault(uow, fid, p.name, fault_env(), now, comment=v["comment"] or None)
        elif o.step == "resolve":
            assert ended is not None
            resolve_fault(uow, fid, v["resolution"], p.name, fault_env(), now, ended_at=ended,
                          unfiled_reason=v["unfiled_reason"] or None if o.needs_reason else None)
            return {"id": fid, "ended": staff.local(ended)}
        else:
            data = AnalysisInput(**{k: v[k] for k in ANALYSIS_FIELDS}, author=p.name)
            submit_analysis(uow, fid, data, fault_env(), now)
        return {"id": fid}

    return router
