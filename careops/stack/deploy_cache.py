"""Deploy only what changed: fingerprints of prefect.yaml's deployments, kept under var/.

`prefect deploy` of all of prefect.yaml (a process that imports every flow) took 15 s on a quiet
machine and 60 s on a loaded one, at every start. A deployment is deployed again only when its
fingerprint changed or the server does not hold it as it was left: the fingerprint hashes its
prefect.yaml entry, the file's other sections (pull steps, definitions), the code of flows/,
tasks/ and careops/ (parameter models, flow descriptions), the Prefect version and the project
root (the pull step's CAREOPS_HOME); `<prefect home>/deployed.json` keeps each deployment's
fingerprint with the id the server gave it, so a server whose database was replaced (another
id, or none) gets it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from rich.console import Console

from careops.clock import utcnow
from careops.errors import StackError
from careops.stack import prefect_setup
from careops.stack.config import StackConfig

STATE_FILE = "deployed.json"
CODE_DIRS = ("careops", "tasks", "flows")


def _code_digest(root: Path) -> str:
    from prefect import __version__ as prefect_version

    digest = hashlib.sha256(f"{prefect_version}\0{root.resolve()}\0".encode())
    for folder in CODE_DIRS:
        for path in sorted((root / folder).glob("**/*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprints(root: Path) -> dict[str, str]:
    """Each deployment of prefect.yaml by name, with its fingerprint."""
    data = yaml.safe_load((root / "prefect.yaml").read_text(encoding="utf-8")) or {}
    shared = {k: v for k, v in data.items() if k != "deployments"}
    common = _code_digest(root) + json.dumps(shared, sort_keys=True, default=str)
    return {
        item["name"]: hashlib.sha256(
            (common + json.dumps(item, sort_keys=True, default=str)).encode()
        ).hexdigest()
        for item in data.get("deployments") or []
    }


def _recorded(prefect_home: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((prefect_home / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stale(prefect_home: Path, wanted: dict[str, str], on_server: dict[str, str]) -> list[str]:
    """The names in `wanted` (name -> fingerprint) to deploy: changed since they were recorded,
    or not on the server (`on_server`: name -> id) with the recorded id."""
    recorded = _recorded(prefect_home)
    return [
        name for name, fingerprint in wanted.items()
        if recorded.get(name, {}).get("fingerprint") != fingerprint
        or name not in on_server
        or recorded[name].get("id") != on_server[name]
    ]  # fmt: skip


def record(prefect_home: Path, wanted: dict[str, str], on_server: dict[str, str]) -> None:
    """Keep the fingerprints of the deployments the server now holds (after a checked deploy)."""
    state = {
        name: {"fingerprint": fingerprint, "id": on_server[name]}
        for name, fingerprint in wanted.items()
        if name in on_server
    }
    path = prefect_home / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def deploy_changed(cfg: StackConfig, env: dict[str, str], console: Console) -> list[str]:
    """Deploy prefect.yaml; the names of the deployments that have schedules."""
    planned = prefect_setup.planned_deployments(cfg.root)
    missing = [p for p in planned if not p.module_exists(cfg.root)]
    for item in missing:
        console.print(f"[yellow]![/] not deployed: {item.name} ({item.entrypoint} missing)")
    ready = [p for p in planned if p not in missing]
    deployed, ids = prefect_setup.deployed(cfg)
    prints = {n: f for n, f in fingerprints(cfg.root).items() if n in {p.name for p in ready}}
    todo = stale(cfg.prefect_home, prints, ids)
    if todo:
        with console.status(f"deploying {len(todo)} of {len(ready)} deployment(s)…"):
            prefect_setup.deploy(cfg, todo, env)
        deployed, ids = prefect_setup.deployed(cfg)
    prefect_setup.check_schedules(ready, deployed)
    console.print(
        f"  {len(todo)} deployed, {len(ready) - len(todo)} unchanged "
        f"(fingerprints in {cfg.prefect_home / STATE_FILE})",
        highlight=False,
    )
    for item in ready:
        if item.name not in deployed:
            raise StackError(f"deployment {item.name!r} is not on the server after deploy")
        when = ", ".join(f"{c} ({tz})" for c, tz in deployed[item.name]) or "on demand"
        console.print(f"  {item.name:<22} {when}", highlight=False)
    record(cfg.prefect_home, prints, ids)
    now = utcnow()
    later = [i.name for i in ready if i.schedules and not i.fires_within(now)]
    if later:
        console.print(
            f"  (next run beyond the scheduler's horizon, not waited for: {', '.join(later)})",
            highlight=False,
        )
    return [item.name for item in ready if item.schedules and item.name not in later]
