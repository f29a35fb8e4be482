from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.envvars import EnvPolicy, FingerprintKey, capture, is_relevant, secret_by_name, secret_by_value

KEY = FingerprintKey.from_bytes(b"k" * 32)
TEAM = "a-team-key-shared-by-every-ci-job-0123"


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "DB_PASSWORD",
        "MYSQL_PASSWD",
        "OPENAI_API_KEY",
        "NPM_AUTH",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "ghtoken",
        "DBPASSWORD",
        "SENTRY_DSN",
        "PRIVATE_KEY",
    ],
)
def test_secret_names(name: str) -> None:
    assert secret_by_name(name)


@pytest.mark.parametrize(
    "name", ["PATH", "HOME", "AUTHOR", "SSH_AUTH_SOCK", "KEYBOARD_LAYOUT", "PIP_CERT", "PASSENGER"]
)
def test_not_secret_names(name: str) -> None:
    assert not secret_by_name(name)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("postgres://app:hunter2@db.internal:5432/prod", "url-password"),
        ("https://user:pa55@pypi.example/simple https://other.example/simple", "url-password"),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "token-prefix"),
        ("xoxb-123456789012-abcdefABCDEF", "token-prefix"),
        ("AKIAIOSFODNN7EXAMPLE", "token-prefix"),
        ("hf_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "token-prefix"),
        ("q8Z3vN1xT7pL0sK4mW9rB2cY6hJ5dF", "high-entropy"),
        ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "high-entropy"),
        ("https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/q8Z3vN1xT7pL0sK4mW9rB2cY", "high-entropy"),
        ("https://api.example.com/v1?token=q8Z3vN1xT7pL0sK4mW9rB2cY6h", "url-token"),
        ("https://blob.example.net/c/f?sv=2022&sig=abc123", "url-token"),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "high-entropy"),
        (
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=q8Z3vN1xT7pL0sK4mW9rB2cY6hJ5dF==",
            "connection-string",
        ),
    ],
)
def test_secret_values(value: str, reason: str) -> None:
    assert secret_by_value(value) == reason


@pytest.mark.parametrize(
    "value",
    [
        "/usr/local/bin:/usr/bin:/bin",
        "en_US.UTF-8",
        "https://pypi.org/simple",
        "1",
        "Europe/Berlin",
        "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
        "https://pypi.example.com/simple?page=2",
        "/opt/conda/envs/py311/lib/python3.11/site-packages",
        "https://github.com/pandas-dev/pandas/archive/refs/tags/v2.2.3.tar.gz",
        "/tmp/pytest-of-root/pytest-66/test_nothing_of_envaudit_s_own0/leak",
        "https://ci.example.com/builds/test_nothing_of_envaudit_s_own0/artifacts",
    ],
)
def test_ordinary_values(value: str) -> None:
    assert secret_by_value(value) is None


def test_capture_never_keeps_a_clear_secret_and_fingerprints_compare() -> None:
    env = {"API_TOKEN": "abc", "DATABASE_URL": "postgres://u:hunter2@db/x", "LANG": "C.UTF-8", "_": "/bin/sh"}
    captured = {v.name: v for v in capture(env, KEY, EnvPolicy())}
    assert "_" not in captured  # default exclude
    assert captured["API_TOKEN"].value is None and captured["API_TOKEN"].reason == "name"
    assert captured["DATABASE_URL"].value == "postgres://u:****@db/x"
    assert captured["LANG"].relevant and not captured["LANG"].redacted
    again = {v.name: v for v in capture({**env, "API_TOKEN": "abd"}, KEY, EnvPolicy())}
    assert again["DATABASE_URL"].fingerprint == captured["DATABASE_URL"].fingerprint
    assert again["API_TOKEN"].fingerprint != captured["API_TOKEN"].fingerprint
    assert "hunter2" not in repr(captured) and "abc" not in repr(captured["API_TOKEN"])


def test_fingerprints_are_keyed_so_short_secrets_cannot_be_guessed_without_the_key() -> None:
    other = FingerprintKey.from_bytes(b"o" * 32)
    assert KEY.fingerprint("PIN", "1234") != other.fingerprint("PIN", "1234")
    assert KEY.key_id != other.key_id


def test_policy_include_exclude_redact_allow() -> None:
    policy = EnvPolicy(
        include=("APP_*", "LANG"), exclude=("APP_DEBUG",), redact=("APP_INTERNAL",), allow=("APP_KEY_ID",)
    )
    env = {"APP_INTERNAL": "x", "APP_DEBUG": "1", "APP_KEY_ID": "public-id", "LANG": "C", "HOME": "/root"}
    captured = {v.name: v for v in capture(env, KEY, policy)}
    assert sorted(captured) == ["APP_INTERNAL", "APP_KEY_ID", "LANG"]
    assert captured["APP_INTERNAL"].redacted and captured["APP_INTERNAL"].reason == "configured"
    assert captured["APP_KEY_ID"].value == "public-id"


@pytest.mark.parametrize(
    "name",
    [
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "LD_LIBRARY_PATH",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "TZ",
        "LANG",
        "LC_ALL",
        "PIP_INDEX_URL",
    ],
)
def test_relevant(name: str) -> None:
    assert is_relevant(name)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    environ = {"XDG_CONFIG_HOME": str(tmp_path)}
    first = FingerprintKey.load(environ)
    path = tmp_path / "envaudit" / "fingerprint-key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert FingerprintKey.load(environ) == first
    shared = FingerprintKey.load({"ENVAUDIT_FINGERPRINT_KEY": TEAM, **environ})
    assert shared != first and shared == FingerprintKey.load({"ENVAUDIT_FINGERPRINT_KEY": TEAM})
