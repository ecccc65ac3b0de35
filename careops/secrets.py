"""The stack's generated secrets: the web signing key and the Prefect API auth string.

Like Jupyter's token: `careops stack up` generates each secret that is not configured on its
first start, keeps it in `secrets_dir` (default `var/secrets`, directory 0700, files 0600) and
uses it from then on. Everyone else reads those files and never creates them: the web app and
the flow runs the stack starts, and careops's commands on the same machine. A value configured
in the settings or the environment always wins.

- `web_secret_key`: `web.secret_key` (CAREOPS_WEB__SECRET_KEY), else
  `<secrets_dir>/web_secret_key`. It signs the customers' links and the pages' CSRF tokens. A
  key that ships in careops's source (the old built-in default, any key in the repository's
  config/careops.toml) or a short one is refused: anyone who reads the source could forge a
  customer's link with it.
- `prefect_auth`: `prefect.auth_string` (CAREOPS_PREFECT__AUTH_STRING, else
  PREFECT_API_AUTH_STRING), else `<secrets_dir>/prefect_auth_string` ("careops:<random>", the
  Prefect UI's login).

No secret value is ever printed or logged: only the files' paths.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr

from careops.errors import CareopsError
from careops.settings import DEFAULT_CONFIG, Settings

WEB_KEY_FILE = "web_secret_key"
PREFECT_AUTH_FILE = "prefect_auth_string"
MIN_KEY_LENGTH = 32
# Keys that were published with careops: refused wherever they are configured.
SHIPPED_KEYS = frozenset({"careops-dev-secret-change-me"})
HOW_TO_FIX = (
    "remove it (careops stack up then generates {file}) or set CAREOPS_WEB__SECRET_KEY to a "
    "long random value (python -c 'import secrets; print(secrets.token_urlsafe(32))')"
)


class SecretProblem(CareopsError):
    """A secret careops will not use (shipped in the source, too short) or cannot find."""


def secrets_dir(settings: Settings) -> Path:
    return settings.path(settings.secrets_dir)


def web_key_file(settings: Settings) -> Path:
    return secrets_dir(settings) / WEB_KEY_FILE


def prefect_auth_file(settings: Settings) -> Path:
    return secrets_dir(settings) / PREFECT_AUTH_FILE


@lru_cache
def _repository_keys(config: Path) -> frozenset[str]:
    """Whatever `[web] secret_key` the repository's own config file holds (it is public)."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return frozenset()
    key = (data.get("web") or {}).get("secret_key")
    return frozenset({key.strip()}) if isinstance(key, str) and key.strip() else frozenset()


def key_problem(key: str) -> str | None:
    """Why `key` must not sign customers' links (None: it may)."""
    if key in SHIPPED_KEYS or key in _repository_keys(DEFAULT_CONFIG):
        return "is a key that ships in careops's source: anyone can forge customers' links"
    if len(key) < MIN_KEY_LENGTH:
        return f"is too short ({len(key)} characters; at least {MIN_KEY_LENGTH})"
    return None


def check_key(key: str, source: str, settings: Settings | None = None) -> str:
    """`key`, or SecretProblem naming `source` (the setting or the file) and how to fix it."""
    problem = key_problem(key)
    if problem is not None:
        where = str(web_key_file(settings)) if settings else f"var/secrets/{WEB_KEY_FILE}"
        raise SecretProblem(f"{source} {problem}; {HOW_TO_FIX.format(file=where)}")
    return key


def _configured_web_key(settings: Settings) -> str | None:
    key = settings.web.secret_key
    value = key.get_secret_value().strip() if key is not None else ""
    return value or None


def web_secret_key(settings: Settings) -> str:
    """The key that signs and verifies customers' links; SecretProblem when there is none
    usable (never generated here: only `careops stack up` generates it)."""
    configured = _configured_web_key(settings)
    if configured is not None:
        return check_key(configured, "web.secret_key (CAREOPS_WEB__SECRET_KEY)", settings)
    path = web_key_file(settings)
    stored = _read(path)
    if stored is None:
        raise SecretProblem(
            f"web.secret_key is not set and {path} does not exist: start `careops stack up` "
            "once (it generates the file) or set CAREOPS_WEB__SECRET_KEY to a long random value"
        )
    return check_key(stored, str(path), settings)


def prefect_auth(settings: Settings) -> str | None:
    """The Prefect API auth string careops's clients send: configured, else the stack's file,
    else None (a server without auth)."""
    configured = settings.prefect.auth_value()
    if configured is not None:
        return configured
    return _read(prefect_auth_file(settings))


def _read(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return value or None


@dataclass(frozen=True)
class StackSecrets:
    """What the stack uses; the paths of generated files (for the console), never values."""

    auth_string: SecretStr = field(repr=False)
    auth_file: Path | None  # None: the auth string is configured
    web_key_file: Path | None  # None: web.secret_key is configured
    created: tuple[Path, ...] = ()


def ensure_stack_secrets(settings: Settings) -> StackSecrets:
    """Generate the secrets that are neither configured nor stored yet; check the web key.

    Files are created with O_EXCL (two starts at once keep the first one's value).
    """
    created: list[Path] = []
    key_file: Path | None = None
    if _configured_web_key(settings) is None:
        key_file = web_key_file(settings)
        if write_new_secret(key_file, secrets.token_urlsafe(32)):
            created.append(key_file)
    web_secret_key(settings)  # SecretProblem for a shipped, short or emptied key
    auth_file: Path | None = None
    auth = settings.prefect.auth_value()
    if auth is None:
        auth_file = prefect_auth_file(settings)
        if write_new_secret(auth_file, f"careops:{secrets.token_urlsafe(24)}"):
            created.append(auth_file)
        auth = _read(auth_file)
        if auth is None:
            raise SecretProblem(f"{auth_file} is empty: delete it and start the stack again")
    return StackSecrets(SecretStr(auth), auth_file, key_file, tuple(created))


def write_new_secret(path: Path, value: str) -> bool:
    """Write `value` to a new file readable by its owner only; False when it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)  # tightened if someone loosened it
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(value + "\n")
    return True
