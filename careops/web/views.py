"""Where a page view runs: on the event loop when its reads never wait, else in the thread pool.

A `def` endpoint runs in anyio's thread pool: every request is handed to a worker thread and
its answer handed back. Under 50 clients those hand-offs and the threads' turns at the GIL cost
a page about as much as its own work (docs/perf-staff-pages.md: 4.0 -> 1.9 ms of server CPU for
the R1 call list). A view that only reads a SQLite file (careops.db.engine.read_engine: WAL
mode, a deferred BEGIN, query_only) never waits for a lock, so on SQLite the app runs its GET
views inline on the event loop: `@views` on the endpoint, under its route decorator.

Everything else stays in the thread pool: every post (a write may wait for SQLite's write lock),
and every view on PostgreSQL (each query is a network round trip the loop must not sit out).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from careops.db.engine import read_engine


def reads_never_wait(engine: Engine) -> bool:
    """True for a SQLite file: its page views read a WAL snapshot without any lock."""
    return read_engine(engine) is not engine


class PageViews:
    """Decorates a `def` GET endpoint: inline on the loop when `inline`; else the endpoint is
    left as it is (FastAPI runs a `def` in a worker thread).

    FastAPI reads the endpoint's parameters through `functools.wraps` (inspect.unwrap), so the
    inline view keeps its query and path parameters."""

    def __init__(self, inline: bool) -> None:
        self.inline = inline

    def __call__(self, view: Callable[..., Any]) -> Callable[..., Any]:
        if not self.inline:
            return view

        @functools.wraps(view)
        async def endpoint(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        return endpoint
