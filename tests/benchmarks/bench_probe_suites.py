"""Issue 19: the numpy and scikit-learn suites in their target, against importing the library there.

The candidate is the probe runner exactly as envaudit sends it (one script on stdin, ``python -I -``),
asked for one suite: the interpreter's start, the runner's own start, the library's import and every
case of the suite. The bar is on that, in the target, as the issue puts it; the whole command
(envaudit's own start and the scan beside the probes) is measured for scale.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.benchmarks.harness import Benchmark
from tests.support import recipes

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")


def _runner(suite: str) -> tuple[list[str], bytes]:
    from envaudit.probe.run import ProbeOptions, runner_args, runner_script

    options = ProbeOptions(suites=(suite,))
    return runner_args(options), runner_script(options).encode()


def benchmarks() -> list[Benchmark]:
    numpy_venv = recipes.numpy_venv("2.4")
    sklearn_venv = recipes.sklearn_venv("1.9")
    cwd = tempfile.mkdtemp(prefix="envaudit-bench-suites-")  # no project: nothing else to read
    out: list[Benchmark] = []
    for suite, venv, library, bar in (
        ("numpy", numpy_venv, "numpy", 1.5),
        ("sklearn", sklearn_venv, "sklearn", 2.0),
    ):
        args, script = _runner(suite)
        cases = sum(1 for _ in _cases(suite))
        out.append(
            Benchmark(
                issue=19,
                name=f"the {suite} suite in its target",
                candidate=[str(venv.python), "-I", "-", *args],
                stdin=script,
                baseline=[str(venv.python), "-c", f"import {library}"],
                bar=bar,
                description=f"the probe runner, --suite {suite} ({cases} cases), in {venv.path.name}",
                baseline_description=f'python -c "import {library}" there',
                cwd=cwd,
                rounds=15,
            )
        )
    out.append(
        Benchmark(
            issue=19,
            name="envaudit probe of two scikit-learn venvs, every suite they have (for scale)",
            candidate=[
                ENVAUDIT,
                "probe",
                f"python:{recipes.sklearn_venv('1.2').path}",
                f"python:{sklearn_venv.path}",
                "--format",
                "json",
                "--env-include",
                "NONE",
            ],
            baseline=[str(sklearn_venv.python), "-c", "import sklearn"],
            bar=None,
            description="envaudit probe SKLEARN-1.2 SKLEARN-1.9 (numpy and sklearn suites, both scans)",
            baseline_description='python -c "import sklearn" in scikit-learn 1.9',
            cwd=cwd,
            rounds=5,
        )
    )
    return out


def _cases(suite: str) -> list[str]:
    from envaudit.inprocess.probe_runner import CASES

    return [c.id for c in CASES if c.suite == suite]
