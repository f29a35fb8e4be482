"""The scan command as a user meets it: exit codes, error lines, saved files, secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.support import recipes

pytestmark = pytest.mark.integration


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "bad.json: not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)",
        ),
        ('{"schema_version": 1}', "bad.json: not a valid snapshot: provenance: missing field"),
        ('{"schema_version": 7}', "bad.json: not a valid snapshot: schema_version: unknown schema version 7"),
        ("[1, 2]", "bad.json: not a valid snapshot: expected a JSON object"),
        (b"\xff\xfe".decode("latin-1"), "bad.json: not valid JSON"),
    ],
)
def test_malformed_snapshot_exits_2_with_one_clear_line(
    envaudit: Runner, tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = envaudit("scan", "bad.json")
    assert result.returncode == 2
    assert one_error_line(result.stderr).startswith(f"error: {message}")


def test_missing_snapshot_field_deep_inside(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.pinned()
    saved = tmp_path / "good.json"
    assert envaudit("scan", str(venv.path), "-o", str(saved), "--format", "json").returncode == 0
    data = json.loads(saved.read_text())
    del data["distributions"][2]["version"]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    result = envaudit("scan", "bad.json")
    assert result.returncode == 2
    assert (
        one_error_line(result.stderr)
        == "error: bad.json: not a valid snapshot: distributions[2].version: missing field"
    )


def test_saved_snapshot_round_trips_through_scan(envaudit: Runner, tmp_path: Path) -> None:
    venv = recipes.pinned()
    saved = tmp_path / "pinned.json"
    first = envaudit("scan", str(venv.path), "-o", str(saved), "--format", "json")
    again = envaudit("scan", str(saved), "--format", "json")
    assert again.returncode == 0
    assert json.loads(again.stdout) == json.loads(first.stdout) == json.loads(saved.read_text())


def test_malformed_requirements_file_names_file_and_line(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\npandas>=>1\n")
    result = envaudit("scan", str(recipes.pinned().path), "-o", str(tmp_path / "out.json"))
    assert result.returncode == 2
    assert one_error_line(result.stderr).startswith(
        "error: requirements.txt:2: invalid requirement 'pandas': "
    )
    assert not (tmp_path / "out.json").exists()


def test_bad_pyproject_and_bad_config(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.envaudit.env]\nexclude = "PATH"\n')
    result = envaudit("scan", str(recipes.pinned().path))
    assert result.returncode == 2
    assert one_error_line(result.stderr).endswith(
        "pyproject.toml: tool.envaudit.env.exclude: expected a list of strings"
    )
    (tmp_path / "pyproject.toml").write_text("[project\n")
    result = envaudit("scan", str(recipes.pinned().path))
    assert result.returncode == 2
    assert "pyproject.toml: TOML syntax error" in one_error_line(result.stderr)


@pytest.mark.parametrize(
    ("target", "code", "message"),
    [
        ("bogus", 2, "error: unknown target 'bogus'"),
        ("python:/no/such/python", 3, "error: python:/no/such/python: no such interpreter: /no/such/python"),
        ("./plain.txt", 3, "error: ./plain.txt: plain.txt is not executable"),
        ("./notpython", 3, "error: ./notpython: cannot run /"),
        ("./folder", 3, "error: ./folder: folder is a folder with no bin/python3 or bin/python in it"),
    ],
)
def test_unusable_targets(envaudit: Runner, tmp_path: Path, target: str, code: int, message: str) -> None:
    (tmp_path / "plain.txt").write_text("hello")
    (tmp_path / "notpython").write_bytes(b"\x00\x01 not a program")
    (tmp_path / "notpython").chmod(0o755)
    (tmp_path / "folder").mkdir()
    result = envaudit("scan", target)
    assert result.returncode == code
    line = one_error_line(result.stderr)
    # The OS's wording of a failed exec varies; what envaudit adds does not.
    assert line == message or (line.startswith(message) and line.endswith("(is it a Python interpreter?)"))


def test_one_bad_target_does_not_lose_the_others(envaudit: Runner, tmp_path: Path) -> None:
    good, other = recipes.pinned(), recipes.system_site()
    out = tmp_path / "snaps"
    result = envaudit(
        "scan", str(good.path), "python:/no/such/python", str(other.path), "-o", str(out), "--format", "json"
    )
    assert result.returncode == 3
    assert "python:/no/such/python" in result.stderr
    assert len(json.loads(result.stdout)) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{str(v.path).strip('/').replace('/', '_')}.json" for v in (good, other)
    )


SECRETS = {
    "GITHUB_TOKEN": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "DATABASE_URL": "postgres://app:hunter2hunter2@db.internal/prod",
    "MY_PASSWORD": "pw1",
    "OPAQUE_VALUE": "q8Z3vN1xT7pL0sK4mW9rB2cY6hJ5dF",
    "PIP_INDEX_URL": "https://ci:s3cr3t-idx@pypi.internal/simple",
}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_never_appear_in_output_or_saved_files(envaudit: Runner, tmp_path: Path, fmt: str) -> None:
    saved = tmp_path / "snap.json"
    result = envaudit("scan", str(recipes.pinned().path), "-o", str(saved), "--format", fmt, env=SECRETS)
    assert result.returncode == 0, result.stderr
    everything = result.stdout + result.stderr + saved.read_text()
    for name, secret in SECRETS.items():
        assert secret not in everything
        assert name in everything
    for fragment in ("hunter2hunter2", "s3cr3t-idx", "pw1"):
        assert fragment not in everything
    env = {v["name"]: v for v in json.loads(saved.read_text())["environment"]}
    assert env["PIP_INDEX_URL"]["value"] == "https://ci:****@pypi.internal/simple"
    assert env["PIP_INDEX_URL"]["relevant"] and env["PIP_INDEX_URL"]["redacted"]
    assert all(env[n]["fingerprint"].startswith("hmac-sha256:") for n in SECRETS)


def test_text_report_names_the_interpreter_and_loose_requirements(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\nattrs==1.0\n")
    venv = recipes.pinned()
    result = envaudit("scan", str(venv.path))
    assert result.returncode == 0
    out = result.stdout
    assert "interpreter" in out and str(venv.path) in out.replace("\n", "")
    assert "six" in out and "unpinned" in out
    assert "23.2.0 ✗" in out  # attrs==1.0 is violated by the installed 23.2.0
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith("summary: 5 distributions, 2 requirements (1 loose, 1 unsatisfied)")
    )
