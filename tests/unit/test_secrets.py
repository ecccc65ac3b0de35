"""The generated secrets (careops.secrets): made once 0600 in a 0700 directory, reused, a
configured value wins, a key that ships in the source is refused by the signer and the doctor.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careops import secrets
from careops.doctor import Status, check_web_key
from careops.secrets import SecretProblem, ensure_stack_secrets, web_secret_key
from careops.settings import get_settings
from careops.web.tokens import LinkSigner

SHIPPED = "careops-dev-secret-change-me"
OWN_KEY = "ops-chosen-key-" + "k" * 30
OWN_AUTH = "ops:Own-auth-9d2f"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """An empty secrets directory (not yet there), nothing configured."""
    for name in (
        "CAREOPS_WEB__SECRET_KEY",
        "CAREOPS_PREFECT__AUTH_STRING",
        "PREFECT_API_AUTH_STRING",
    ):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "var" / "secrets"
    monkeypatch.setenv("CAREOPS_SECRETS_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_start_generates_both_secrets_0600_and_later_starts_reuse_them(fresh):
    with pytest.raises(SecretProblem, match="does not exist: start `careops stack up` once"):
        web_secret_key(get_settings())  # nobody else generates it
    made = ensure_stack_secrets(get_settings())
    key_file, auth_file = fresh / "web_secret_key", fresh / "prefect_auth_string"
    assert set(made.created) == {key_file, auth_file}
    assert (made.web_key_file, made.auth_file) == (key_file, auth_file)
    assert _mode(fresh) == 0o700 and _mode(key_file) == _mode(auth_file) == 0o600
    key, auth = key_file.read_text().strip(), auth_file.read_text().strip()
    assert len(key) >= 40 and auth.startswith("careops:") and len(auth) > 30
    assert web_secret_key(get_settings()) == key
    assert secrets.prefect_auth(get_settings()) == auth  # careops's clients send it
    assert made.auth_string.get_secret_value() == auth and auth not in repr(made)

    auth_file.chmod(0o644)  # loosened by someone: tightened again, the value kept
    again = ensure_stack_secrets(get_settings())
    assert again.created == () and _mode(auth_file) == 0o600
    assert (key_file.read_text().strip(), auth_file.read_text().strip()) == (key, auth)
    assert again.auth_string.get_secret_value() == auth


def test_a_configured_value_wins_and_nothing_is_generated_for_it(fresh, monkeypatch):
    monkeypatch.setenv("CAREOPS_WEB__SECRET_KEY", OWN_KEY)
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", OWN_AUTH)
    get_settings.cache_clear()
    made = ensure_stack_secrets(get_settings())
    assert made.created == () and made.auth_file is None and made.web_key_file is None
    assert not (fresh / "web_secret_key").exists() and not (fresh / "prefect_auth_string").exists()
    assert web_secret_key(get_settings()) == OWN_KEY
    assert made.auth_string.get_secret_value() == OWN_AUTH
    # over files generated earlier, the configured values still win
    monkeypatch.delenv("CAREOPS_WEB__SECRET_KEY")
    monkeypatch.delenv("CAREOPS_PREFECT__AUTH_STRING")
    get_settings.cache_clear()
    ensure_stack_secrets(get_settings())
    monkeypatch.setenv("CAREOPS_WEB__SECRET_KEY", OWN_KEY)
    monkeypatch.setenv("CAREOPS_PREFECT__AUTH_STRING", OWN_AUTH)
    get_settings.cache_clear()
    assert web_secret_key(get_settings()) == OWN_KEY
    assert secrets.prefect_auth(get_settings()) == OWN_AUTH


@pytest.mark.parametrize("key", [SHIPPED, "short-key"])
def test_a_shipped_or_short_key_neither_signs_nor_verifies(fresh, monkeypatch, key):
    monkeypatch.setenv("CAREOPS_WEB__SECRET_KEY", key)
    get_settings.cache_clear()
    with pytest.raises(SecretProblem) as refused:
        web_secret_key(get_settings())
    line = str(refused.value)
    assert "web.secret_key" in line and "CAREOPS_WEB__SECRET_KEY" in line and "\n" not in line
    assert key not in line  # named, never shown
    signer = LinkSigner(key, "survey")
    with pytest.raises(SecretProblem):
        signer.make(1, "a@b.test")
    with pytest.raises(SecretProblem):
        signer.read("anything", 60)
    doctor = check_web_key(get_settings())
    assert doctor.status == Status.FAIL and "web.secret_key" in doctor.detail
    assert key not in doctor.detail


def test_a_key_in_the_repositorys_config_file_counts_as_shipped(fresh, monkeypatch, tmp_path):
    """Anything `[web] secret_key` in config/careops.toml of the repository is public."""
    repo_config = tmp_path / "careops.toml"
    repo_config.write_text(f'[web]\nsecret_key = "{OWN_KEY}"\n', encoding="utf-8")
    monkeypatch.setattr(secrets, "DEFAULT_CONFIG", repo_config)
    monkeypatch.setenv("CAREOPS_CONFIG", str(repo_config))
    get_settings.cache_clear()
    with pytest.raises(SecretProblem, match="ships in careops's source"):
        web_secret_key(get_settings())
    with pytest.raises(SecretProblem):  # `careops stack up` refuses to start with it
        ensure_stack_secrets(get_settings())


def test_the_doctor_check_passes_with_the_generated_key_and_names_only_its_file(fresh):
    ensure_stack_secrets(get_settings())
    row = check_web_key(get_settings())
    key = (fresh / "web_secret_key").read_text().strip()
    assert row.status == Status.OK and str(fresh / "web_secret_key") in row.detail
    assert key not in row.detail
    (fresh / "web_secret_key").unlink()
    missing = check_web_key(get_settings())
    assert missing.status == Status.FAIL and "careops stack up" in missing.detail


def test_careops_doctor_fails_on_the_shipped_key(fresh, monkeypatch, settings):
    from careops.cli.main import app

    monkeypatch.setenv("CAREOPS_WEB__SECRET_KEY", SHIPPED)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # no Prefect: fails too
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    import json

    rows = {row["name"]: row for row in json.loads(result.output)["checks"]}
    assert rows["web secret key"]["status"] == "fail", rows
    assert SHIPPED not in result.output


def test_signing_needs_no_key_until_a_link_is_made(fresh):
    """Services that never make a link (most case commands) work without any key."""
    from careops.services.cases.notices import CaseEnv

    env = CaseEnv.from_settings(get_settings())
    with pytest.raises(SecretProblem, match="does not exist"):
        env.opinion_url(1, "a@b.test")
    ensure_stack_secrets(get_settings())
    assert env.opinion_url(1, "a@b.test").startswith("http")
