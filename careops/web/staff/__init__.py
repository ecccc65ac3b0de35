"""Staff members' personal pages: one module per process, sharing careops.web.staff.pages
(links, CSRF, the record of actions) and careops.web.staff.words.

    /staff/calls/{token}    R1 my callbacks this month (calls.py)
    /staff/alert/{token}    R3 "I'm on it" for a holiday-watch alert (alerts.py)
    /staff/weekly/{token}   R4 the weekly report form; the TS head's away marks (weekly.py)
    /staff/fault/{token}    R5 file, resolve, analyse a fault (faults.py)
    /staff/case/{token}     R6 the owner's case page (cases.py)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

    from careops.web.staff.pages import StaffPages


def staff_routers(staff: StaffPages) -> list[APIRouter]:
    """Every staff page's router (a new page: one line here)."""
    from careops.web.staff.alerts import alerts_router
    from careops.web.staff.calls import calls_router
    from careops.web.staff.cases import cases_router
    from careops.web.staff.faults import faults_router
    from careops.web.staff.weekly import weekly_router

    return [calls_router(staff), alerts_router(staff), weekly_router(staff),
            faults_router(staff), cases_router(staff)]
