"""A fleet of saved snapshots shaped like a real one, for the fleet report's tests and benchmarks.

Every snapshot is a real scan (``template``) with its distributions brought to ``size`` (the real
ones first, then copies of them under new names), then drifted the way fleets drift: most hosts
identical to the reference, a few groups that moved together (a role upgraded pandas, a batch tier
on another Python), and some hosts each unlike any other. About 2% of (host, package) cells differ.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from pathlib import Path

from envaudit import snapshot_io
from envaudit.model import Distribution, Snapshot

ROLES = (("web", 0.6), ("worker", 0.3), ("batch", 0.1))


@dataclass(frozen=True)
class Fleet:
    paths: tuple[Path, ...]  # the reference first
    labels: tuple[str, ...]
    identical: frozenset[str]  # hosts whose package set is the reference's
    groups: tuple[tuple[str, ...], ...]  # hosts that moved together (package sets shared by several)
    unique: frozenset[str]  # hosts each unlike any other
    interpreters: dict[str, str]  # label -> Python version


def _renamed(template: Distribution, name: str) -> Distribution:
    return dataclasses.replace(
        template,
        name=name,
        canonical_name=name,
        metadata_path=f"{template.location}/{name.replace('-', '_')}-{template.version}.dist-info",
    )


def _bumped(version: str, rng: random.Random) -> str:
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]] + [0, 0, 0]
    major, minor, patch = parts[:3]
    return rng.choice([f"{major + 1}.0.0", f"{major}.{minor + 1}.0", f"{major}.{minor}.{patch + 1}"])


def _moved(d: Distribution, changes: dict[str, str | None]) -> Distribution:
    version = changes.get(d.canonical_name)
    return d if version is None else dataclasses.replace(d, version=version)


def labels_for(count: int) -> list[str]:
    width = len(str(count))
    out: list[str] = []
    for role, share in ROLES:
        many = round(count * share) if role != ROLES[-1][0] else count - len(out)
        out += [f"{role}-{i:0{width}d}" for i in range(1, many + 1)]
    return out


def make(folder: Path, template: Snapshot, count: int = 1000, size: int = 115, seed: int = 7) -> Fleet:
    rng = random.Random(seed)
    real = sorted(template.distributions, key=lambda d: d.canonical_name)
    base = list(real[:size])
    while len(base) < size:
        source = real[len(base) % len(real)]
        base.append(_renamed(source, f"{source.canonical_name}-{len(base):03d}"))
    names = [d.canonical_name for d in base]
    labels = labels_for(count)
    web = [x for x in labels if x.startswith("web-")]
    workers = [x for x in labels if x.startswith("worker-")]
    batch = [x for x in labels if x.startswith("batch-")]
    # The groups: each moved some packages together; the batch tier also runs another Python.
    moves = {
        "web-tail": (web[-len(web) // 10 :], rng.sample(names, 2)),
        "workers-a": (workers[: len(workers) // 2], rng.sample(names, 3)),
        "workers-b": (workers[len(workers) // 2 : len(workers) * 3 // 4], rng.sample(names, 3)),
        "batch": (batch, rng.sample(names, 2)),
    }
    bumped = {pkg: _bumped(d.version, rng) for d in base for pkg in [d.canonical_name]}
    changes: dict[str, dict[str, str | None]] = {label: {} for label in labels}
    for members, packages in moves.values():
        for label in members:
            changes[label].update({p: bumped[p] for p in packages})
    grouped = {label for members, _ in moves.values() for label in members}
    candidates = [x for x in labels[1:] if x not in grouped]
    unique = rng.sample(candidates, max(1, count * 9 // 100))
    for label in unique:  # each far from the rest in its own way: some packages changed, one gone
        picked = rng.sample(names, rng.randint(5, 30))
        changes[label].update({p: _bumped(bumped[p], rng) + f".post{rng.randint(1, 10**6)}" for p in picked})
        changes[label][rng.choice(names)] = None
    python12 = dataclasses.replace(template.interpreter, version="3.12.8")
    paths: list[Path] = []
    for label in labels:
        mine = changes[label]
        dists = tuple(
            _moved(d, mine) for d in base if not (d.canonical_name in mine and mine[d.canonical_name] is None)
        )
        snapshot = dataclasses.replace(
            template,
            distributions=dists,
            interpreter=python12 if label in batch else template.interpreter,
            provenance=dataclasses.replace(template.provenance, target=f"ssh:{label}"),
        )
        path = folder / f"{label}.json"
        snapshot_io.save(snapshot, path)
        paths.append(path)
    return Fleet(
        paths=tuple(paths),
        labels=tuple(labels),
        identical=frozenset(x for x in labels if not changes[x]),
        groups=tuple(tuple(members) for members, _ in moves.values()),
        unique=frozenset(unique),
        interpreters={x: ("3.12.8" if x in batch else template.interpreter.version) for x in labels},
    )
