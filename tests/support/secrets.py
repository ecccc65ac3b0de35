"""The secrets the tests configure, and the search for them in what careops wrote.

tests/e2e/test_no_secrets.py greps CLI output, logs, runs and artifacts for all of them;
tests/e2e/test_scheduler.py runs its stack with AUTH_SECRET as the Prefect API auth string and
greps everything that stack wrote (`stack_writings`).
"""

from __future__ import annotations

import base64
from pathlib import Path

DB_SECRET = "Pg-s3cret-4d1f"
SMTP_SECRET = "Smtp-s3cret-9b7e"
AUTH_SECRET = "careops-ops:Auth-s3cret-5e2a"  # a Prefect API auth string (user:password)
# ... and as it crosses the wire (an Authorization: Basic header that got logged)
AUTH_HEADER = base64.b64encode(AUTH_SECRET.encode()).decode()
SECRETS = (DB_SECRET, SMTP_SECRET, AUTH_SECRET, AUTH_HEADER)


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows a secret"


def assert_files_clean(root: Path) -> int:
    """Every file under `root` (logs, databases, mail) as bytes; how many were read."""
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, f"{path} holds a secret"
    return len(files)


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
