"""The Prefect server's own PostgreSQL, which the stack starts itself (the default on SQLite).

Prefect's server on SQLite loses requests under a burst: 30 runs created at once got 503s,
runs Crashed and the server logged "database is locked" dozens of times, with prefect 3.8.8
and 3.9.1 alike (benchmarks/prefect_burst.py); on PostgreSQL the same burst has no error. So
when careops's database is SQLite and no `[prefect] database_url` is set, `careops stack up`
runs a private PostgreSQL cluster under `<prefect home>/postgres`: created with initdb on the
first start (superuser `prefect`, a random password kept in `<prefect home>/postgres.password`,
mode 0600, password authentication), then `postgres` on 127.0.0.1 and a free port, without a
Unix socket, for the stack's lifetime. careops's own database stays where it is.

Debian's binaries are used (/usr/lib/postgresql/N/bin, N >= 14; scripts/install.sh installs
them when it can); without them the stack falls back to Prefect's SQLite and says so.
PostgreSQL refuses to run as root: started by root, the cluster belongs to and runs as
`nobody`, which needs search permission on the directories above it.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from careops.errors import StackError
from careops.stack.processes import Child

MIN_VERSION = 14  # Prefect's server needs PostgreSQL >= 14.9
SUPERUSER = "prefect"
DATABASE = "prefect"
ROOT_RUNS_AS = "nobody"


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL (>= 14) bin directory with initdb and postgres, else None."""
    found: list[tuple[int, Path]] = []
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if on_path := shutil.which("initdb"):
        candidates.append(str(Path(on_path).resolve()))
    for initdb in candidates:
        bin_dir = Path(initdb).parent
        major = _major(bin_dir)
        if major is not None and major >= MIN_VERSION and (bin_dir / "postgres").exists():
            found.append((major, bin_dir))
    return max(found)[1] if found else None


def _major(bin_dir: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


@dataclass
class EmbeddedPostgres:
    prefect_home: Path
    bin_dir: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.prefect_home / "postgres"

    @property
    def password_file(self) -> Path:
        return self.prefect_home / "postgres.password"

    @property
    def log_path(self) -> Path:
        return self.prefect_home / "postgres.log"

    @staticmethod
    def run_as() -> pwd.struct_passwd | None:
        """The unprivileged account the cluster runs as when the stack runs as root."""
        return pwd.getpwnam(ROOT_RUNS_AS) if os.geteuid() == 0 else None

    def url(self, database: str = DATABASE) -> str:
        password = self.password_file.read_text(encoding="utf-8").strip()
        return f"postgresql+asyncpg://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def initialise(self) -> bool:
        """initdb unless the cluster exists; True when created."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        if self.data_dir.exists():  # an initdb that was interrupted: start again
            shutil.rmtree(self.data_dir)
        self.prefect_home.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        self.password_file.touch(mode=0o600)
        self.password_file.write_text(password + "\n", encoding="utf-8")
        self.data_dir.mkdir(mode=0o700)
        account = self.run_as()
        if account is not None:
            os.chown(self.data_dir, account.pw_uid, account.pw_gid)
            self._check_reachable(account)
        pwfile = self.prefect_home / "postgres.initdb-password"  # read by initdb's account
        pwfile.touch(mode=0o600)
        pwfile.write_text(password + "\n", encoding="utf-8")
        if account is not None:
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        try:
            result = subprocess.run(
                [str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                 f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"],
                capture_output=True, text=True, check=False, timeout=300, cwd=self.data_dir,
                **_as_account(account),
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-10:])
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise StackError(
                f"initdb of the Prefect server's PostgreSQL failed ({self.data_dir}):\n{tail}"
            )
        return True

    def _check_reachable(self, account: pwd.struct_passwd) -> None:
        probe = subprocess.run(
            ["test", "-w", str(self.data_dir)], check=False, **_as_account(account)
        )
        if probe.returncode != 0:
            blocked = next(
                (str(p) for p in reversed(self.data_dir.parents) if not p.stat().st_mode & 0o001),
                str(self.data_dir.parent),
            )
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise StackError(
                f"the Prefect server's PostgreSQL runs as {account.pw_name!r} (PostgreSQL "
                f"refuses root) and cannot reach {self.data_dir}: allow it through {blocked} "
                f"(chmod o+x {blocked}), or set [prefect] embedded_postgres = false"
            )

    def child(self) -> Child:
        account = self.run_as()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        return Child(
            "postgres (Prefect's database)",
            [str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "synchronous_commit=off"],
            env=env, cwd=self.data_dir, log_path=self.log_path,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
        )  # fmt: skip

    def wait_ready(self, child: Child, timeout: float) -> None:
        """Until the cluster accepts a login; StackError when it exits or times out."""
        import psycopg

        dsn = self.url("postgres").replace("postgresql+asyncpg", "postgresql")
        deadline = time.monotonic() + timeout
        while True:
            if (code := child.poll()) is not None:
                raise StackError(
                    f"{child.name} exited with code {code}; last lines of "
                    f"{self.log_path}:\n{child.log_tail()}"
                )
            try:
                with psycopg.connect(dsn, connect_timeout=5):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise StackError(
                        f"{child.name} did not accept a login within "
                        f"{timeout:.0f} s ({exc}); see {self.log_path}"
                    ) from exc
            time.sleep(0.2)


def _as_account(account: pwd.struct_passwd | None) -> dict:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
