"""check-sites — R3: check chosen monitored sites now (ops, from the UI or `careops watch
check --site …`).

Checks the sites given by URL or project code (none: every active site) with the watch's
client and conditions, stores the results and publishes them as a table artifact. An ad-hoc
check never opens an incident or sends an alert: the watch rounds do that. Requires a
migrated careops database with imported sites.
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from tasks.holiday_watch import check_sites_task
from tasks.notify import FAILURE_HOOKS


class CheckSitesParams(BaseModel):
    sites: list[str] = Field(default_factory=list,
                             description="URLs or project codes; empty: every active site")


@flow(name="check-sites", log_prints=True, **FAILURE_HOOKS)
def check_sites(params: CheckSitesParams | None = None) -> dict:
    params = params or CheckSitesParams()
    rows = check_sites_task(params.sites)
    return {"checked": len(rows), "up": sum(1 for r in rows if r["ok"]), "results": rows}


if __name__ == "__main__":
    check_sites()
