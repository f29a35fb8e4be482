"""Issue 6: the whole canonical probe suite in one environment, against importing pandas there."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support.recipes import pandas_venv

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")


def benchmarks() -> list[Benchmark]:
    venv = pandas_venv("3.0")
    others = [pandas_venv(line) for line in ("1.5", "2.2", "3.1")]
    cwd = tempfile.mkdtemp(prefix="envaudit-bench-probe-")  # no project: nothing else to read
    common = ["--probe", "--format", "json", "--env-include", "NONE"]
    return [
        Benchmark(
            issue=6,
            name="canonical probe suite in one environment",
            candidate=[ENVAUDIT, "scan", f"python:{venv.path}", *common],
            baseline=[str(venv.python), "-c", "import pandas"],
            bar=2.0,
            description="envaudit scan python:VENV --probe (pandas 3.0, whole suite, with the scan)",
            baseline_description='python -c "import pandas" in that venv',
            cwd=cwd,
            rounds=11,
        ),
        Benchmark(
            issue=6,
            name="probe suite in four environments at once",
            candidate=[ENVAUDIT, "scan", *(f"python:{v.path}" for v in (venv, *others)), *common],
            baseline=[ENVAUDIT, "scan", f"python:{venv.path}", *common],
            bar=None,
            description="the same in 4 venvs (pandas 1.5, 2.2, 3.0, 3.1), --jobs 4",
            baseline_description="one venv",
            cwd=cwd,
            rounds=7,
        ),
    ]
