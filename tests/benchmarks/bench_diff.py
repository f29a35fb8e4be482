"""Issue 3: diff of two saved 5,000-distribution snapshots against loading them with json.load."""

from __future__ import annotations

import dataclasses
import random
import sys
import tempfile
from pathlib import Path

from envaudit import snapshot_io
from envaudit.model import Distribution, MetadataFormat, Origin, OriginKind, Snapshot
from tests.benchmarks.harness import Benchmark
from tests.support.snapshots import snapshot

ENVAUDIT = str(Path(sys.executable).parent / "envaudit")
SIZE = 5000


def _dist(i: int, version: str) -> Distribution:
    name = f"package-{i:04d}"
    location = "/opt/venv/lib/python3.11/site-packages"
    return Distribution(
        name=name,
        version=version,
        canonical_name=name,
        location=location,
        metadata_path=f"{location}/{name.replace('-', '_')}-{version}.dist-info",
        metadata_format=MetadataFormat.DIST_INFO,
        installer="pip",
        origin=Origin(OriginKind.INDEX),
        requires_dist=(
            f"package-{(i + 1) % SIZE:04d}>=1.0",
            f"package-{(i + 7) % SIZE:04d}; extra == 'test'",
        ),
        requires_python=">=3.8",
    )


def make_pair(folder: Path) -> tuple[Path, Path]:
    """Two realistic snapshots: the second has 5% of its versions changed, some added and removed."""
    rng = random.Random(42)
    versions = [f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}" for _ in range(SIZE)]
    a = snapshot([_dist(i, v) for i, v in enumerate(versions)], target="a.json")
    changed = list(versions)
    for i in rng.sample(range(SIZE), SIZE // 20):
        major, minor, patch = (int(x) for x in changed[i].split("."))
        changed[i] = rng.choice(
            [f"{major + 1}.0.0", f"{major}.{minor + 1}.0", f"{major}.{minor}.{patch + 1}"]
        )
    dists = [_dist(i, v) for i, v in enumerate(changed)][10:] + [_dist(SIZE + i, "1.0.0") for i in range(10)]
    b: Snapshot = dataclasses.replace(snapshot(dists, target="b.json"))
    paths = folder / "a.json", folder / "b.json"
    snapshot_io.save(a, paths[0])
    snapshot_io.save(b, paths[1])
    return paths


def benchmarks() -> list[Benchmark]:
    folder = Path(tempfile.mkdtemp(prefix="envaudit-bench-diff-"))
    a, b = make_pair(folder)
    load_both = f"import json; json.load(open({str(a)!r})); json.load(open({str(b)!r}))"
    return [
        Benchmark(
            issue=3,
            name=f"diff of two saved {SIZE}-distribution snapshots ({fmt})",
            candidate=[ENVAUDIT, "diff", str(a), str(b), "--format", fmt],
            baseline=[sys.executable, "-c", load_both],
            bar=3.0,
            description=f"envaudit diff A.json B.json --format {fmt} ({SIZE} distributions each, 5% drift)",
            baseline_description="python -c 'json.load(A); json.load(B)'",
            cwd=str(folder),
            rounds=11,
        )
        for fmt in ("json", "text")
    ]
