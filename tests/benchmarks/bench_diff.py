"""Issue 3: diff of two saved 5,000-distribution snapshots against loading them with json.load."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from envaudit import snapshot_io
from envaudit.model import Distribution, Snapshot
from tests.benchmarks.harness import Benchmark
from tests.support import recipes

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
SIZE = 5000


def _scaled(template: Distribution, i: int, version: str) -> Distribution:
    name = f"{template.canonical_name}-{i:04d}"
    return dataclasses.replace(
        template,
        name=name,
        canonical_name=name,
        version=version,
        metadata_path=f"{template.location}/{name.replace('-', '_')}-{version}.dist-info",
    )


def make_pair(folder: Path, real: Snapshot) -> tuple[Path, Path]:
    """Two snapshots shaped like real ones: the real distributions of ``real`` scaled up to SIZE
    (their Requires-Dist lists, origins and paths); the second with 5% of versions changed and some
    distributions added and removed."""
    rng = random.Random(42)
    templates = real.distributions
    versions = [f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}" for _ in range(SIZE)]
    a = dataclasses.replace(
        real,
        distributions=tuple(_scaled(templates[i % len(templates)], i, v) for i, v in enumerate(versions)),
    )
    changed = list(versions)
    for i in rng.sample(range(SIZE), SIZE // 20):
        major, minor, patch = (int(x) for x in changed[i].split("."))
        changed[i] = rng.choice(
            [f"{major + 1}.0.0", f"{major}.{minor + 1}.0", f"{major}.{minor}.{patch + 1}"]
        )
    dists = [_scaled(templates[i % len(templates)], i, v) for i, v in enumerate(changed)][10:]
    dists += [_scaled(templates[i % len(templates)], SIZE + i, "1.0.0") for i in range(10)]
    b = dataclasses.replace(real, distributions=tuple(dists))
    paths = folder / "a.json", folder / "b.json"
    snapshot_io.save(a, paths[0])
    snapshot_io.save(b, paths[1])
    return paths


def benchmarks() -> list[Benchmark]:
    folder = Path(tempfile.mkdtemp(prefix="envaudit-bench-diff-"))
    venv = recipes.bench_100()
    subprocess.run(
        [ENVAUDIT, "scan", f"python:{venv.python}", "--format", "json", "-o", str(folder / "real.json")],
        capture_output=True,
        check=True,
        cwd=folder,
    )
    a, b = make_pair(folder, snapshot_io.load(folder / "real.json"))
    load_both = f"import json; json.load(open({str(a)!r})); json.load(open({str(b)!r}))"
    return [
        Benchmark(
            issue=3,
            name=f"diff of two saved {SIZE}-distribution snapshots ({fmt})",
            candidate=[ENVAUDIT, "diff", str(a), str(b), "--format", fmt],
            baseline=[sys.executable, "-c", load_both],
            bar=3.0,
            description=f"envaudit diff A.json B.json --format {fmt} ({SIZE} real-shaped dists, 5% drift)",
            baseline_description="python -c 'json.load(A); json.load(B)'",
            cwd=str(folder),
            rounds=21,
        )
        for fmt in ("json", "text")
    ]
