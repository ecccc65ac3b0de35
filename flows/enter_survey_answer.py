"""enter-survey-answer — R2: staff enter a needs-survey answer taken by phone or letter.

A form in the Prefect UI (and `careops survey enter`). The answer is stored for the customer's
campaign member, marked with its channel and who entered it; entering again replaces it (the
revision counts). Requires a built campaign with the customer in it.
"""

from __future__ import annotations

from typing import Literal

from prefect import flow
from pydantic import BaseModel, Field

from careops.rules.survey import MAX_COMMENTS, MAX_TEXT
from careops.services.survey.answers import parse_answer
from tasks.artifacts import publish_markdown
from tasks.survey import enter_answer_task


class SurveyAnswerEntry(BaseModel):
    year: int = Field(ge=2000, le=2100, description="Campaign year (December of)")
    customer_code: str = Field(min_length=1, max_length=40)
    channel: Literal["phone", "letter"] = "phone"
    entered_by: str = Field(min_length=1, max_length=100, description="Who took the answer")
    needs: list[str] = Field(default_factory=list, description=(
        "website, app, mini_program, hosting, security, maintenance, data, marketing, other"))
    needs_other: str = Field("", max_length=MAX_TEXT)
    budget: str = Field("", description="lt50k, 50k_200k, 200k_500k, gt500k, undecided")
    timing: str = Field("", description="q1, q2, q3, q4, undecided")
    contact_preference: str = Field("", description="phone, email, visit, none")
    comments: str = Field("", max_length=MAX_COMMENTS)


@flow(name="enter-survey-answer", log_prints=True)
def enter_survey_answer(entry: SurveyAnswerEntry) -> dict:
    data = parse_answer(entry.model_dump(include={
        "needs", "needs_other", "budget", "timing", "contact_preference", "comments"}))
    revision = enter_answer_task(entry.year, entry.customer_code, data, entry.channel,
                                 entry.entered_by)
    publish_markdown(f"survey-answer-{entry.year}-{entry.customer_code}",
                     f"# Survey answer {entry.year} {entry.customer_code}\n\n"
                     f"- channel: {entry.channel}, entered by {entry.entered_by}\n"
                     f"- revision: {revision}\n- needs: {', '.join(data.needs) or '–'}\n",
                     "Survey answer entered")
    return {"year": entry.year, "customer_code": entry.customer_code, "revision": revision}
