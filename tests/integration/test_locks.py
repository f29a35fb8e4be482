"""Lock files against real environments: a venv synced from uv.lock by uv itself, then drifted."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.support.venvs import FIXTURES, base_python, cache_root, run

pytestmark = pytest.mark.integration
UV = Path(sys.executable).parent / "uv"


def uv(*args: str | Path, cwd: Path | None = None) -> None:
    cmd = [UV, *args] if cwd is None else [UV, "--directory", cwd, *args]
    run(cmd, extra_env={"UV_CACHE_DIR": str(cache_root() / "uv"), "UV_PYTHON_DOWNLOADS": "never"})


def synced(tmp_path: Path) -> tuple[Path, Path]:
    """The uv fixture project, and a venv ``uv sync --frozen`` made from its lock (the dev group too)."""
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "locks" / "uv", project)
    (project / "pylock.toml").unlink()  # one lock here: uv's
    venv = tmp_path / "venv"
    uv("venv", "--quiet", "--python", base_python(), venv)
    run(
        [UV, "sync", "--frozen", "--quiet", "--directory", project, "--python", venv / "bin" / "python"],
        extra_env={"UV_CACHE_DIR": str(cache_root() / "uv"), "UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    return project, venv


def lock_line(project: Path, name: str, version: str) -> int:
    """The line of the entry locking ``name`` at ``version`` (a fork locks some names twice)."""
    lines = (project / "uv.lock").read_text().splitlines()
    return next(
        i + 1
        for i, line in enumerate(lines)
        if line == f'name = "{name}"' and lines[i + 1] == f'version = "{version}"'
    )


def test_a_synced_venv_matches_its_lock_and_drift_is_named(envaudit: Runner, tmp_path: Path) -> None:
    project, venv = synced(tmp_path)
    scanned = envaudit("scan", str(venv), "--project", str(project), "--format", "json")
    assert scanned.returncode == 0, scanned.stderr
    locked = [r for r in json.loads(scanned.stdout)["requirements"] if r["kind"] == "locked"]
    attrs = next(r["installed_version"] for r in locked if r["name"] == "attrs")
    assert {r["name"] for r in locked} >= {"attrs", "idna", "iniconfig"}
    assert {r["status"] for r in locked if r["group"] is None} == {"satisfied"}

    clean = envaudit("gate", "--baseline", str(venv), "--target", str(venv), "--project", str(project))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "lock files: " in clean.stdout

    # Drift, the way it happens: a hand-installed package, a downgrade, and a removal.
    uv("pip", "install", "--quiet", "--python", venv / "bin" / "python", "attrs==23.1.0", "six==1.16.0")
    uv("pip", "uninstall", "--quiet", "--python", venv / "bin" / "python", "idna")
    gate = envaudit(
        "gate", "--baseline", str(venv), "--target", str(venv), "--project", str(project), "--format", "json"
    )
    assert gate.returncode == 1, gate.stdout + gate.stderr
    findings = {(f["rule"], f["subject"]): f for f in json.loads(gate.stdout)["findings"]}
    mismatch = findings[("EA410", "attrs")]
    assert mismatch["severity"] == "error"
    assert mismatch["location"] == {"path": "uv.lock", "line": lock_line(project, "attrs", attrs)}
    assert "attrs 23.1.0 is installed" in mismatch["message"]
    assert findings[("EA411", "idna")]["severity"] == "error"
    assert findings[("EA412", "six")]["severity"] == "warning"
    assert not [k for k in findings if k[0].startswith("EA41") and k[1] in ("iniconfig", "pip", "pysocks")]

    text = " ".join(envaudit("scan", str(venv), "--project", str(project)).stdout.split())
    assert "lock uv.lock (" in text and "1 other version, 1 missing, 1 not locked)" in text


def test_a_lock_is_a_diff_target_resolved_for_the_environment(envaudit: Runner, tmp_path: Path) -> None:
    project, venv = synced(tmp_path)
    same = envaudit("diff", str(project / "uv.lock"), str(venv), "--format", "json")
    assert same.returncode == 0, same.stdout + same.stderr
    report = json.loads(same.stdout)
    assert [f for f in report["findings"] if f["check"] == "distributions"] == []
    assert "resolved for the markers of" in report["environments"][0]["target"]

    gate = envaudit("gate", "--baseline", str(project / "uv.lock"), "--target", str(venv), cwd=tmp_path)
    assert gate.returncode == 0, gate.stdout + gate.stderr

    uv("pip", "install", "--quiet", "--python", venv / "bin" / "python", "attrs==23.1.0")
    failed = envaudit("gate", "--baseline", str(project / "uv.lock"), "--target", str(venv), cwd=tmp_path)
    assert failed.returncode == 1 and "EA108" in failed.stdout and "attrs" in failed.stdout
    drifted = envaudit("diff", str(project / "uv.lock"), str(venv), "--format", "json")
    assert drifted.returncode == 1
    found = {(f["rule"], f["subject"]) for f in json.loads(drifted.stdout)["findings"]}
    assert ("EA108", "attrs") in found  # a downgrade from what the lock says
    assert all(
        check == "distributions" for check in {f["check"] for f in json.loads(drifted.stdout)["findings"]}
    )


def test_hashed_requirements_installed_by_pip_match_as_a_lock(envaudit: Runner, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "locks" / "pip-compile", project)
    venv = tmp_path / "venv"
    run([base_python(), "-m", "venv", "--without-pip", venv])
    # pip's hash-checking mode: every line pinned and hashed, or pip refuses the file.
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--require-hashes",
            "-r",
            str(project / "requirements.txt"),
        ]
    )
    gate = envaudit("gate", "--baseline", str(venv), "--target", str(venv), "--project", str(project))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "lock files: " in gate.stdout


def test_a_bad_lock_fails_the_command_naming_it(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("version = 1\n[[package]]\nname = 'x y'\n")
    result = envaudit("scan", "local", "--project", str(tmp_path))
    assert result.returncode == 2
    assert (
        result.stderr.startswith("error: ")
        and "uv.lock" in result.stderr
        and "Traceback" not in result.stderr
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    missing = envaudit("diff", str(tmp_path / "nowhere" / "poetry.lock"), "local", cwd=elsewhere)
    assert (
        missing.returncode in (2, 3) and "poetry.lock" in missing.stderr and "Traceback" not in missing.stderr
    )
