"""Library verbs. Everything here takes parsed arguments and returns data; only the CLI prints."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from envaudit import snapshot_io
from envaudit.envvars import EnvPolicy, FingerprintKey
from envaudit.errors import EnvauditError, UsageError
from envaudit.model import Snapshot
from envaudit.requirements import check_all, has_declarations, read_project
from envaudit.scan import ScanContext, build_snapshot, parse_scanner_output, scanner_script
from envaudit.targets import TargetKind, TargetSpec, parse_target
from envaudit.targets.local import resolve_interpreter, run_script

DEFAULT_TIMEOUT = 120.0
DEFAULT_JOBS = 4


@dataclass(frozen=True, slots=True)
class ScanOptions:
    project: Path | None = None  # None: the current folder, if it declares anything
    env_policy: EnvPolicy = EnvPolicy()
    timeout: float = DEFAULT_TIMEOUT
    jobs: int = DEFAULT_JOBS


@dataclass(frozen=True, slots=True)
class TargetResult:
    """One target's outcome: a snapshot, or the error that kept us from one. Never both."""

    spec: TargetSpec
    snapshot: Snapshot | None = None
    error: EnvauditError | None = None


def prepare(options: ScanOptions) -> ScanContext:
    """Read declared requirements once for all targets; a bad file fails here, before any scan."""
    project = options.project if options.project is not None else Path.cwd()
    if options.project is not None and not project.is_dir():
        raise UsageError(f"--project {project}: not a folder")
    requirements, issues = read_project(project) if has_declarations(project) else ((), ())
    return ScanContext(
        key=FingerprintKey.load(),
        env_policy=options.env_policy,
        requirements=requirements,
        requirement_issues=issues,
        project=str(project.resolve()) if requirements or issues else None,
    )


def scan_one(spec: TargetSpec, context: ScanContext, options: ScanOptions, environ: Mapping[str, str]) -> Snapshot:
    match spec.kind:
        case TargetKind.SNAPSHOT:
            snapshot = snapshot_io.load(Path(spec.location))
            if options.project is not None:  # asked explicitly: check the saved environment against it
                snapshot = replace(
                    snapshot,
                    requirements=check_all(
                        context.requirements, snapshot.distributions, dict(snapshot.interpreter.markers)
                    ),
                )
            return snapshot
        case TargetKind.LOCAL | TargetKind.PYTHON:
            interpreter = resolve_interpreter(spec, environ)
            stdout = run_script(
                interpreter, scanner_script(), [], target=spec.spelling, timeout=options.timeout, environ=environ
            )
            raw = parse_scanner_output(stdout, spec.spelling)
            # A local interpreter runs in the user's own environment, so that is the one to record.
            return build_snapshot(
                raw, target=spec.spelling, target_kind=spec.kind.value, requested=interpreter,
                environ=environ, context=context,
            )
        case TargetKind.DOCKER | TargetKind.DOCKER_ARCHIVE | TargetKind.OCI | TargetKind.OCI_ARCHIVE | TargetKind.SSH:
            raise UsageError(f"{spec.spelling}: {spec.kind.value} targets are not supported by this version yet")


def scan(
    spellings: Sequence[str],
    options: ScanOptions,
    *,
    on_done: Callable[[TargetResult], None] | None = None,
) -> list[TargetResult]:
    """Scan every target concurrently (bounded by ``options.jobs``); results in the order given."""
    specs = [parse_target(s) for s in spellings]  # a misspelt target fails before any work starts
    context = prepare(options)
    environ = dict(os.environ)

    def one(spec: TargetSpec) -> TargetResult:
        try:
            result = TargetResult(spec, snapshot=scan_one(spec, context, options, environ))
        except EnvauditError as exc:
            result = TargetResult(spec, error=exc)
        if on_done is not None:
            on_done(result)
        return result

    if len(specs) == 1:
        return [one(specs[0])]
    with ThreadPoolExecutor(max_workers=max(1, min(options.jobs, len(specs)))) as pool:
        return list(pool.map(one, specs))


def output_paths(specs: Sequence[TargetSpec], output: Path) -> list[Path]:
    """Where ``scan -o OUTPUT`` saves each target's snapshot: a file for one target, else a folder."""
    if len(specs) == 1 and not output.is_dir():
        return [output]
    if output.exists() and not output.is_dir():
        raise UsageError(f"-o {output}: several targets need a folder, and this is a file")
    names: list[Path] = []
    taken: set[str] = set()
    for spec in specs:
        stem = snapshot_file_stem(spec.spelling)
        candidate, n = stem, 2
        while candidate in taken:
            candidate, n = f"{stem}-{n}", n + 1
        taken.add(candidate)
        names.append(output / f"{candidate}.json")
    return names


def snapshot_file_stem(spelling: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "._-@" else "_" for c in spelling)
    return cleaned.strip("._") or "target"


def scan_options(
    *,
    project: Path | None,
    config_file: Path | None,
    env_include: Sequence[str] | None,
    env_exclude: Sequence[str] | None,
    timeout: float,
    jobs: int,
) -> ScanOptions:
    """ScanOptions from flags and ``[tool.envaudit]``; flags override the config."""
    from envaudit import config as config_module

    cfg = config_module.load(config_file, project if project is not None else Path.cwd())
    policy = cfg.env
    if env_include:
        policy = replace(policy, include=tuple(env_include))
    if env_exclude:
        policy = replace(policy, exclude=policy.exclude + tuple(env_exclude))
    return ScanOptions(project=project, env_policy=policy, timeout=timeout, jobs=jobs)
