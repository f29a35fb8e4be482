"""Issues 2 and 13: scanning a 100+ distribution venv against ``pip list`` and ``uv pip list`` on it."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import recipes

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
UV = str(Path(sys.executable).parent / "uv")  # from the dev dependencies


def benchmarks() -> list[Benchmark]:
    venv = recipes.bench_100()
    count = len(venv.pip_list())
    empty = tempfile.mkdtemp(prefix="envaudit-bench-")  # no project files: a bare scan
    return [
        Benchmark(
            issue=2,
            name=f"scan of a {count}-distribution venv",
            candidate=[ENVAUDIT, "scan", f"python:{venv.python}", "--format", "json"],
            baseline=[str(venv.python), "-m", "pip", "list", "--format=json"],
            bar=0.25,
            description=f"envaudit scan python:VENV --format json ({count} distributions)",
            baseline_description="VENV/bin/python -m pip list --format=json",
            cwd=empty,
        ),
        Benchmark(
            issue=13,
            name=f"scan of a {count}-distribution venv against uv",
            candidate=[ENVAUDIT, "scan", f"python:{venv.python}", "--format", "json"],
            baseline=[UV, "pip", "list", "--python", str(venv.python), "--format", "json", "--quiet"],
            bar=4.0,
            description=f"envaudit scan python:VENV --format json ({count} distributions)",
            baseline_description="uv pip list --python VENV --format json",
            cwd=empty,
        ),
    ]
