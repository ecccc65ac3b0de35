"""R1 "my callbacks this month": a CS person's personal call list, `/staff/calls/{token}`.

The link comes with the month's call list mail (scope "calls", subject the month, valid until
the month's end + 7 days: careops.services.callbacks.my_calls.call_list_expiry). The page lists
the person's callbacks of that month (customer, contact and phone, project, due date, earlier
attempts) with a progress line; each open one takes an outcome with one form: reached / not
reached / declined, satisfaction 1-5, a note, the issues raised and whether they are a
complaint (which opens its case, R6). The same rules as `careops callbacks record`
(my_calls.record_call); a callback of someone else or of another month is "not found". A post
redirects back to the list (303) with the saved row marked.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from careops.db.models.callbacks import CallbackOutcome
from careops.errors import CareopsError, NotFound
from careops.months import Month
from careops.services.callbacks.my_calls import check_mine, my_call_list, record_call
from careops.services.callbacks.outcomes import OutcomeInput
from careops.web import csrf
from careops.web.staff.pages import StaffContext, StaffPages
from careops.web.staff.words import words_for

SCOPE = "calls"
TEXT_LIMIT = 2000
FORM_ID = re.compile(r"[A-Za-z0-9_-]{16,32}")
WORDS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "我的回访 · {month}",
        "progress": "已完成 {done} / {total}",
        "nothing": "本月没有分配给您的回访。",
        "due": "应回访日期",
        "contact": "联系人",
        "project": "项目",
        "attempts": "之前的回访记录",
        "no_attempt": "尚无记录",
        "outcome": "回访结果",
        "reached": "已联系上",
        "not_reached": "未联系上",
        "declined": "客户拒绝回访",
        "satisfaction": "满意度（联系上时填写）",
        "no_score": "不评分",
        "issues": "客户反映的问题（选填，最多 {limit} 字）",
        "complaint": "这是投诉：建立投诉案件（R6）",
        "record": "保存本次回访",
        "saved_row": "已保存。",
        "case_opened": "已建立投诉案件 {case}。",
        "done_label": "已完成",
        "status_open": "待回访",
        "status_done": "已完成",
        "status_missed": "已逾期",
        "field_note": "备注",
        "field_issues": "客户反映的问题",
        "choose_outcome": "请选择回访结果。",
        "complaint_needs_issues": "建立投诉需要填写客户反映的问题。",
        "not_yours_title": "不在您的回访清单上",
        "not_yours_body": "这条回访不在本链接对应的回访清单上。",
    },
    "en": {
        "title": "My callbacks · {month}",
        "progress": "{done} / {total} done",
        "nothing": "No callbacks are assigned to you this month.",
        "due": "Due",
        "contact": "Contact",
        "project": "Project",
        "attempts": "Earlier attempts",
        "no_attempt": "none yet",
        "outcome": "Outcome",
        "reached": "Reached",
        "not_reached": "Not reached",
        "declined": "Customer declined",
        "satisfaction": "Satisfaction (when reached)",
        "no_score": "no score",
        "issues": "Issues the customer raised (optional, at most {limit} characters)",
        "complaint": "This is a complaint: open its case (R6)",
        "record": "Save this call",
        "saved_row": "Saved.",
        "case_opened": "Complaint case {case} opened.",
        "done_label": "Done",
        "status_open": "to call",
        "status_done": "done",
        "status_missed": "missed",
        "field_note": "The note",
        "field_issues": "The issues raised",
        "choose_outcome": "Please choose the outcome of the call.",
        "complaint_needs_issues": "A complaint needs the issues the customer raised.",
        "not_yours_title": "Not on your call list",
        "not_yours_body": "This callback is not on the call list of this link.",
    },
}


def calls_router(staff: StaffPages) -> APIRouter:
    router = APIRouter()

    def listing(request: Request, ctx: StaffContext, status: int = 200, *, error_for: int = 0,
                error: str = "", form: dict | None = None, saved: int = 0, case: int = 0):
        month = Month.parse(ctx.claim.subject)
        calls = my_call_list(staff.read_uow(), ctx.person.id, month, staff.settings.tz)
        w = words_for(ctx.locale, WORDS)
        return staff.form(request, "staff/calls.html", ctx, WORDS, status,
                          title=w("title", month=str(month)), calls=calls,
                          outcome_labels=[(o.value, w(o.value)) for o in CallbackOutcome],
                          limit=TEXT_LIMIT,
                          error_for=error_for, error=error, form=form or {}, saved=saved,
                          case=case, form_id=secrets.token_urlsafe(16))

    @router.get("/staff/calls/{token}", response_class=HTMLResponse)
    @staff.view
    def calls_page(request: Request, token: str, lang: str | None = None,
                   saved: int = 0, case: int = 0):
        ctx = staff.open(request, SCOPE, token, lang)
        if not isinstance(ctx, StaffContext):
            return ctx
        return listing(request, ctx, saved=saved, case=case)

    @router.post("/staff/calls/{token}/{callback_id}", response_class=HTMLResponse)
    def record(
        request: Request, token: str, callback_id: int, lang: str | None = None,
        outcome: Annotated[str, Form()] = "", satisfaction: Annotated[str, Form()] = "",
        notes: Annotated[str, Form()] = "", issues: Annotated[str, Form()] = "",
        complaint: Annotated[str, Form()] = "", form_id: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form(alias=csrf.FIELD)] = "",
    ):
        ctx = staff.open(request, SCOPE, token, lang)
        if not isinstance(ctx, StaffContext):
            return ctx
        if not staff.csrf_ok(request, csrf_token):
            return staff.notice(request, ctx.locale, "csrf", 403)
        w = words_for(ctx.locale, WORDS)
        month = Month.parse(ctx.claim.subject)
        try:
            check_mine(staff.read_uow(), callback_id, ctx.person.id, month)
        except NotFound:
            return staff.notice(request, ctx.locale, "not_yours", 404, WORDS)
        form = {"outcome": outcome, "satisfaction": satisfaction, "notes": notes.strip(),
                "issues": issues.strip(), "complaint": bool(complaint)}

        def refuse(text: str):
            return listing(request, ctx, 400, error_for=callback_id, error=text, form=form)

        if outcome not in {o.value for o in CallbackOutcome}:
            return refuse(w("choose_outcome"))
        for field, value in (("field_note", form["notes"]), ("field_issues", form["issues"])):
            if len(value) > TEXT_LIMIT:
                return refuse(w("too_long", field=w(field), limit=TEXT_LIMIT, count=len(value)))
        if form["complaint"] and not form["issues"]:
            return refuse(w("complaint_needs_issues"))
        score = int(satisfaction) if satisfaction.isdigit() else None
        data = OutcomeInput(CallbackOutcome(outcome), score, form["notes"] or None,
                            form["issues"] or None, recorded_by=ctx.person.name)
        # one attempt per rendered form: a double tap or a resent post records nothing twice
        key = f"link:{callback_id}:{form_id}" if FORM_ID.fullmatch(form_id) else None
        try:
            done = record_call(
                staff.audited(ctx, "callback.record", f"callback:{callback_id}", outcome),
                callback_id, data, staff.clock(), complaint=form["complaint"],
                tz=staff.settings.tz, key=key)
        except CareopsError as exc:  # the service's own one-line reason (a final record ...)
            return refuse(str(exc))
        staff.deliver()
        case = done.case.case_id if done.case is not None else 0
        query = f"?saved={callback_id}" + (f"&case={case}" if case else "")
        if lang:
            query += f"&lang={ctx.locale}"
        return RedirectResponse(f"/staff/calls/{token}{query}#c{callback_id}", status_code=303)

    return router
