"""Freeze what careops, its flows and its tasks take for "now", for a whole test.

`careops.clock.utcnow` / `local_today` reach code three ways: called through the module
(`careops.clock.utcnow()`), imported by name (`from careops.clock import utcnow`) and bound as
a default argument (`now: Clock = utcnow`, e.g. the outbox delivery). `freeze` replaces all
three in every loaded careops, flows and tasks module (every flow, its tasks and the CLI are
imported first), so a flow or CLI run reads the frozen clock end to end; monkeypatch undoes it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from datetime import date
from zoneinfo import ZoneInfo

import pytest

import careops.clock
from careops.clock import FrozenClock

PACKAGES = ("careops", "flows", "tasks")


def _functions(value: object) -> list:
    """The plain functions behind a module attribute: itself, a Prefect task's or flow's
    `fn`, a class's methods."""
    if inspect.isclass(value):
        found = []
        for member in vars(value).values():
            member = getattr(member, "__func__", member)  # classmethod, staticmethod
            if inspect.isfunction(member):
                found.append(member)
        return found
    value = getattr(value, "fn", value)
    return [value] if inspect.isfunction(value) else []


def freeze(monkeypatch: pytest.MonkeyPatch, clock: FrozenClock) -> FrozenClock:
    import careops.cli.main  # noqa: F401  (every CLI command module)
    import flows

    for info in pkgutil.iter_modules(flows.__path__):  # every flow and, with them, its tasks
        importlib.import_module(f"flows.{info.name}")
    real_now, real_today = careops.clock.utcnow, careops.clock.local_today

    def local_today(tz: ZoneInfo, clock: careops.clock.Clock = clock) -> date:
        return clock().astimezone(tz).date()

    def swapped(value: object) -> object:
        if value is real_now:
            return clock
        return local_today if value is real_today else value

    seen: set[int] = set()
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(PACKAGES):
            continue
        for attr, value in list(vars(module).items()):
            if swapped(value) is not value:
                monkeypatch.setattr(module, attr, swapped(value))
                continue
            for fn in _functions(value):
                if id(fn) in seen or not (fn.__module__ or "").startswith(PACKAGES):
                    continue
                seen.add(id(fn))
                defaults = fn.__defaults__ or ()
                if any(swapped(d) is not d for d in defaults):
                    monkeypatch.setattr(fn, "__defaults__", tuple(swapped(d) for d in defaults))
                keywords = fn.__kwdefaults__ or {}
                if any(swapped(d) is not d for d in keywords.values()):
                    monkeypatch.setattr(
                        fn, "__kwdefaults__", {k: swapped(d) for k, d in keywords.items()}
                    )
    return clock
