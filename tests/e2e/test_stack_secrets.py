"""The secrets a real stack generates on its first start (`careops stack up`, nothing configured).

The web signing key and the Prefect API auth string are in `<var>/secrets` (directory 0700,
files 0600); the console names the auth string's file, never a value; the Prefect API answers
401 without the generated string (and with a wrong one), 200 with it; careops on the same
machine (this process, reading the same directory) sends it; a link forged with the key that
once shipped in the source opens nothing on the stack's web app; no log, database or mail the
stack wrote holds a generated value. One stack for the module (~1-2 minutes).
"""

from __future__ import annotations

import base64
import stat
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.secrets import assert_clean, assert_files_clean, generated
from tests.support.stack import RunningStack, running_stack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.real_clock("a real stack: its server, worker and relay run on the real clock"),
]
WORKER_TIMEOUT = 120.0  # a loaded machine: the worker process needs a while to poll


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("stack"), "--no-demo") as up:
        yield up


def _status(url: str, auth: str | None = None) -> int:
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_generated_files_are_private(stack: RunningStack) -> None:
    folder = stack.secrets_dir
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("web_secret_key", "prefect_auth_string"):
        path = folder / name
        assert path.is_file(), f"{path} missing:\n{stack.output}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert len((folder / "web_secret_key").read_text().strip()) >= 32
    assert (folder / "prefect_auth_string").read_text().startswith("careops:")


def test_the_console_names_the_file_not_the_value(stack: RunningStack) -> None:
    out = stack.output
    assert f"UI login     the whole line in {stack.secrets_dir / 'prefect_auth_string'}" in out, out
    assert f"secrets      {stack.secrets_dir}" in out, out
    values = generated(stack.secrets_dir)
    assert len(values) == 3  # the key, the auth string and its Basic header
    assert_clean(out, "careops stack up's console", [stack.secrets_dir])


def test_the_prefect_api_requires_the_generated_auth_string(stack: RunningStack) -> None:
    version = f"{stack.api_url}/admin/version"
    assert _status(version) == 401
    assert _status(version, "careops:wrong") == 401
    assert _status(version, stack.auth_string) == 200
    assert _status(f"{stack.api_url}/health") == 200  # open: probes and the stack's start


def test_careops_and_the_worker_send_the_generated_string(stack: RunningStack) -> None:
    """This process reads the stack's secrets directory, as `careops doctor` there would; the
    stack's worker (a child given the string) comes online on the authenticated server."""
    from careops.stack.prefect_state import read_state

    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        state = read_state(stack.api_url, "careops", ["deliver-outbox"])
        assert "deliver-outbox" in state.schedules
        if state.online_workers:
            break
        assert time.monotonic() < deadline, f"no worker online:\n{stack.output}"
        time.sleep(1)


def test_a_link_forged_with_the_shipped_key_opens_nothing(stack: RunningStack) -> None:
    from itsdangerous import URLSafeTimedSerializer

    web = f"http://127.0.0.1:{stack.web_port}"
    shipped = URLSafeTimedSerializer("careops-dev-secret-change-me", salt="careops:survey")
    assert _status(f"{web}/survey/{shipped.dumps({'id': 1, 'to': 'a@b.test'})}") == 404
    assert _status(f"{web}/healthz") == 200


def test_nothing_the_stack_wrote_holds_a_generated_secret(stack: RunningStack) -> None:
    """Console, logs, careops's and Prefect's databases, mail: all but the secrets' own files."""
    assert assert_files_clean(stack.root, [stack.secrets_dir]) >= 5
