"""Whole-process timings, each against its baseline measured in the same run, interleaved.

Timing noise on a shared VM is large (tens of percent between identical runs), so every benchmark
warms up both commands, then alternates baseline and candidate runs and compares medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Command = Sequence[str]


@dataclass(frozen=True)
class Benchmark:
    issue: int
    name: str
    candidate: Command
    baseline: Command
    bar: float | None  # the candidate's median may be at most bar x the baseline's; None: informational
    description: str
    baseline_description: str
    cwd: str | None = None
    stdin: bytes | None = None
    rounds: int = 15


@dataclass(frozen=True)
class Outcome:
    benchmark: Benchmark
    candidate_s: float
    baseline_s: float

    @property
    def ratio(self) -> float:
        return self.candidate_s / self.baseline_s

    @property
    def ok(self) -> bool:
        return self.benchmark.bar is None or self.ratio <= self.benchmark.bar


def bench_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["ENVAUDIT_FINGERPRINT_KEY"] = "envaudit-bench-fingerprint-key-0123456789"
    return env


def _time(cmd: Command, env: Mapping[str, str], cwd: str | None, stdin: bytes | None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=dict(env), cwd=cwd, input=stdin, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return elapsed


def run(benchmark: Benchmark, progress: Callable[[str], None] = print) -> Outcome:
    env = bench_environment()
    for _ in range(2):  # warm caches (page cache, .pyc files) for both
        _time(benchmark.baseline, env, benchmark.cwd, benchmark.stdin)
        _time(benchmark.candidate, env, benchmark.cwd, benchmark.stdin)
    base: list[float] = []
    cand: list[float] = []
    for _ in range(benchmark.rounds):
        base.append(_time(benchmark.baseline, env, benchmark.cwd, benchmark.stdin))
        cand.append(_time(benchmark.candidate, env, benchmark.cwd, benchmark.stdin))
    outcome = Outcome(benchmark, statistics.median(cand), statistics.median(base))
    progress(
        f"#{benchmark.issue} {benchmark.name}: {outcome.candidate_s * 1000:.0f} ms vs "
        f"{outcome.baseline_s * 1000:.0f} ms -> {outcome.ratio:.2f}x "
        + (
            f"(bar {benchmark.bar}x) {'ok' if outcome.ok else 'FAIL'}"
            if benchmark.bar is not None
            else "(informational)"
        )
    )
    return outcome
