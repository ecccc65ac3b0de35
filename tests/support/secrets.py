"""The secrets the tests configure or careops generated, and the search for them in what
careops wrote.

tests/e2e/test_no_secrets.py greps CLI output, logs, runs and artifacts for all of them;
tests/e2e/test_scheduler.py runs its stack with AUTH_SECRET as the Prefect API auth string and
greps everything that stack wrote (`stack_writings`); tests/e2e/test_stack_secrets.py greps a
stack's output for the secrets it generated. Generated secrets (careops.secrets) are read from
their directory: the session's (tests/conftest.py, CAREOPS_SECRETS_DIR) and any given.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from pathlib import Path

from careops.secrets import PREFECT_AUTH_FILE, WEB_KEY_FILE

DB_SECRET = "Pg-s3cret-4d1f"
SMTP_SECRET = "Smtp-s3cret-9b7e"
AUTH_SECRET = "careops-ops:Auth-s3cret-5e2a"  # a Prefect API auth string (user:password)
# ... and as it crosses the wire (an Authorization: Basic header that got logged)
AUTH_HEADER = base64.b64encode(AUTH_SECRET.encode()).decode()
SECRETS = (DB_SECRET, SMTP_SECRET, AUTH_SECRET, AUTH_HEADER)


def generated(folder: Path) -> tuple[str, ...]:
    """The secrets careops generated in `folder` (the auth string also as a Basic header)."""
    found: list[str] = []
    for name in (WEB_KEY_FILE, PREFECT_AUTH_FILE):
        path = folder / name
        if path.is_file() and (value := path.read_text(encoding="utf-8").strip()):
            found.append(value)
            if name == PREFECT_AUTH_FILE:
                found.append(base64.b64encode(value.encode()).decode())
    return tuple(found)


def every_secret(dirs: Iterable[Path] = ()) -> tuple[str, ...]:
    """SECRETS, the session's generated ones and those generated in `dirs`."""
    session = os.environ.get("CAREOPS_SECRETS_DIR")
    folders = [Path(session)] if session else []
    return SECRETS + tuple(s for d in [*folders, *dirs] for s in generated(d))


def assert_clean(text: str, where: str, dirs: Iterable[Path] = ()) -> None:
    for secret in every_secret(dirs):
        assert secret not in text, f"{where} shows a secret"


def assert_files_clean(root: Path, dirs: Iterable[Path] = ()) -> int:
    """Every file under `root` (logs, databases, mail) as bytes, but the generated secrets'
    own files (in `dirs`); how many were read."""
    dirs = [d.resolve() for d in dirs]
    secrets = every_secret(dirs)
    # a test stack's PREFECT_HOME can be a directory elsewhere, linked as root/prefect
    roots = [root, *(p.resolve() for p in root.iterdir() if p.is_symlink() and p.is_dir())]
    files = [p for top in roots for p in top.rglob("*")
             if p.is_file() and p.resolve().parent not in dirs]
    read = 0
    for path in files:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # a running PostgreSQL's temporary file, gone since listed
            continue
        read += 1
        for secret in secrets:
            assert secret.encode() not in data, f"{path} holds a secret"
    return read


def prefect_writings(api_url: str) -> tuple[int, str]:
    """The number of flow runs on the server, and the parameters, job variables, state
    messages, logs and artifacts of all of them as one text (careops's authenticated client)."""
    from careops.stack.prefect_setup import with_client

    async def every(read) -> list:
        found, page = [], 200
        while batch := await read(limit=page, offset=len(found)):
            found += batch
            if len(batch) < page:
                break
        return found

    async def read(client) -> tuple[int, str]:
        runs = await every(client.read_flow_runs)
        logs = await every(client.read_logs)
        artifacts = await every(client.read_artifacts)
        texts = [
            f"{r.parameters} {r.job_variables} {r.state.message if r.state else ''}" for r in runs
        ]
        texts += [log.message for log in logs] + [str(a.data) for a in artifacts]
        return len(runs), "\n".join(texts)

    return with_client(api_url, read)
