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
    from envaudit.findings import Finding, Location, Report
    from envaudit.model import Snapshot
    from envaudit.probe.run import ProbeOptions
    from envaudit.targets import TargetSpec
    from envaudit.targets.ssh import SSHOptions

Progress = Callable[["TargetResult"], None]
Started = Callable[["TargetSpec"], None]


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
    started: Started | None = None  # told as each target starts (live progress names the slowest)
    probe: ProbeOptions | None = None  # also run the behavioural probes in each live target
    allow_outside_includes: bool = False  # -r/-c may name files outside the project and its repository
    repo_root: Path | None = None  # reports' paths are relative to it (default: the git work tree)
    # Per kind of target: each target class reads its own part (see targets/base.py).
    ssh: SSHOptions | None = None  # None: the defaults (batch mode, strict host keys)
    image: ImageOptions = field(default_factory=ImageOptions)
    # None: as [tool.envaudit.scan] says; imports are also read whenever --project is given.
    runtime: bool | None = None  # numerical runtime facts (BLAS, threads, CPU, time zones, locale)
    imports: bool | None = None  # the project's imports against each environment


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


ANCHORS = ("requirements.txt", "pyproject.toml", "setup.cfg", "setup.py", "Pipfile")


def anchor(options: ScanOptions) -> Location | None:
    """Where findings without a location of their own are anchored (SARIF needs a file): the
    project's main declaration, else any requirements file it has."""
    from envaudit.findings import Location
    from envaudit.project import requirement_files

    project = options.project or Path.cwd()
    for name in ANCHORS:
        if (project / name).is_file():
            return Location(name)
    files = requirement_files(project)
    return Location(files[0].relative_to(project).as_posix()) if files else None


def with_probe_locations(report: Report, probe: ProbeOptions | None, options: ScanOptions) -> Report:
    """User-probe findings located at the probe function's ``def`` line (relative to the project),
    so a code-scanning alert points at the code whose results changed."""
    if probe is None or not probe.user:
        return report
    import os
    from dataclasses import replace

    from envaudit.findings import Location

    project = (options.project or Path.cwd()).resolve()
    where = {
        spec.name: Location(Path(os.path.relpath(spec.file.resolve(), project)).as_posix(), spec.line)
        for spec in probe.user
    }

    def placed(f: Finding) -> Finding:
        if f.check != "probes" or f.location is not None:
            return f
        location = where.get(f.subject.partition("(")[0])
        return f if location is None else replace(f, location=location)

    return replace(report, findings=tuple(placed(f) for f in report.findings))


def located(report: Report, options: ScanOptions) -> Report:
    """The report with its anchor and the project's place in the repository (for SARIF's paths)."""
    from dataclasses import replace

    from envaudit.project import repository_root

    project = (options.project or Path.cwd()).resolve()
    # The root: --repo-root, else the git work tree holding the project, else the project itself.
    root = options.repo_root.resolve() if options.repo_root else repository_root(project) or project
    try:
        base = project.relative_to(root).as_posix()
    except ValueError:  # a --repo-root that does not hold the project: paths stay the project's
        base = ""
    return replace(report, anchor=anchor(options), base="" if base == "." else base)


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
