"""Which deployments `careops stack up` deploys again (careops/stack/deploy_cache.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from careops.settings import PROJECT_ROOT
from careops.stack import deploy_cache


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "prefect.yaml", root / "prefect.yaml")
    for folder in deploy_cache.CODE_DIRS:
        (root / folder).mkdir()
        (root / folder / "a.py").write_text("X = 1\n", encoding="utf-8")
    return root


def test_nothing_is_deployed_again_when_nothing_changed(tmp_path: Path) -> None:
    root, home = _project(tmp_path), tmp_path / "home"
    home.mkdir()
    prints = deploy_cache.fingerprints(root)
    ids = {name: f"id-{name}" for name in prints}
    assert deploy_cache.stale(home, prints, ids) == list(prints)  # never recorded
    deploy_cache.record(home, prints, ids)
    assert deploy_cache.stale(home, deploy_cache.fingerprints(root), ids) == []


def test_a_changed_entry_only_that_one_and_changed_code_all(tmp_path: Path) -> None:
    root, home = _project(tmp_path), tmp_path / "home"
    home.mkdir()
    prints = deploy_cache.fingerprints(root)
    ids = {name: f"id-{name}" for name in prints}
    deploy_cache.record(home, prints, ids)
    text = (root / "prefect.yaml").read_text(encoding="utf-8")
    (root / "prefect.yaml").write_text(
        text.replace('cron: "30 7 * * *"', 'cron: "45 7 * * *"'), encoding="utf-8"
    )
    assert deploy_cache.stale(home, deploy_cache.fingerprints(root), ids) == ["doctor"]
    (root / "careops" / "a.py").write_text("X = 2\n", encoding="utf-8")
    assert len(deploy_cache.stale(home, deploy_cache.fingerprints(root), ids)) == len(prints)


def test_a_deployment_the_server_lost_or_replaced_is_deployed_again(tmp_path: Path) -> None:
    root, home = _project(tmp_path), tmp_path / "home"
    home.mkdir()
    prints = deploy_cache.fingerprints(root)
    ids = {name: f"id-{name}" for name in prints}
    deploy_cache.record(home, prints, ids)
    server = dict(ids)
    del server["doctor"]
    server["fault-watch"] = "another-id"
    assert deploy_cache.stale(home, prints, server) == ["doctor", "fault-watch"]
