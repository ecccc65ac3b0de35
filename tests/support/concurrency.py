"""Run a careops service in separate processes that start together (for race tests)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any


def _child(target: Callable[..., Any], args: tuple, env: dict, barrier, results) -> None:
    os.environ.update(env)
    try:
        barrier.wait(timeout=60)
        results.put(("ok", target(*args)))
    except BaseException as exc:  # report, never hang the parent
        results.put(("error", repr(exc)))


def run_together(target: Callable[..., Any], args: tuple, env: dict[str, str], n: int = 2) -> list:
    """Start `n` fresh processes running target(*args) at the same moment; return their results."""
    return run_each([(target, args)] * n, env)


def run_each(calls: list[tuple[Callable[..., Any], tuple]], env: dict[str, str]) -> list:
    """Start one fresh process per (target, args) at the same moment; return their results
    (in the order they finished)."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(calls)), ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(target, args, env, barrier, results))
        for target, args in calls
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    errors = [detail for status, detail in out if status == "error"]
    assert not errors, errors
    return [detail for _status, detail in out]
