"""Issue 15: reading a 300-package uv.lock and checking an environment against it, against
``uv pip list --format json`` of the same environment plus ``tomllib`` loading the same lock."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import recipes
from tests.support.venvs import cache_root, run

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
UV = str(Path(sys.executable).parent / "uv")
# Everything in the bench venv and a few large stacks: uv resolves ~300 packages for every platform.
STACKS = ("jupyterlab", "sphinx", "boto3", "scikit-learn", "matplotlib", "dask[complete]", "fastapi[all]")
MORE = ("apache-beam", "mlflow", "ray[default]", "prefect")


def locked_project() -> Path:
    """A project whose uv.lock uv wrote (once, into the test cache) for the bench venv's packages."""
    venv = recipes.bench_100()
    deps = [*sorted(n for n in venv.pip_list() if n not in ("pip", "setuptools", "wheel")), *STACKS, *MORE]
    pyproject = (
        '[project]\nname = "bench-lock"\nversion = "0"\nrequires-python = ">=3.11"\ndependencies = [\n'
        + "".join(f'  "{d}",\n' for d in deps)
        + "]\n[tool.uv]\npackage = false\n"
    )
    folder = cache_root() / "bench-lock" / hashlib.sha256(pyproject.encode()).hexdigest()[:16]
    if not (folder / "uv.lock").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pyproject.toml").write_text(pyproject)
        run(
            [UV, "lock", "--quiet", "--directory", folder],
            extra_env={"UV_CACHE_DIR": str(cache_root() / "uv")},
        )
    return folder


def benchmarks() -> list[Benchmark]:
    venv = recipes.bench_100()
    project = locked_project()
    lock = project / "uv.lock"
    packages = lock.read_text().count("\n[[package]]\n") + lock.read_text().startswith("[[package]]")
    load = f"import tomllib; tomllib.load(open({str(lock)!r}, 'rb'))"
    return [
        Benchmark(
            issue=15,
            name=f"scan checked against a {packages}-package uv.lock",
            candidate=[
                ENVAUDIT,
                "scan",
                f"python:{venv.python}",
                "--project",
                str(project),
                "--format",
                "json",
            ],
            baseline=[
                "sh",
                "-c",
                f'"{UV}" pip list --python "{venv.python}" --format json --quiet'
                f' && "{sys.executable}" -c "{load}"',
            ],
            bar=3.0,
            description=f"envaudit scan python:VENV --project DIR --format json ({packages}-package uv.lock)",
            baseline_description="uv pip list --python VENV --format json + tomllib.load(uv.lock)",
        ),
    ]
