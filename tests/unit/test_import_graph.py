"""The import graph of careops/, flows/ and tasks/ (read with ast, nothing imported): no circles,
and the direction flows -> tasks -> careops.

Every import counts, also one inside a function or under TYPE_CHECKING: a circle hidden in a
function is still two modules that cannot be understood (or moved) one without the other. The
one circle allowed is SQLAlchemy's model registration, if it comes back: modules of
careops.db.models only (today the package's __init__ imports every model module and none
imports the package back, so there is none).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from careops.settings import PROJECT_ROOT

TOPS = ("careops", "flows", "tasks")
ALLOWED_PACKAGE = "careops.db.models"  # model registration


def modules(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    found = {}
    for top in TOPS:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of careops/flows/tasks it imports (`from a import b` names the
    module a.b when b is a module, else a)."""

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges |= {m for a in node.names if (m := known(a.name))}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in mods else known(base)
                    if target:
                        edges.add(target)
        edges.discard(name)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def path_in(component: list[str], graph: dict[str, set[str]]) -> str:
    """One circle through the component's first module, for the failure message."""
    members, first = set(component), component[0]
    trail, seen = [first], {first}
    while True:
        nxt = sorted(graph[trail[-1]] & members)
        if first in nxt and len(trail) > 1:
            return " -> ".join([*trail, first])
        step = next((m for m in nxt if m not in seen), None)
        if step is None:
            return " <-> ".join(component)
        trail.append(step)
        seen.add(step)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(modules())


def test_no_import_circles(graph):
    bad = [
        c
        for c in circles(graph)
        if not all(m == ALLOWED_PACKAGE or m.startswith(ALLOWED_PACKAGE + ".") for m in c)
    ]
    assert not bad, (
        "import circles (break each: move the shared piece, or invert a "
        "dependency):\n" + "\n".join(path_in(c, graph) for c in bad)
    )


def test_careops_never_imports_flows_or_tasks_and_tasks_never_flows(graph):
    wrong = sorted(
        f"{m} imports {t}"
        for m, targets in graph.items()
        for t in targets
        if (m.startswith("careops") and t.split(".")[0] in ("flows", "tasks"))
        or (m.startswith("tasks") and t.split(".")[0] == "flows")
    )
    assert not wrong, "flows -> tasks -> careops, never back:\n" + "\n".join(wrong)


def test_the_check_finds_a_circle_and_names_it(tmp_path):
    """The graph reader itself: a circle through a lazy import is found and named."""
    (tmp_path / "careops" / "a").mkdir(parents=True)
    for top in ("flows", "tasks"):
        (tmp_path / top).mkdir()
    (tmp_path / "careops" / "a" / "__init__.py").write_text("")
    (tmp_path / "careops" / "a" / "one.py").write_text("from careops.a import two\n")
    (tmp_path / "careops" / "a" / "two.py").write_text(
        "def f():\n    from careops.a.one import x\n"
    )
    (tmp_path / "careops" / "b.py").write_text("import careops.a.one\n")
    small = import_graph(modules(tmp_path))
    assert circles(small) == [["careops.a.one", "careops.a.two"]]
    assert path_in(["careops.a.one", "careops.a.two"], small) == (
        "careops.a.one -> careops.a.two -> careops.a.one"
    )
