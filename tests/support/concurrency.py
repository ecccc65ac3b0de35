"""Run a careops service in separate processes that start together (for race tests).

The processes are forked from a forkserver that has imported careops's services once (a fresh
interpreter per process, importing them each time, took seconds per process on a loaded
machine). They are clean processes, not copies of the test's own (no inherited connections or
threads): each reads its settings from the variables it is given.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.support.moved_clock import moved_instant

WAIT = 600.0  # generous: a loaded 2-core machine
PRELOAD = ["sqlalchemy", "careops.settings", "careops.bootstrap", "careops.db.uow",
           "careops.services.callbacks.planning", "careops.services.weekly.steps",
           "careops.services.survey.invitations", "careops.services.faults.steps",
           "tests.support.concurrency"]
_context = None


def _mp_context():
    """One forkserver per test process, preloaded with careops's services."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(target: Callable[..., Any], args: tuple, env: dict, barrier, results,
           parent_now: datetime | None) -> None:
    os.environ.update(env)
    from careops import bootstrap
    from careops.settings import get_settings

    get_settings.cache_clear()  # nothing read before the variables were set may stay
    bootstrap.reset()
    try:
        if parent_now is not None:  # a moved-clock run: the child keeps the parent's clock
            import time_machine

            time_machine.travel(parent_now, tick=True).start()
        barrier.wait(timeout=WAIT)
        results.put(("ok", target(*args)))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", repr(exc)))


def run_together(target: Callable[..., Any], args: tuple, env: dict[str, str], n: int = 2) -> list:
    """Start `n` fresh processes running target(*args) at the same moment; return their results."""
    return run_each([(target, args)] * n, env)


def run_each(calls: list[tuple[Callable[..., Any], tuple]], env: dict[str, str]) -> list:
    """Start one fresh process per (target, args) at the same moment; return their results
    (in the order they finished)."""
    ctx = _mp_context()
    barrier, results = ctx.Barrier(len(calls)), ctx.Queue()
    parent_now = datetime.now(UTC) if moved_instant() is not None else None
    procs = [
        ctx.Process(target=_child, args=(target, args, env, barrier, results, parent_now))
        for target, args in calls
    ]
    for p in procs:
        p.start()
    out = []
    for _ in procs:
        try:
            out.append(results.get(timeout=WAIT))
        except Exception:  # queue.Empty: name what did not come
            raise AssertionError(
                f"timed out after {WAIT:.0f} s waiting for the result of "
                f"{len(procs) - len(out)} of {len(procs)} concurrent processes"
            ) from None
    for p in procs:
        p.join(timeout=30)
    errors = [detail for status, detail in out if status == "error"]
    assert not errors, errors
    return [detail for _status, detail in out]
