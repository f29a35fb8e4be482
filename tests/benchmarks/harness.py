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
    exit_codes: tuple[int, ...] = (0, 1)  # what the candidate may exit with (3: a dead host, on purpose)
    # Peak memory of one candidate run at most memory_bar x memory_base bytes (None: not measured).
    memory_bar: float | None = None
    memory_base: int | None = None
    memory_base_description: str = ""
    # A feature's cost: the candidate's median minus this command's (the same run without the
    # feature) is what is compared with the baseline (``bar``) or with ``added_bar`` seconds.
    without: Command | None = None
    without_description: str = ""
    added_bar: float | None = None


@dataclass(frozen=True)
class Outcome:
    benchmark: Benchmark
    candidate_s: float
    baseline_s: float
    peak_bytes: int | None = None
    without_s: float | None = None  # the same run without the feature measured (Benchmark.without)

    @property
    def added_s(self) -> float:
        """What the candidate costs: all of it, or beyond the run without the feature."""
        return self.candidate_s - (self.without_s or 0.0)

    @property
    def ratio(self) -> float:
        return self.added_s / self.baseline_s

    @property
    def memory_ratio(self) -> float | None:
        base = self.benchmark.memory_base
        return self.peak_bytes / base if self.peak_bytes is not None and base else None

    @property
    def ok(self) -> bool:
        b = self.benchmark
        fast = (b.bar is None or self.ratio <= b.bar) and (b.added_bar is None or self.added_s <= b.added_bar)
        small = b.memory_bar is None or (self.memory_ratio or 0) <= b.memory_bar
        return fast and small


def bench_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["ENVAUDIT_FINGERPRINT_KEY"] = "envaudit-bench-fingerprint-key-0123456789"
    return env


def _time(
    cmd: Command,
    env: Mapping[str, str],
    cwd: str | None,
    stdin: bytes | None,
    codes: tuple[int, ...] = (0, 1),
) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), env=dict(env), cwd=cwd, input=stdin, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in codes:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return elapsed


def run(benchmark: Benchmark, progress: Callable[[str], None] = print) -> Outcome:
    env = bench_environment()
    for _ in range(2):  # warm caches (page cache, .pyc files) for both
        _time(benchmark.baseline, env, benchmark.cwd, benchmark.stdin)
        _time(benchmark.candidate, env, benchmark.cwd, benchmark.stdin, benchmark.exit_codes)
    base: list[float] = []
    cand: list[float] = []
    without: list[float] = []
    for _ in range(benchmark.rounds):
        base.append(_time(benchmark.baseline, env, benchmark.cwd, benchmark.stdin))
        cand.append(_time(benchmark.candidate, env, benchmark.cwd, benchmark.stdin, benchmark.exit_codes))
        if benchmark.without is not None:  # interleaved, so load on the machine hits both alike
            without.append(
                _time(benchmark.without, env, benchmark.cwd, benchmark.stdin, benchmark.exit_codes)
            )
    peak = _peak(benchmark, env) if benchmark.memory_bar is not None else None
    outcome = Outcome(
        benchmark,
        statistics.median(cand),
        statistics.median(base),
        peak,
        statistics.median(without) if without else None,
    )
    added = (
        f" (adds {outcome.added_s * 1000:.0f} ms to {outcome.without_s * 1000:.0f} ms)"
        if outcome.without_s is not None
        else ""
    )
    bars = []
    if benchmark.bar is not None:
        bars.append(f"{benchmark.bar}x")
    if benchmark.added_bar is not None:
        bars.append(f"+{benchmark.added_bar:g} s")
    progress(
        f"#{benchmark.issue} {benchmark.name}: {outcome.candidate_s * 1000:.0f} ms{added} vs "
        f"{outcome.baseline_s * 1000:.0f} ms -> {outcome.ratio:.2f}x "
        + (f"(bar {', '.join(bars)}) {'ok' if outcome.ok else 'FAIL'}" if bars else "(informational)")
        + (
            f"; peak memory {outcome.peak_bytes / 2**20:.0f} MiB = {outcome.memory_ratio:.2f}x "
            f"{benchmark.memory_base_description} (bar {benchmark.memory_bar}x)"
            if outcome.peak_bytes is not None
            else ""
        )
    )
    return outcome


# Run in a fresh interpreter whose only child is the candidate: RUSAGE_CHILDREN is then its peak.
_PEAK = (
    "import resource, subprocess, sys; "
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _peak(benchmark: Benchmark, env: Mapping[str, str]) -> int:
    """The candidate's peak resident memory in bytes (Linux reports ru_maxrss in KiB)."""
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _PEAK, *benchmark.candidate],
        env=dict(env),
        cwd=benchmark.cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip()) * 1024
