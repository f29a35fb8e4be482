"""The envaudit-gate hook under real pre-commit, on a project with a .venv: ``local`` is the
project's environment, not the hook's own venv that pre-commit activates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.support import recipes

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
pytestmark = pytest.mark.integration


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def app(tmp_path: Path, envaudit: Runner) -> Path:
    """A git repository of an application: its .venv, a committed baseline, the hook configured."""
    app = tmp_path / "app"
    app.mkdir()
    git("init", "-q", cwd=app)
    (app / ".venv").symlink_to(recipes.pinned().path)
    assert envaudit("scan", f"python:{recipes.pinned().path}", "-o", str(app / "prod.json")).returncode == 0
    (app / "pyproject.toml").write_text('[tool.envaudit.gate]\nbaseline = "prod.json"\ntarget = "local"\n')
    git("add", "pyproject.toml", "prod.json", cwd=app)
    return app


def hook(app: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # try-repo makes a new hook venv on every run: kept with the test, not in a cache that would grow.
    env["PRE_COMMIT_HOME"] = str(app.parent / "pre-commit-home")
    env["ENVAUDIT_FINGERPRINT_KEY"] = "envaudit-tests-fingerprint-key-0123456789"
    return subprocess.run(
        # try-repo: the hook as this checkout defines it, uncommitted changes included (pre-commit
        # snapshots the work tree), installed into pre-commit's own venv for it.
        [
            str(PRE_COMMIT),
            "try-repo",
            str(REPO),
            "envaudit-gate",
            "--all-files",
            "--hook-stage",
            "manual",
            "--verbose",
        ],
        cwd=app,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )


def test_the_gate_hook_checks_the_project_s_venv(app: Path) -> None:
    passed = hook(app)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "the project's .venv" in passed.stdout  # the report says which environment, and why
    (app / ".venv").unlink()
    (app / ".venv").symlink_to(recipes.drifted().path)
    failed = hook(app)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "attrs" in failed.stdout  # the app's drift, not envaudit's own packages
    assert "pip-audit" not in failed.stdout and "docker" not in failed.stdout
