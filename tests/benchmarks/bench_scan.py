"""Issue 2: scanning a 100+ distribution venv against ``pip list`` on the same venv."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import recipes

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")


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
        )
    ]
