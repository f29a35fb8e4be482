"""How an environment stands against each lock file of its project, from its snapshot alone.

A scan records, for each lock, what the lock installs under the environment's markers (requirements
of kind ``locked`` with their status). This module groups them per lock and adds what only the
installed side can tell: the distributions the lock does not account for, each with the installed
distribution that pulls it in, if any. Reports and findings (scan, diff, gate) all read it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from envaudit import names
from envaudit.dependents import ReverseDependencies
from envaudit.model import Distribution, Requirement, RequirementKind, RequirementStatus, Snapshot

# What every environment holds that no lock lists: the installer and its build seeds (pip-compile
# and uv leave them out of locks too unless asked). Reported only when a lock names them.
SEEDS = frozenset({"pip", "setuptools", "wheel", "distribute"})


@dataclass(frozen=True, slots=True)
class Unlocked:
    distribution: Distribution
    pulled_in_by: str | None = None  # an installed distribution that requires it
    parent_locked: bool = False  # ... and that the lock does list


@dataclass(frozen=True, slots=True)
class LockState:
    source: str  # the lock file, as reports show it
    entries: tuple[Requirement, ...]  # what it installs here, with status
    unlocked: tuple[Unlocked, ...]

    @property
    def mismatched(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.entries if r.status is RequirementStatus.WRONG_VERSION)

    @property
    def missing(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.entries if r.status is RequirementStatus.MISSING)

    @property
    def matching(self) -> int:
        return sum(r.status is RequirementStatus.SATISFIED for r in self.entries)


def lock_states(snapshot: Snapshot) -> tuple[LockState, ...]:
    by_source: dict[str, list[Requirement]] = {}
    for r in snapshot.requirements:
        if r.kind is RequirementKind.LOCKED:
            by_source.setdefault(r.source, []).append(r)
    return tuple(
        LockState(source, tuple(entries), _unlocked(snapshot, entries))
        for source, entries in by_source.items()
    )


def _unlocked(snapshot: Snapshot, entries: list[Requirement]) -> tuple[Unlocked, ...]:
    locked = {r.canonical_name for r in entries}
    unlocked = [d for d in snapshot.distributions if d.canonical_name not in locked | SEEDS]
    dependents = ReverseDependencies(snapshot, frozenset(d.canonical_name for d in unlocked))
    out = []
    for dist in unlocked:
        parent = next(iter(dependents.of(dist.canonical_name)), None)
        out.append(Unlocked(dist, parent, names.canonical(parent) in locked if parent else False))
    return tuple(out)
