"""needs-summary — R2: the needs summary for management, early January.

Response rate, needs by category, budget and timing per category, one row per customer, with
charts (PNG inline in the mail, Chinese labels) and an XLSX of every answer attached; mailed to
`[survey] management_emails` once per year and published as artifacts. Scheduled 09:00 on
`[survey] summary_on` (prefect.yaml's cron must say the same day; a test checks it), for last
December's campaign. Run by hand with `year` for any campaign. Requires a built campaign.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from careops.clock import local_today
from careops.rules.survey import NEEDS, campaign_year, label
from careops.settings import get_settings
from tasks.artifacts import markdown_table, publish_markdown
from tasks.mail import deliver_outbox_task
from tasks.notify import FAILURE_HOOKS
from tasks.survey import summary_task


class NeedsSummaryParams(BaseModel):
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="Campaign year. Empty: last December's campaign.")


@flow(name="needs-summary", log_prints=True, **FAILURE_HOOKS)
def needs_summary(params: NeedsSummaryParams | None = None) -> dict:
    params = params or NeedsSummaryParams()
    year = params.year or campaign_year(local_today(get_settings().tz))
    result = summary_task(year)
    rows = [{"need": label(NEEDS, code, "zh_CN"), "code": code, "customers": count}
            for code, count in result["needs"].items()]
    publish_markdown(
        f"needs-summary-{year}",
        f"# Needs summary {year}\n\n- response rate: **{result['rate']}** "
        f"({result['answered_invited']} of {result['invited']} invited; "
        f"{result['answered']} answers in all)\n\n## Needs by category\n\n"
        + markdown_table(rows),
        f"Needs survey summary {year}",
    )
    get_run_logger().info("needs summary %s: %d answers, rate %s", year, result["answered"],
                          result["rate"])
    result["delivery"] = deliver_outbox_task()
    return result


if __name__ == "__main__":
    needs_summary()
