"""A fleet at a glance: which environments share what, which stand out, and how each package splits.

Computed once with the diff of three or more environments (``diff.diff``) and kept whole in the
report, so JSON has every member of every group; the text, Markdown and HTML formats show it in
the space a person reads (host names compressed into ranges by ``hostlist``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envaudit.hostlist import natural_key

if TYPE_CHECKING:
    from envaudit.findings import Labelled, MatrixRow
    from envaudit.model import Snapshot


@dataclass(frozen=True, slots=True)
class Cohort:
    """Environments that share one fact: an interpreter, a platform, an image."""

    value: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PackageSet:
    """Environments with exactly the same installed versions, and how those differ from the reference's."""

    members: tuple[str, ...]
    differs: tuple[str, ...]  # "pandas 3.0.6 (reference 2.2.3)"


@dataclass(frozen=True, slots=True)
class Outlier:
    """An environment that differs from the consensus, and in what."""

    label: str
    distance: int  # how many facts differ: packages, interpreter, platform
    differs: tuple[str, ...]  # "pandas 1.5.3 (consensus 2.2.3)", "python cpython 3.12.8 (consensus ...)"


@dataclass(frozen=True, slots=True)
class Fleet:
    size: int
    identical: tuple[str, ...]  # the environments with the reference's package set, the reference first
    groups: tuple[PackageSet, ...]  # package sets two or more share, not the reference's; largest first
    unique: tuple[str, ...]  # environments whose package set no other has
    interpreters: tuple[Cohort, ...]  # most common first
    platforms: tuple[Cohort, ...]
    images: tuple[Cohort, ...]  # only environments read from an image
    outliers: tuple[Outlier, ...]  # every environment off the consensus, farthest first


def interpreter_of(snapshot: Snapshot) -> str:
    i = snapshot.interpreter
    return f"{i.implementation} {i.version}"


def platform_of(snapshot: Snapshot) -> str:
    i = snapshot.interpreter
    return " ".join(part for part in (i.os, i.machine, i.libc, i.libc_version) if part) or "unknown"


def image_of(snapshot: Snapshot) -> str | None:
    image = snapshot.image
    if image is None:
        return None
    return image.repo_tags[0] if image.repo_tags else image.id[:19] or image.reference


def _cohorts(labels: Sequence[str], values: Sequence[str | None]) -> tuple[Cohort, ...]:
    members: dict[str, list[str]] = defaultdict(list)
    for label, value in zip(labels, values, strict=True):
        if value is not None:
            members[value].append(label)
    ordered = sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return tuple(Cohort(value, tuple(group)) for value, group in ordered)


def _consensus(values: Sequence[str], reference: int = 0) -> str:
    """The most common value; a tie goes to the reference's, as the package matrix's does."""
    counts = Counter(values)
    top = max(counts.values())
    return (
        values[reference] if counts[values[reference]] == top else next(v for v in values if counts[v] == top)
    )


def summarise(items: Sequence[Labelled], rows: Sequence[MatrixRow]) -> Fleet:
    """The fleet of ``items`` (the reference first), given its package matrix ``rows``."""
    labels = [item.label for item in items]
    # A package set is an environment's column of the matrix: the rows hold every package that differs.
    columns: list[tuple[str | None, ...]] = (
        list(zip(*(row.versions for row in rows), strict=True)) if rows else [()] * len(items)
    )
    by_set: dict[tuple[str | None, ...], list[str]] = defaultdict(list)
    for label, column in zip(labels, columns, strict=True):
        by_set[column].append(label)
    reference = columns[0]
    groups = [
        PackageSet(tuple(members), _against(column, reference, rows, "reference"))
        for column, members in by_set.items()
        if column != reference and len(members) > 1
    ]
    groups.sort(key=lambda g: (-len(g.members), natural_key(g.members[0])))
    unique = tuple(m[0] for column, m in by_set.items() if column != reference and len(m) == 1)

    snapshots = [item.snapshot for item in items]
    interpreters = [interpreter_of(s) for s in snapshots]
    platforms = [platform_of(s) for s in snapshots]
    usual_python, usual_platform = _consensus(interpreters), _consensus(platforms)
    consensus = tuple(row.consensus for row in rows)
    outliers: list[Outlier] = []
    for i, (label, column) in enumerate(zip(labels, columns, strict=True)):
        differs = list(_against(column, consensus, rows, "consensus"))
        if interpreters[i] != usual_python:
            differs.insert(0, f"python {interpreters[i]} (consensus {usual_python})")
        if platforms[i] != usual_platform:
            differs.insert(0, f"platform {platforms[i]} (consensus {usual_platform})")
        if differs:
            outliers.append(Outlier(label, len(differs), tuple(differs)))
    outliers.sort(key=lambda o: (-o.distance, natural_key(o.label)))
    return Fleet(
        size=len(items),
        identical=tuple(by_set[reference]),
        groups=tuple(groups),
        unique=tuple(sorted(unique, key=natural_key)),
        interpreters=_cohorts(labels, interpreters),
        platforms=_cohorts(labels, platforms),
        images=_cohorts(labels, [image_of(s) for s in snapshots]),
        outliers=tuple(outliers),
    )


def _against(
    column: tuple[str | None, ...], base: tuple[str | None, ...], rows: Sequence[MatrixRow], what: str
) -> tuple[str, ...]:
    return tuple(
        f"{row.package} {mine or 'absent'} ({what} {theirs or 'absent'})"
        for row, mine, theirs in zip(rows, column, base, strict=True)
        if mine != theirs
    )


def split(row: MatrixRow, labels: Sequence[str]) -> list[tuple[str | None, list[str]]]:
    """A package's versions across the fleet, the consensus first, then by how many have each."""
    members: dict[str | None, list[str]] = defaultdict(list)
    for label, version in zip(labels, row.versions, strict=True):
        members[version].append(label)
    return sorted(
        members.items(), key=lambda kv: (kv[0] != row.consensus, -len(kv[1]), kv[0] is None, kv[0] or "")
    )
