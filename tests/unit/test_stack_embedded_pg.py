"""The Prefect server's own PostgreSQL (careops/stack/embedded_pg.py): a real initdb and start."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from careops.stack.embedded_pg import EmbeddedPostgres, find_bin_dir
from careops.stack.processes import free_port
from tests.support.stack import prefect_home_for

BIN = find_bin_dir()
pytestmark = pytest.mark.skipif(BIN is None, reason="no PostgreSQL >= 14 binaries installed")


def test_the_cluster_is_created_once_and_accepts_only_its_password(tmp_path: Path) -> None:
    pg = EmbeddedPostgres(prefect_home_for(tmp_path), BIN, free_port())
    assert pg.initialise() is True
    assert pg.initialise() is False  # found: kept
    assert pg.password_file.stat().st_mode & 0o777 == 0o600
    assert not list(pg.prefect_home.glob("*initdb*"))  # initdb's password file is gone
    if os.geteuid() == 0:
        assert pg.data_dir.stat().st_uid == pg.run_as().pw_uid  # PostgreSQL refuses root
    child = pg.child().start()
    try:
        pg.wait_ready(child, 300)  # generous: a loaded machine
        dsn = pg.url("postgres").replace("postgresql+asyncpg", "postgresql")
        with psycopg.connect(dsn) as conn:
            assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn.replace(pg.password_file.read_text().strip(), "wrong"))
    finally:
        assert child.stop(60) == 0
        if not pg.prefect_home.is_relative_to(tmp_path):
            shutil.rmtree(pg.prefect_home, ignore_errors=True)
