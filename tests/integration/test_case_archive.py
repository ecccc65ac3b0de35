"""R6 archive: purge after 1 year (important: 3), statistics intact."""

from __future__ import annotations

from careops.clock import FrozenClock
from careops.rules.cases import CaseKind, Opinion
from careops.services.cases import steps as service
from careops.services.cases.archive import case_facts, purge_cases
from careops.services.cases.notices import CaseEnv
from careops.services.cases.queries import show_case
from tests.integration.case_world import SH, at, build_world, intake


def test_purge_keeps_important_cases_and_the_statistics(settings, uow, smtp):
    build_world(uow)
    env, clock = CaseEnv.from_settings(), FrozenClock(at("2026-09-30T16:05"))
    ids = []
    for kind, important in ((CaseKind.COMPLAINT, False), (CaseKind.COMPLAINT, True),
                            (CaseKind.CONSULTATION, False)):
        r = service.open_case(uow, intake(kind, text=f"{kind} {important}",
                                          important=important), env, clock())
        ids.append(r.case_id)
    clock.now = at("2026-10-09T10:00")
    for cid in ids[:2]:
        service.send_result(uow, cid, "已处理", "王芳", env, clock())
        service.record_opinion(uow, cid, Opinion.SATISFIED, None, env, clock())
    month = (at("2026-09-01T00:00"), at("2026-10-01T00:00"))
    before = sorted((f.kind, f.answered_at) for f in case_facts(uow, *month))

    clock.now = at("2027-10-08T12:00")  # closed 2026-10-09: less than a year
    assert purge_cases(uow, env, clock()).purged == 0
    clock.now = at("2027-10-10T12:00")
    result = purge_cases(uow, env, clock())
    assert (result.purged, result.purged_important, result.kept_closed) == (1, 0, 1)
    assert show_case(uow, ids[1], SH, clock()).important  # kept
    assert purge_cases(uow, env, clock()).purged == 0  # re-run: nothing more
    clock.now = at("2029-10-10T12:00")
    assert purge_cases(uow, env, clock(), dry_run=True).purged_important == 1
    assert purge_cases(uow, env, clock()).purged_important == 1
    after = sorted((f.kind, f.answered_at) for f in case_facts(uow, *month))
    assert after == before and len(after) == 3  # the open consultation is never purged
