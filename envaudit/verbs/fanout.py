"""Scanning many targets at once: bounded concurrency, early launch, results in the order given.

A bad config or requirements file fails the whole command (exit 2) before any result is reported;
a target that cannot be scanned fails only its own result. After an error or Ctrl-C nothing is
left running: every kind of target met is told to abandon what it started.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit.errors import EnvauditError, UsageError
from envaudit.project import declares_requirements, may_configure
from envaudit.targets import parse_target
from envaudit.targets.base import Started, Target, TargetOptions
from envaudit.targets.registry import target_class
from envaudit.verbs.common import ScanOptions, TargetResult

if TYPE_CHECKING:
    from envaudit.codeimports import ProjectImports
    from envaudit.envvars import EnvPolicy
    from envaudit.model import Snapshot
    from envaudit.probe.run import ProbeOptions
    from envaudit.scan import ScanContext


def env_policy(options: ScanOptions) -> EnvPolicy:
    """The redaction policy: ``[tool.envaudit.env]`` of the config, overridden by flags."""
    from envaudit.envvars import EnvPolicy

    project = options.project or Path.cwd()
    if may_configure(options.config_file, project):
        from envaudit import config

        policy = config.load(options.config_file, project).env
    else:
        policy = EnvPolicy()
    if options.env_include:
        policy = replace(policy, include=options.env_include)
    if options.env_exclude:
        policy = replace(policy, exclude=policy.exclude + options.env_exclude)
    return policy


def collected(options: ScanOptions, *, images_only: bool, saved_only: bool) -> ScanOptions:
    """``runtime`` and ``imports`` decided: the flags, else ``[tool.envaudit.scan]``; imports are
    read whenever --project names a folder here (with images only it names one inside them; saved
    snapshots keep the imports they were saved with)."""
    if saved_only:
        return replace(options, runtime=False, imports=False)
    if options.runtime is not None and options.imports is not None:
        return options
    project = options.project or Path.cwd()
    scan_config = None
    if may_configure(options.config_file, project):
        from envaudit import config

        scan_config = config.load(options.config_file, project).scan
    runtime = options.runtime
    if runtime is None:
        runtime = scan_config.runtime if scan_config is not None else False
    imports = options.imports
    if imports is None:
        explicit = options.project is not None and not images_only
        imports = explicit or (scan_config.imports if scan_config is not None else False)
    return replace(options, runtime=runtime, imports=imports and not images_only)


def project_imports(options: ScanOptions, project: Path) -> ProjectImports:
    """What the project's code imports, read once for all targets."""
    from envaudit.codeimports import ImportConfig, read_imports

    import_config = ImportConfig()
    if may_configure(options.config_file, project):
        from envaudit import config

        import_config = config.load(options.config_file, project).imports
    return read_imports(project.resolve(), import_config)


def prepare(options: ScanOptions, *, images_only: bool = False) -> ScanContext:
    """Config, redaction key and declared requirements, read once for all targets. With only image
    targets, ``--project`` names a folder inside the images, read there (``image_snapshot``)."""
    from envaudit.envvars import FingerprintKey
    from envaudit.scan import ScanContext

    if images_only and options.project is not None:
        options = replace(options, project=None, read_requirements=False)
    project = options.project if options.project is not None else Path.cwd()
    if options.project is not None and not project.is_dir():
        raise UsageError(
            f"--project {project}: not a folder",
            tip="with image targets only, --project names a folder inside the image",
        )
    policy = env_policy(options)
    declared = None
    if options.read_requirements and declares_requirements(project):
        from envaudit.requirements import read_project

        declared = read_project(project, allow_outside=options.allow_outside_includes)
    return ScanContext(
        key=FingerprintKey.load(),
        env_policy=policy,
        requirements=declared.requirements if declared else (),
        requirement_issues=declared.issues if declared else (),
        locks=declared.locks if declared else (),
        project=str(project.resolve())
        if declared and (declared.requirements or declared.issues or declared.locks)
        else None,
        imports=project_imports(options, project) if options.imports else None,
    )


def target_options(options: ScanOptions, *, images_only: bool) -> TargetOptions:
    """``--project`` names a folder inside the images when every target is an image; with other
    targets beside them it is a folder here, read once for all (``prepare``)."""
    in_image = options.project.as_posix() if options.project is not None and images_only else None
    return TargetOptions(
        modules=bool(options.imports),
        runtime=bool(options.runtime),
        timeout=options.timeout,
        ssh=options.ssh,
        image=replace(options.image, project=in_image),
        recheck_requirements=options.project is not None,
        project=options.project or Path.cwd(),
    )


