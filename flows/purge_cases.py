"""purge-cases — the R6 archive period (monthly, 03:00 on the 2nd).

Deletes closed cases kept long enough: `cases.keep_years` (1) after closing, important ones
`cases.keep_important_years` (3). Each leaves its statistics (kind, channel, department,
deadline met, opinion), so the monthly figures never change. Logs counts, never contents.
Requires a migrated careops database.
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from careops.clock import utcnow
from careops.db.uow import UnitOfWork
from careops.services.cases.archive import purge_cases as purge
from careops.services.cases.notices import CaseEnv
from tasks.notify import FAILURE_HOOKS


class PurgeCasesParams(BaseModel):
    dry_run: bool = Field(False, description="Only count what is due")


@task(name="purge-cases")
def purge_task(dry_run: bool) -> dict:
    return asdict(purge(UnitOfWork(), CaseEnv.from_settings(), utcnow(), dry_run=dry_run))


@flow(name="purge-cases", log_prints=True, **FAILURE_HOOKS)
def purge_cases(params: PurgeCasesParams | None = None) -> dict:
    params = params or PurgeCasesParams()
    result = purge_task(params.dry_run)
    get_run_logger().info(
        "%s %d closed case(s) (%d important); %d closed case(s) kept",
        "would purge" if params.dry_run else "purged", result["purged"],
        result["purged_important"], result["kept_closed"])
    return result
