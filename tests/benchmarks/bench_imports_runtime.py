"""Issue 18: what ``scan --project`` (the code's imports) and ``scan --runtime`` add to a scan.

The project is 2,000 real Python files (the standard library's and installed packages', at their
real sizes, 9.6 KB on average (19 MB): larger than most application code) and one pyproject.toml.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import recipes
from tests.support.venvs import cache_root

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
FILES = 2000


def project() -> Path:
    """2,000 .py files copied from real code, in packages of 50, beside a pyproject.toml."""
    folder = cache_root() / "bench-imports-2000"
    if (folder / "pyproject.toml").is_file():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    sources = sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py"))
    sources += sorted(Path(sysconfig.get_paths()["purelib"]).rglob("*.py"))
    for i, source in enumerate(sources[:FILES]):
        target = partial / "src" / f"pkg{i // 50:02d}" / f"mod{i:04d}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (partial / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "1"\ndependencies = ["pandas"]\n'
    )
    partial.replace(folder)
    return folder


def benchmarks() -> list[Benchmark]:
    venv = recipes.pandas_venv("2.2")
    folder = str(project())
    scan = [ENVAUDIT, "scan", f"python:{venv.python}", "--format", "json", "--project", folder]
    return [
        Benchmark(
            issue=18,
            name=f"scan --project of a {FILES}-file project: the imports' cost",
            candidate=scan,
            without=[*scan, "--no-imports"],
            without_description="the same scan --no-imports",
            baseline=[str(venv.python), "-c", "pass"],
            baseline_description="python -c pass (for scale)",
            bar=None,
            added_bar=1.0,
            description=f"envaudit scan VENV --project P ({FILES} .py files, 19 MB)",
            rounds=7,
        ),
        Benchmark(
            issue=18,
            name="scan --runtime: what the numerical runtime facts add",
            candidate=[*scan, "--no-imports", "--runtime"],
            without=[*scan, "--no-imports"],
            without_description="the same scan without --runtime",
            baseline=[str(venv.python), "-c", "import numpy"],
            baseline_description='python -c "import numpy"',
            bar=1.5,
            description="envaudit scan VENV --runtime (numpy 2.1 with OpenBLAS)",
        ),
    ]
