"""Real venvs for the tests, built once and cached under $ENVAUDIT_TEST_CACHE.

A venv's cache key is a hash of its recipe, so changing a recipe builds a fresh one. Building is
guarded by a lock file so parallel test processes never build the same venv twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


def cache_root() -> Path:
    root = Path(os.environ.get("ENVAUDIT_TEST_CACHE") or Path.home() / ".cache" / "envaudit-tests")
    root.mkdir(parents=True, exist_ok=True)
    return root


def base_python() -> str:
    """The interpreter our own .venv was made from: test venvs must not nest inside .venv."""
    return getattr(sys, "_base_executable", None) or sys.executable


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(
    cmd: Sequence[str | Path], extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**clean_env(), **(extra_env or {})}
    proc = subprocess.run([str(c) for c in cmd], text=True, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        return next((self.path / "lib").glob("python3*/site-packages"))

    def pip(self, *args: str) -> subprocess.CompletedProcess[str]:
        # Our own pip drives the target venv (--python), so venvs made without pip need no pip of their own.
        return run([sys.executable, "-m", "pip", "--python", str(self.python), *args])

    def pip_list(self) -> dict[str, str]:
        out = self.pip("list", "--format=json").stdout
        from packaging.utils import canonicalize_name

        return {canonicalize_name(d["name"]): d["version"] for d in json.loads(out)}


@dataclass(frozen=True)
class Recipe:
    name: str
    packages: tuple[str, ...] = ()
    with_pip: bool = False
    system_site_packages: bool = False
    # Extra steps as (description, function); the description is part of the cache key.
    steps: tuple[tuple[str, Callable[[Venv], None]], ...] = field(default=())
    version: int = 1  # bump to rebuild when a step's code changes

    def key(self) -> str:
        data = json.dumps(
            [
                self.name,
                self.packages,
                self.with_pip,
                self.system_site_packages,
                [s[0] for s in self.steps],
                self.version,
                base_python(),
            ]
        )
        return hashlib.sha256(data.encode()).hexdigest()[:12]


def build(recipe: Recipe) -> Venv:
    root = cache_root() / "venvs"
    root.mkdir(exist_ok=True)
    target = root / f"{recipe.name}-{recipe.key()}"
    done = target / ".envaudit-test-complete"
    if done.exists():
        return Venv(target)
    with open(root / f".{recipe.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return Venv(target)
        shutil.rmtree(target, ignore_errors=True)
        cmd: list[str | Path] = [base_python(), "-m", "venv", target]
        if not recipe.with_pip:
            cmd.append("--without-pip")
        if recipe.system_site_packages:
            cmd.append("--system-site-packages")
        run(cmd)
        venv = Venv(target)
        if recipe.packages:
            venv.pip("install", "--quiet", "--only-binary=:all:", *recipe.packages)
        for _, step in recipe.steps:
            step(venv)
        done.write_text("ok\n")
    return venv