def collect(
    target: Target, started: Started | None, context: ScanContext | None, probe: ProbeOptions | None
) -> Snapshot:
    """The target's snapshot, with its probe results when asked (``scan --probe``, ``probe``)."""
    if probe is None or target.is_saved:  # saved snapshots carry the probes they were saved with
        return target.snapshot(started, context)
    from envaudit.probe import run as probing

    # The probes (pandas' import above all) take longest: started first, they run beside the scan.
    probes = target.start_probes(probing.runner_script(probe), probing.runner_args(probe))
    try:
        snapshot = target.snapshot(started, context)
        return replace(snapshot, probes=probing.finish(probes, target.spec.spelling))
    finally:
        probes.kill()


def scan(spellings: Sequence[str], options: ScanOptions) -> list[TargetResult]:
    """Scan every target concurrently (bounded by ``options.jobs``); results in the order given."""
    specs = [parse_target(s) for s in spellings]  # a misspelt target fails before any work starts
    classes = [target_class(spec.kind) for spec in specs]
    if options.probe is not None and not all(cls.is_saved for cls in classes):
        from envaudit.probe.run import runner_script

        runner_script(options.probe)  # the user's files read once, now: bad input fails the command
    environ: Mapping[str, str] = dict(os.environ)
    images_only = all(cls.is_image for cls in classes)
    options = collected(options, images_only=images_only, saved_only=all(cls.is_saved for cls in classes))
    shared = target_options(options, images_only=images_only)
    targets = [cls(spec, shared, environ) for cls, spec in zip(classes, specs, strict=True)]
    early: dict[int, Started | EnvauditError] = {}
    try:
        # Launch the first process targets now: their start-up overlaps our imports and config reading.
        early.update(launch_early(targets[: options.jobs]))
        # Saved snapshots need no key, config or requirements unless asked to be re-checked (--project).
        live = not all(cls.is_saved for cls in classes)
        context = prepare(options, images_only=images_only) if live or options.project is not None else None

        def one(index: int, peer: Snapshot | None = None) -> TargetResult:
            target = targets[index]
            started = early.pop(index, None)
            if options.started is not None:
                options.started(target.spec)
            try:
                if isinstance(started, EnvauditError):
                    raise started
                if target.is_declaration:
                    snapshot = target.resolved(peer, context)
                else:
                    snapshot = collect(target, started, context, options.probe)
                result = TargetResult(target.spec, snapshot=snapshot)
            except EnvauditError as exc:
                result = TargetResult(target.spec, error=exc)
            if options.progress is not None:
                options.progress(result)
            return result

        results = _scan_environments(targets, one, options.jobs, classes)
        # Declarations (lock files) last: each is resolved for the first environment scanned beside it.
        peer = next((r.snapshot for r in results if r is not None and r.snapshot is not None), None)
        return [r if r is not None else one(i, peer) for i, r in enumerate(results)]
    except BaseException:  # an error or Ctrl-C in this thread: leave no child and no container behind
        abandon(classes)
        raise
    finally:
        for leftover in early.values():  # launched but never collected (an error): reaped here
            if not isinstance(leftover, EnvauditError):
                leftover.kill()
        for cls in dict.fromkeys(classes):  # shared SSH connections closed, whatever happened
            cls.release_all()


def _scan_environments(
    targets: Sequence[Target],
    one: Callable[[int], TargetResult],
    jobs: int,
    classes: Sequence[type[Target]],
) -> list[TargetResult | None]:
    """Every target but the declarations (None in their place), in the order given."""
    # Targets that wait on another process go to a thread pool; saved snapshots are pure CPU work
    # (a large json.loads holds the GIL), so they load here, meanwhile, rather than in threads.
    scanned = [i for i, target in enumerate(targets) if not target.is_declaration]
    waiting = [i for i in scanned if not targets[i].is_saved]
    if len(waiting) <= 1:
        done = {i: one(i) for i in scanned}
        return [done.get(i) for i in range(len(targets))]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(waiting)))) as pool:
        try:
            futures = {i: pool.submit(one, i) for i in waiting}
            done = {i: one(i) for i in scanned if i not in futures}
            return [futures[i].result() if i in futures else done.get(i) for i in range(len(targets))]
        except BaseException:  # Ctrl-C: the workers must not go on starting or waiting for targets
            pool.shutdown(wait=False, cancel_futures=True)
            abandon(classes)
            raise


def launch_early(targets: Sequence[Target]) -> dict[int, Started | EnvauditError]:
    """Start the targets that run a process; a target that cannot start keeps its error for later."""
    early: dict[int, Started | EnvauditError] = {}
    for index, target in enumerate(targets):
        if not target.runs_process:
            continue
        try:
            started = target.launch()
        except EnvauditError as exc:
            early[index] = exc
        else:
            if started is not None:
                early[index] = started
    return early


def abandon(classes: Sequence[type[Target]]) -> None:
    """Stop what still runs for the targets (after an error or Ctrl-C): no child, no container left."""
    for cls in dict.fromkeys(classes):
        cls.abandon_all()
