"""``pin``: exact pins for a requirements file from the environment known to work."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit.verbs.common import ScanOptions, labels
from envaudit.verbs.fanout import scan

if TYPE_CHECKING:
    from envaudit.pin import Plan
    from envaudit.pylock import Locked


@dataclass(frozen=True, slots=True)
class Pinned:
    plan: Plan
    reference: str
    constraints: str | None  # the constraints file's text, when asked for


def pin(
    file: Path,
    options: ScanOptions,
    *,
    reference: str,
    against: str | None = None,
    with_constraints: bool = False,
) -> Pinned:
    """Exact pins for ``file`` from the environment known to work (only what drifts, with ``against``)."""
    from envaudit import pin as pinning
    from envaudit.requirements import read_file

    # Bad input fails before anything is scanned.
    requirements, files = read_file(file, allow_outside=options.allow_outside_includes)
    spellings = [reference] if against is None else [reference, against]
    results = scan(spellings, replace(options, read_requirements=False))
    snapshots = []
    for result in results:
        if result.snapshot is None:
            assert result.error is not None
            raise result.error
        snapshots.append(result.snapshot)
    names = labels([r.spec for r in results])
    plan = pinning.plan(
        file,
        requirements,
        files,
        snapshots[0],
        reference_label=names[0],
        against=snapshots[1] if against is not None else None,
        against_label=names[1] if against is not None else None,
    )
    text = pinning.constraints(snapshots[0], names[0]) if with_constraints else None
    return Pinned(plan, names[0], text)


def lock(options: ScanOptions, *, reference: str, index: str) -> tuple[Locked, str]:
    """A PEP 751 lock of the environment known to work, and what reports call it."""
    from envaudit.pylock import lock_of

    (result,) = scan([reference], replace(options, read_requirements=False))
    if result.snapshot is None:
        assert result.error is not None
        raise result.error
    (name,) = labels([result.spec])
    return lock_of(result.snapshot, label=name, index=index, jobs=max(options.jobs, 8)), name
