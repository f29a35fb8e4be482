"""Issue 8: auditing a 100+ distribution venv against the full advisory database: a repeat run
(index cached) against the first run (index built from the records), in the same run."""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import recipes

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
SHARED_DB = Path(__file__).resolve().parents[3] / "shared" / "advisory-database"


def benchmarks() -> list[Benchmark]:
    if not SHARED_DB.is_dir():
        print(f"#8 audit benchmark skipped: no advisory database at {SHARED_DB}")
        return []
    venv = recipes.bench_100()
    count = len(venv.pip_list())
    work = Path(tempfile.mkdtemp(prefix="envaudit-bench-audit-"))
    audit = shlex.join(
        [ENVAUDIT, "audit", f"python:{venv.python}", "--advisory-db", str(SHARED_DB), "--format", "json"]
    )
    warm, cold = work / "warm-cache", work / "cold-cache"
    return [
        Benchmark(
            issue=8,
            name=f"audit of a {count}-distribution venv against the full advisory database",
            candidate=["sh", "-c", f"ENVAUDIT_CACHE_DIR={warm} {audit}"],
            baseline=["sh", "-c", f"rm -rf {cold} && ENVAUDIT_CACHE_DIR={cold} {audit}"],
            bar=0.3,
            description=f"envaudit audit python:VENV --advisory-db DB, index cached ({count} distributions)",
            baseline_description="the same, first run (index built from the records)",
            cwd=str(work),
            rounds=5,
        )
    ]
