"""``make bench``: every issue's performance bar, measured as a ratio against its baseline."""

from __future__ import annotations

import sys

from tests.benchmarks import (
    bench_audit,
    bench_diff,
    bench_fleet,
    bench_image,
    bench_imports_runtime,
    bench_lock,
    bench_os_packages,
    bench_probe,
    bench_probe_suites,
    bench_scan,
    bench_ssh,
)
from tests.benchmarks.harness import Outcome, run

SUITES = [
    bench_scan,
    bench_diff,
    bench_fleet,
    bench_ssh,
    bench_image,
    bench_probe,
    bench_probe_suites,
    bench_audit,
    bench_lock,
    bench_os_packages,
    bench_imports_runtime,
]


def main(argv: list[str]) -> int:
    wanted = set(argv)
    outcomes: list[Outcome] = []
    for suite in SUITES:
        for benchmark in suite.benchmarks():
            if wanted and not any(w in benchmark.name for w in wanted):
                continue
            outcomes.append(run(benchmark))
    print()
    print("| issue | benchmark | envaudit | baseline | ratio | bar |")
    print("|---|---|---|---|---|---|")
    for o in outcomes:
        b = o.benchmark
        measured = f"{o.candidate_s * 1000:.0f} ms"
        if o.without_s is not None:
            measured += (
                f" ({o.added_s * 1000:+.0f} ms on {b.without_description}: {o.without_s * 1000:.0f} ms)"
            )
        bar = " and ".join(
            x
            for x in (f"{b.bar}x" if b.bar is not None else "", f"+{b.added_bar:g} s" if b.added_bar else "")
            if x
        )
        print(
            f"| #{b.issue} | {b.description} | {measured} | {b.baseline_description}: "
            f"{o.baseline_s * 1000:.0f} ms | {o.ratio:.2f}x | {bar or '-'} |"
        )
    for o in outcomes:
        b = o.benchmark
        if o.peak_bytes is not None:
            print(
                f"\n#{b.issue} {b.name}: peak memory {o.peak_bytes / 2**20:.0f} MiB, {o.memory_ratio:.2f}x "
                f"{b.memory_base_description} (bar {b.memory_bar}x)"
            )
    failed = [o for o in outcomes if not o.ok]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
