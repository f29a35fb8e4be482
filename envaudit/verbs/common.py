"""What the verbs share: the scan options, a target's result, report names and judged reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit import defaults
from envaudit.errors import EnvauditError, InputError, UsageError
from envaudit.targets.base import ImageOptions

if TYPE_CHECKING:
    from envaudit.findings import Location, Report
    from envaudit.model import Snapshot
    from envaudit.probe.run import ProbeOptions
    from envaudit.targets import TargetSpec
    from envaudit.targets.ssh import SSHOptions

Progress = Callable[["TargetResult"], None]


@dataclass(frozen=True, slots=True)
class ScanOptions:
    project: Path | None = None  # None: the current folder, if it declares anything
    config_file: Path | None = None  # None: [tool.envaudit] of the project's pyproject.toml
    env_include: tuple[str, ...] = ()  # flags; they override the config
    env_exclude: tuple[str, ...] = ()
    timeout: float = defaults.TIMEOUT
    jobs: int = defaults.JOBS
    read_requirements: bool = True  # pin reads its own file and needs no project check
    progress: Progress | None = None  # told as each target finishes
    probe: ProbeOptions | None = None  # also run the behavioural probes in each live target
    allow_outside_includes: bool = False  # -r/-c may name files outside the project and its repository
    # Per kind of target: each target class reads its own part (see targets/base.py).
    ssh: SSHOptions | None = None  # None: the defaults (batch mode, strict host keys)
    image: ImageOptions = field(default_factory=ImageOptions)


@dataclass(frozen=True, slots=True)
class TargetResult:
    """One target's outcome: a snapshot, or the error that kept us from one. Never both."""

    spec: TargetSpec
    snapshot: Snapshot | None = None
    error: EnvauditError | None = None


@dataclass(frozen=True, slots=True)
class Judged:
    """A report, and the targets that could not be scanned (reported beside it, exit 3)."""

    report: Report
    failures: tuple[TargetResult, ...]


def read_targets_file(path: Path) -> list[str]:
    """Targets one per line; blank lines and ``#`` comments (whole-line or after a space) ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such targets file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None
    targets = []
    for line in text.splitlines():
        target = line.split(" #", 1)[0].strip()
        if target and not target.startswith("#"):
            targets.append(target)
    if not targets:
        raise InputError(str(path), "no targets in it")
    return targets


def labels(specs: Sequence[TargetSpec]) -> list[str]:
    """Report names: NAME of NAME=TARGET or the spelling, made unique with #2, #3..."""
    seen: dict[str, int] = {}
    out = []
    for spec in specs:
        seen[spec.name] = seen.get(spec.name, 0) + 1
        out.append(spec.name if seen[spec.name] == 1 else f"{spec.name}#{seen[spec.name]}")
    return out


def anchor(options: ScanOptions) -> Location | None:
    """Where findings without a location of their own are anchored (SARIF needs a file)."""
    from envaudit.findings import Location

    project = options.project or Path.cwd()
    for name in ("requirements.txt", "pyproject.toml"):
        if (project / name).is_file():
            return Location(name)
    return None


def with_reference(spellings: Sequence[str], baseline: str | None) -> tuple[list[str], int]:
    """The targets to scan and the index of the reference: ``baseline`` (one of the targets, or
    another, put first) or the first target."""
    spellings = list(spellings)
    if baseline is None:
        return spellings, 0
    if baseline not in spellings:
        spellings.insert(0, baseline)
    return spellings, spellings.index(baseline)


def output_paths(specs: Sequence[TargetSpec], output: Path) -> list[Path]:
    """Where ``scan -o OUTPUT`` saves each target's snapshot: a file for one target, else a folder."""
    if len(specs) == 1 and not output.is_dir():
        return [output]
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: several targets need a folder, and this is a file")
    names: list[Path] = []
    taken: set[str] = set()
    for spec in specs:
        stem = snapshot_file_stem(spec.name)
        candidate, n = stem, 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}", n + 1
        taken.add(candidate)
        names.append(output / f"{candidate}.json")
    return names


def snapshot_file_stem(spelling: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._-@" else "_" for c in spelling)
    return cleaned.strip("._") or "target"
