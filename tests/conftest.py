from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENVAUDIT = Path(sys.executable).parent / "envaudit"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[..., Result]


@pytest.fixture
def envaudit(tmp_path: Path) -> Runner:
    """Run the installed ``envaudit`` console script as a whole process, the way users do."""

    def run(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Result:
        base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        # A fixed fingerprint key keeps runs comparable and keeps the user's key file out of tests.
        base["ENVAUDIT_FINGERPRINT_KEY"] = "envaudit-tests-fingerprint-key-0123456789"
        proc = subprocess.run(
            [str(ENVAUDIT), *args],
            capture_output=True,
            text=True,
            env={**base, **(env or {})},
            cwd=cwd or tmp_path,
            check=False,
            timeout=300,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip on a developer machine without the component; under CI a missing component fails."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)
