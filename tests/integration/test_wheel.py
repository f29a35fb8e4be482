"""The distribution a user installs: a wheel built from this repository installs into a fresh venv
(never the unrelated "envaudit" of the package index) and every command runs from it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import recipes

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def run(*argv: str | Path, cwd: Path | None = None, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "ENVAUDIT_FINGERPRINT_KEY": "envaudit-tests-fingerprint-key-0123456789"}
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, cwd=cwd, env=env, check=False, timeout=600
    )
    assert result.returncode == code, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``bin/`` of a fresh venv with the wheel built from this checkout installed in it."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(REPO)],
        capture_output=True,
        check=True,
        timeout=600,
    )
    (wheel,) = (work / "dist").glob("envaudit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for needed in ("envaudit/inprocess/scanner.py", "envaudit/inprocess/metadata.py", "envaudit/py.typed"):
        assert needed in names, f"{needed} missing from {wheel.name}"
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    pip = work / "venv" / "bin" / "pip"
    run(pip, "install", "--quiet", "-c", REPO / "constraints.txt", wheel)
    return work / "venv" / "bin"


def test_every_command_runs_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    envaudit = installed / "envaudit"
    assert run(envaudit, "--version").stdout.startswith("envaudit ")
    base, drift = recipes.pinned(), recipes.drifted()
    run(envaudit, "scan", f"python:{base.path}", "-o", tmp_path / "base.json", cwd=tmp_path)
    run(envaudit, "scan", f"python:{drift.path}", "-o", tmp_path / "drift.json", cwd=tmp_path)
    diff = json.loads(
        run(envaudit, "diff", "base.json", "drift.json", "--format", "json", cwd=tmp_path, code=1).stdout
    )
    assert diff["findings"]
    run(
        envaudit,
        "gate",
        "--baseline",
        "base.json",
        "--target",
        "drift.json",
        "--format",
        "sarif",
        cwd=tmp_path,
        code=1,
    )
    advisories = REPO / "fixtures" / "advisories"
    run(envaudit, "audit", "base.json", "--advisory-db", advisories, cwd=tmp_path)
    assert "canonical probe suite" in run(envaudit, "probe", "--list-cases").stdout
    (tmp_path / "requirements.txt").write_text("attrs\n")
    assert "attrs==" in run(envaudit, "pin", "requirements.txt", "--from", "base.json", cwd=tmp_path).stdout
