"""Library verbs. Everything here takes parsed arguments and returns data; only the CLI prints.

Start-up time matters (envaudit runs before every deploy, often many times in CI), so this module
imports little at the top: local targets are launched first, and the heavier modules (the model,
redaction, requirements) are imported while the targets' interpreters start up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit.errors import EnvauditError, InputError, TargetError, UsageError
from envaudit.project import declares_requirements
from envaudit.targets import TargetKind, TargetSpec, parse_target

if TYPE_CHECKING:
    import datetime as dt

    from envaudit.config import ConfigReader
    from envaudit.envvars import EnvPolicy
    from envaudit.findings import Finding, Location, Report
    from envaudit.model import Image, Issue, Requirement, Snapshot
    from envaudit.pin import Plan
    from envaudit.probe.run import ProbeOptions
    from envaudit.scan import ScanContext
    from envaudit.targets.runner import ScriptRun
    from envaudit.targets.ssh import SSHOptions

Progress = Callable[["TargetResult"], None]
DEFAULT_TIMEOUT = 120.0
DEFAULT_JOBS = 4
MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: beyond it a time limit is no limit, and clocks overflow
PROCESS_KINDS = (TargetKind.LOCAL, TargetKind.PYTHON, TargetKind.SSH)  # run the scanner in a child process


@dataclass(frozen=True, slots=True)
class ScanOptions:
    project: Path | None = None  # None: the current folder, if it declares anything
    config_file: Path | None = None  # None: [tool.envaudit] of the project's pyproject.toml
    env_include: tuple[str, ...] = ()  # flags; they override the config
    env_exclude: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    jobs: int = DEFAULT_JOBS
    read_requirements: bool = True  # pin reads its own file and needs no project check
    ssh: SSHOptions | None = None  # None: the defaults (batch mode, strict host keys)
    progress: Progress | None = None  # told as each target finishes
    platform: str | None = None  # images: OS/ARCH[/VARIANT] to pick from a multi-platform index
    python: str | None = None  # images: the interpreter to scan (default: the image's own, see interpreters)
    static: bool = False  # docker:IMAGE: read the image's files through the engine instead of running it
    probe: ProbeOptions | None = None  # also run the behavioural probes in each live target
    project_in_image: bool = False  # set by scan(): only image targets, so --project is a folder in them
    allow_outside_includes: bool = False  # -r/-c may name files outside the project and its repository


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


@dataclass(frozen=True, slots=True)
class TargetResult:
    """One target's outcome: a snapshot, or the error that kept us from one. Never both."""

    spec: TargetSpec
    snapshot: Snapshot | None = None
    error: EnvauditError | None = None


def env_policy(options: ScanOptions) -> EnvPolicy:
    """The redaction policy: ``[tool.envaudit.env]`` of the config, overridden by flags."""
    from envaudit import config as config_module

    cfg = config_module.load(options.config_file, options.project or Path.cwd())
    policy = cfg.env
    if options.env_include:
        policy = replace(policy, include=options.env_include)
    if options.env_exclude:
        policy = replace(policy, exclude=policy.exclude + options.env_exclude)
    return policy


def prepare(options: ScanOptions, *, images_only: bool = False) -> ScanContext:
    """Config, redaction key and declared requirements, read once for all targets. With only image
    targets, ``--project`` names a folder inside the images, read there (see ``_image_snapshot``)."""
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
    requirements: tuple[Requirement, ...] = ()
    issues: tuple[Issue, ...] = ()
    if options.read_requirements and declares_requirements(project):
        from envaudit.requirements import read_project

        requirements, issues = read_project(project, allow_outside=options.allow_outside_includes)
    return ScanContext(
        key=FingerprintKey.load(),
        env_policy=policy,
        requirements=requirements,
        requirement_issues=issues,
        project=str(project.resolve()) if requirements or issues else None,
    )


def launch(spec: TargetSpec, options: ScanOptions, environ: Mapping[str, str]) -> ScriptRun:
    """Start the scanner in a local or remote target; the result is collected by ``finish``."""
    from envaudit.scan import scanner_script

    if spec.kind is TargetKind.SSH:
        from envaudit.targets import ssh

        return ssh.start_scanner(
            spec, scanner_script(), options.ssh or ssh.SSHOptions(), timeout=options.timeout, environ=environ
        )
    from envaudit.targets.local import resolve_interpreter, start_scanner

    interpreter = resolve_interpreter(spec, environ)
    return start_scanner(
        interpreter, scanner_script(), [], target=spec.spelling, timeout=options.timeout, environ=environ
    )


def finish(
    spec: TargetSpec,
    run: ScriptRun | None,
    context: ScanContext | None,
    options: ScanOptions,
    environ: Mapping[str, str],
) -> Snapshot:
    """The target's snapshot, with its probe results when asked (``scan --probe``, ``probe``)."""
    if options.probe is None or spec.kind is TargetKind.SNAPSHOT:
        return _finish_scan(spec, run, context, options, environ)
    from envaudit.probe import run as probing

    if options.static and spec.kind is TargetKind.DOCKER:
        raise TargetError(
            spec.spelling, "--static runs no code in the image, so it cannot be probed", tip="drop --static"
        )
    # The probes (pandas' import above all) take longest: started first, they run beside the scan.
    started = probing.start(
        spec,
        probing.runner_script(options.probe),
        options.probe,
        python=options.python,
        ssh=options.ssh,
        timeout=options.timeout,
        environ=environ,
    )
    try:
        snapshot = _finish_scan(spec, run, context, options, environ)
        return replace(snapshot, probes=probing.finish(started, spec.spelling))
    finally:
        started.kill()


def _finish_scan(
    spec: TargetSpec,
    run: ScriptRun | None,
    context: ScanContext | None,
    options: ScanOptions,
    environ: Mapping[str, str],
) -> Snapshot:
    match spec.kind:
        case TargetKind.SNAPSHOT:
            from envaudit import snapshot_io

            snapshot = snapshot_io.load(Path(spec.location))
            if context is not None and options.project is not None:  # asked: re-check against the project
                from envaudit.requirements import check_all

                snapshot = replace(
                    snapshot,
                    requirements=check_all(
                        context.requirements, snapshot.distributions, dict(snapshot.interpreter.markers)
                    ),
                )
            return snapshot
        case TargetKind.LOCAL | TargetKind.PYTHON | TargetKind.SSH:
            from envaudit.scan import build_snapshot, parse_scanner_output

            assert context is not None  # prepared whenever a live target is scanned
            run = run if run is not None else launch(spec, options, environ)
            raw = parse_scanner_output(run.result(), spec.spelling)
            # A local interpreter runs in the user's own environment, so that is the one to record;
            # a remote host reports its own.
            recorded = raw.get("environ") if spec.kind is TargetKind.SSH else environ
            return build_snapshot(
                raw,
                target=spec.spelling,
                target_kind=spec.kind.value,
                requested=run.requested,
                environ=recorded if isinstance(recorded, dict) else {},
                context=context,
            )
        case TargetKind.DOCKER_ARCHIVE | TargetKind.OCI | TargetKind.OCI_ARCHIVE:
            from envaudit.targets import image

            assert context is not None
            project = image_project(options)
            with _static_read(spec, options.timeout):
                raw, record = image.scan_image(
                    spec, platform=options.platform, python=options.python, project=project
                )
            # The image's own Env is what its containers start with: recorded, redacted like any other.
            return _image_snapshot(
                spec,
                raw,
                record=record,
                requested=str(raw["interpreter"]["executable"]),
                environ=raw["environ"],
                context=context,
                project=project,
            )
        case TargetKind.DOCKER:
            from envaudit.scan import parse_scanner_output, scanner_script
            from envaudit.targets import docker as engine

            assert context is not None
            project = image_project(options)
            if options.static:
                from envaudit.targets import image

                stream, attrs = engine.export(spec)
                with stream, _static_read(spec, options.timeout):
                    raw, _ = image.scan_saved_stream(
                        spec.spelling, stream, python=options.python, project=project
                    )
                record, requested = (
                    engine.image_record(spec, attrs, "static"),
                    str(raw["interpreter"]["executable"]),
                )
            else:
                engine_run, attrs = engine.start_scanner(
                    spec, scanner_script(), python=options.python, project=project, timeout=options.timeout
                )
                raw = parse_scanner_output(engine_run.result(), spec.spelling)
                record, requested = engine.image_record(spec, attrs, "engine"), engine_run.requested
            return _image_snapshot(
                spec,
                raw,
                record=record,
                requested=requested,
                environ=engine.image_environ(attrs),
                context=context,
                project=project,
            )


@contextlib.contextmanager
def _static_read(spec: TargetSpec, timeout: float) -> Iterator[None]:
    """An image read as files, held to the per-target time limit like any target that runs code."""
    from envaudit.targets import tarwalk

    try:
        with tarwalk.deadline(timeout):
            yield
    except tarwalk.ReadTimeout:
        raise TargetError(
            spec.spelling, f"timed out after {timeout:g}s reading the image", tip="raise it with --timeout"
        ) from None


IMAGE_KINDS = (TargetKind.DOCKER, TargetKind.DOCKER_ARCHIVE, TargetKind.OCI, TargetKind.OCI_ARCHIVE)


def image_project(options: ScanOptions) -> str | None:
    """``--project`` names a folder inside the images when every target is an image; with other
    targets beside them it is a folder here, read once for all (``prepare``)."""
    if options.project is None or not options.project_in_image:
        return None
    return options.project.as_posix()


def _image_snapshot(
    spec: TargetSpec,
    raw: dict[str, Any],
    *,
    record: Image,
    requested: str,
    environ: Mapping[str, str],
    context: ScanContext,
    project: str | None,
) -> Snapshot:
    from envaudit.scan import build_snapshot

    if project is not None:
        files = raw.get("project_files")
        if not isinstance(files, dict):
            raise TargetError(spec.spelling, f"--project {project}: no such folder in the image")
        from envaudit.requirements import read_project_files

        requirements, issues = read_project_files(files, f"{spec.spelling}:{project.rstrip('/')}")
        context = replace(context, requirements=requirements, requirement_issues=issues, project=project)
    snapshot = build_snapshot(
        raw,
        target=spec.spelling,
        target_kind=spec.kind.value,
        requested=requested,
        environ=environ,
        context=context,
    )
    return replace(snapshot, image=record)


def scan(
    spellings: Sequence[str],
    options: ScanOptions,
) -> list[TargetResult]:
    """Scan every target concurrently (bounded by ``options.jobs``); results in the order given.

    A bad config or requirements file fails the whole command (exit 2) before any result is
    reported; a target that cannot be scanned fails only its own result.
    """
    specs = [parse_target(s) for s in spellings]  # a misspelt target fails before any work starts
    if options.probe is not None and any(spec.kind is not TargetKind.SNAPSHOT for spec in specs):
        from envaudit.probe.run import runner_script

        runner_script(options.probe)  # the user's files read once, now: bad input fails the command
    environ = dict(os.environ)
    early: dict[int, ScriptRun | EnvauditError] = {}
    try:
        # Launch the first local targets now: their start-up overlaps our imports and config reading.
        for index, spec in enumerate(specs[: options.jobs]):
            if spec.kind in PROCESS_KINDS:
                try:
                    early[index] = launch(spec, options, environ)
                except EnvauditError as exc:
                    early[index] = exc
        # Saved snapshots need no key, config or requirements unless asked to be re-checked (--project).
        live = any(spec.kind is not TargetKind.SNAPSHOT for spec in specs)
        images_only = all(spec.kind in IMAGE_KINDS for spec in specs)
        if images_only and options.project is not None:
            options = replace(options, project_in_image=True)
        context = prepare(options, images_only=images_only) if live or options.project is not None else None

        def one(index: int) -> TargetResult:
            spec = specs[index]
            started = early.pop(index, None)
            try:
                if isinstance(started, EnvauditError):
                    raise started
                result = TargetResult(spec, snapshot=finish(spec, started, context, options, environ))
            except EnvauditError as exc:
                result = TargetResult(spec, error=exc)
            if options.progress is not None:
                options.progress(result)
            return result

        # Targets that wait on another process go to a thread pool; saved snapshots are pure CPU work
        # (a large json.loads holds the GIL), so they load here, meanwhile, rather than in threads.
        waiting = [i for i, spec in enumerate(specs) if spec.kind is not TargetKind.SNAPSHOT]
        if len(waiting) <= 1:
            return [one(i) for i in range(len(specs))]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, min(options.jobs, len(waiting)))) as pool:
            try:
                futures = {i: pool.submit(one, i) for i in waiting}
                done = {i: one(i) for i in range(len(specs)) if i not in futures}
                return [futures[i].result() if i in futures else done[i] for i in range(len(specs))]
            except BaseException:  # Ctrl-C: the workers must not go on starting or waiting for targets
                pool.shutdown(wait=False, cancel_futures=True)
                _abandon(specs)
                raise
    except BaseException:  # an error or Ctrl-C in this thread: leave no child and no container behind
        _abandon(specs)
        raise
    finally:
        for started in early.values():  # launched but never collected (an error): reaped here
            if not isinstance(started, EnvauditError):
                started.kill()


def _abandon(specs: Sequence[TargetSpec]) -> None:
    """Stop what still runs for the targets (after an error or Ctrl-C): no child, no container left."""
    from envaudit.targets import runner

    runner.abandon_all()
    if any(spec.kind is TargetKind.DOCKER for spec in specs):
        from envaudit.targets import docker as engine

        engine.abandon_all()


def config_section(options: ScanOptions, name: str, known: set[str]) -> tuple[ConfigReader, Path]:
    """``[tool.envaudit.NAME]`` of the config, checked for unknown keys, and the folder that paths in
    it are relative to (the config file's, else the current one)."""
    from envaudit import config as config_module
    from envaudit.config import ConfigReader

    cfg = config_module.load(options.config_file, options.project or Path.cwd())
    table = dict(cfg.raw).get(name, {})
    reader = ConfigReader(
        cfg.source or "config", table if isinstance(table, dict) else {}, f"tool.envaudit.{name}"
    )
    if not isinstance(table, dict):
        raise reader.error("", "expected a table")
    reader.reject_unknown(known)
    return reader, Path(cfg.source).parent if cfg.source else Path.cwd()


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


# --- diff and gate ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judged:
    """A report, and the targets that could not be scanned (reported beside it, exit 3)."""

    report: Report
    failures: tuple[TargetResult, ...]


def _labels(specs: Sequence[TargetSpec]) -> list[str]:
    """Report names: NAME of NAME=TARGET or the spelling, made unique with #2, #3..."""
    seen: dict[str, int] = {}
    labels = []
    for spec in specs:
        seen[spec.name] = seen.get(spec.name, 0) + 1
        labels.append(spec.name if seen[spec.name] == 1 else f"{spec.name}#{seen[spec.name]}")
    return labels


def _anchor(options: ScanOptions) -> Location | None:
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


def diff(spellings: Sequence[str], options: ScanOptions, *, baseline: str | None = None) -> Judged:
    """Every target against the reference: ``baseline`` (one of the targets, or another) or the first."""
    from envaudit import diff as differ

    spellings, reference = with_reference(spellings, baseline)
    if len(spellings) < 2:
        raise UsageError("diff needs at least two targets (or one target and --baseline)")
    results = scan(spellings, options)
    labels = _labels([r.spec for r in results])
    items = [
        differ.Labelled(label, r.snapshot) for label, r in zip(labels, results, strict=True) if r.snapshot
    ]
    failures = tuple(r for r in results if r.error is not None)
    if results[reference].snapshot is None or len(items) < 2:
        # Nothing to compare against: the failures say why.
        raise failures[0].error if failures and failures[0].error else UsageError("nothing to compare")
    ref_label = labels[reference]
    ref_index = next(i for i, item in enumerate(items) if item.label == ref_label)
    tolerance = options.probe.tolerance if options.probe is not None else 1e-9
    report = replace(differ.diff(items, ref_index, tolerance=tolerance), anchor=_anchor(options))
    return Judged(report, failures)


def gate(
    options: ScanOptions,
    *,
    baseline: str | None,
    target: str | None,
    fail_on: str | None,
    allow_drift: Sequence[str] = (),
    today: dt.date | None = None,
) -> Judged:
    """The pre-deploy verdict: ``target`` against ``baseline`` under the project's gate policy."""
    from envaudit import config as config_module
    from envaudit import diff as differ
    from envaudit import hygiene, policy
    from envaudit.report import FailOn

    cfg = config_module.load(options.config_file, options.project or Path.cwd())
    gate_table = dict(cfg.raw).get("gate", {})
    if not isinstance(gate_table, dict):
        raise InputError(cfg.source or "config", "tool.envaudit.gate: expected a table")
    rules = policy.parse_gate(cfg.source or "pyproject.toml", gate_table)
    rules = replace(
        rules,
        baseline=baseline or rules.baseline,
        target=target or rules.target,
        fail_on=FailOn(fail_on) if fail_on else rules.fail_on,
        allow_drift=rules.allow_drift | frozenset(allow_drift),
    )
    if not rules.baseline:
        raise UsageError(
            "the gate needs a baseline",
            tip="set baseline in [tool.envaudit.gate] (e.g. a committed prod.json) or pass --baseline",
        )
    if rules.probe:  # [tool.envaudit.gate] probe = true: behaviour is compared too
        options = replace(options, probe=options.probe or probe_options(options))
    results = scan([rules.baseline, rules.target], options)
    failures = tuple(r for r in results if r.error is not None)
    if failures:
        from envaudit.findings import Report

        return Judged(Report(command="gate", environments=(), findings=()), failures)
    base_snapshot, target_snapshot = (r.snapshot for r in results)
    assert base_snapshot is not None and target_snapshot is not None
    ref, other = _labels([r.spec for r in results])
    tolerance = options.probe.tolerance if options.probe is not None else 1e-9
    report = differ.diff(
        [differ.Labelled(ref, base_snapshot), differ.Labelled(other, target_snapshot)], tolerance=tolerance
    )
    extra = [
        *hygiene.requirement_findings(
            other, target_snapshot, fail_unpinned=rules.fail_on_unpinned, fail_loose=rules.fail_on_loose
        ),
        *hygiene.issue_findings(other, target_snapshot),
    ]
    from envaudit.findings import Check

    checks = (
        *report.checks,
        Check(f"declared requirements pinned: {other}", "requirements", (other,)),
        Check(f"scan issues: {other}", "scan", (other,)),
    )
    if rules.audit:  # [tool.envaudit.gate] audit = true: known vulnerabilities fail the gate too
        extra.extend(audit_snapshot(other, target_snapshot, audit_options(options), jobs=options.jobs))
        checks = (*checks, Check(f"vulnerabilities: {other}", "vulnerabilities", (other,)))
    import datetime as dt

    findings, verdict = policy.evaluate((*report.findings, *extra), rules, today or dt.date.today())
    if not verdict.passed and any(f.check == "distributions" for f in verdict.failing):
        verdict = replace(
            verdict,
            tip=f"pin what drifted: envaudit pin requirements.txt --from {rules.baseline} "
            f"--minimal --against {rules.target}",
        )
    report = replace(
        report, command="gate", findings=findings, checks=checks, verdict=verdict, anchor=_anchor(options)
    )
    return Judged(report, failures)


# --- probe ------------------------------------------------------------------------------------------


def probe_options(
    options: ScanOptions,
    *,
    functions: Sequence[str] = (),
    data: Sequence[Path] = (),
    canonical: bool | None = None,
    cases: Sequence[str] = (),
    tolerance: float | None = None,
) -> ProbeOptions:
    """``[tool.envaudit.probe]`` of the config, with flags added or overriding; files checked now."""
    from envaudit.config import ConfigReader
    from envaudit.probe import user
    from envaudit.probe.run import ProbeOptions

    if len(functions) != len(data):
        raise UsageError("each --function needs its --data (give them in pairs)")
    reader, base = config_section(options, "probe", {"canonical", "tolerance", "timeout", "user"})
    timeout = reader.number("timeout", 60.0, positive=True, maximum=MAX_TIMEOUT)
    specs = []
    configured = reader.table.get("user", [])
    if not isinstance(configured, list):
        raise reader.error("user", "expected an array of tables ([[tool.envaudit.probe.user]])")
    for i, entry in enumerate(configured):
        item = ConfigReader(
            reader.source, entry if isinstance(entry, dict) else {}, f"tool.envaudit.probe.user[{i}]"
        )
        if not isinstance(entry, dict):
            raise item.error("", "expected a table with function and data")
        item.reject_unknown({"function", "data", "timeout"})
        function, data_file = item.string("function"), item.string("data")
        if not function or not data_file:
            raise item.error("function" if not function else "data", "required")
        specs.append(
            user.load(
                function,
                Path(data_file),
                timeout=item.number("timeout", timeout, positive=True, maximum=MAX_TIMEOUT),
                base=base,
            )
        )
    specs += [user.load(f, d, timeout=timeout) for f, d in zip(functions, data, strict=True)]
    from envaudit.inprocess.probe_runner import CASES

    known = {c.id for c in CASES}
    unknown = [c for c in cases if c not in known]
    if unknown:
        raise UsageError(f"--case {unknown[0]}: no such canonical case", tip="envaudit probe --list-cases")
    return ProbeOptions(
        canonical=canonical if canonical is not None else reader.boolean("canonical", True),
        user=tuple(specs),
        cases=tuple(cases),
        tolerance=tolerance if tolerance is not None else reader.number("tolerance", 1e-9),
    )


def probe(
    spellings: Sequence[str], options: ScanOptions, opts: ProbeOptions, *, baseline: str | None = None
) -> Judged:
    """Behavioural drift: the probes run in every target, each compared with the reference."""
    from envaudit import diff as differ
    from envaudit.findings import Check, Environment, Report
    from envaudit.probe.compare import diff_probes, summary

    spellings, reference = with_reference(spellings, baseline)
    if len(spellings) < 2:
        raise UsageError("probe needs at least two targets to compare (or one target and --baseline)")
    results = scan(spellings, replace(options, probe=opts))
    labels = _labels([r.spec for r in results])
    items = [
        differ.Labelled(label, r.snapshot) for label, r in zip(labels, results, strict=True) if r.snapshot
    ]
    failures = tuple(r for r in results if r.error is not None)
    environments = []
    for item in items:
        s, p = item.snapshot, item.snapshot.probes
        stack = (
            f"pandas {p.pandas}, numpy {p.numpy}" + (f", pyarrow {p.pyarrow}" if p.pyarrow else "")
            if p is not None and p.applicable
            else "no pandas"
            if p is not None
            else "not probed"
        )
        environments.append(
            Environment(
                label=item.label,
                target=s.provenance.target,
                python=f"{s.interpreter.implementation} {s.interpreter.version}, {stack}",
                distributions=len(s.distributions),
                scanned_at=s.provenance.scanned_at,
            )
        )
    findings = []
    checks = []
    ref_label = labels[reference]
    ref_item = next((i for i in items if i.label == ref_label), None)
    if ref_item is not None:
        environments.sort(key=lambda e: e.label != ref_label)
        for item in items:
            if item is ref_item:
                continue
            findings.extend(diff_probes(ref_item, item, opts.tolerance))
            checks.append(Check(f"probes: {ref_label} → {item.label}", "probes", (ref_label, item.label)))
    report = Report(
        command="probe",
        environments=tuple(environments),
        findings=tuple(findings),
        checks=tuple(checks),
        summary=tuple(summary([i.snapshot for i in items])),
        anchor=_anchor(options),
    )
    return Judged(report, failures)  # an unreachable reference: exit 3, and nothing compared


# --- pin --------------------------------------------------------------------------------------------


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
    for result in results:
        if result.error is not None:
            raise result.error
    labels = _labels([r.spec for r in results])
    snapshots = [r.snapshot for r in results]
    assert all(s is not None for s in snapshots)
    plan = pinning.plan(
        file,
        requirements,
        files,
        snapshots[0],  # type: ignore[arg-type]
        reference_label=labels[0],
        against=snapshots[1] if against is not None else None,
        against_label=labels[1] if against is not None else None,
    )
    text = pinning.constraints(snapshots[0], labels[0]) if with_constraints else None  # type: ignore[arg-type]
    return Pinned(plan, labels[0], text)


# --- audit ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditOptions:
    advisory_db: Path | None = None  # offline; None: online through the service
    service: str = "osv"
    service_url: str | None = None
    strict: bool = False  # what could not be checked fails too
    timeout: float = 15.0


def audit_options(
    options: ScanOptions,
    *,
    advisory_db: Path | None = None,
    service: str | None = None,
    service_url: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
) -> AuditOptions:
    """``[tool.envaudit.audit]`` of the config, overridden by flags."""
    from envaudit.audit import Service

    reader, base = config_section(
        options, "audit", {"advisory_db", "service", "service_url", "strict", "timeout"}
    )
    configured_db = reader.string("advisory_db")
    db = advisory_db
    if db is None and configured_db:  # relative to the file that names it
        db = base / configured_db
    chosen = service or reader.string("service", "osv") or "osv"
    if chosen not in {s.value for s in Service}:
        raise reader.error("service", f'expected "osv" or "pypi", got {chosen!r}')
    return AuditOptions(
        advisory_db=db,
        service=chosen,
        service_url=service_url or reader.string("service_url"),
        strict=strict if strict is not None else reader.boolean("strict", False),
        timeout=(
            timeout
            if timeout is not None
            else reader.number("timeout", 15.0, positive=True, maximum=MAX_TIMEOUT)
        ),
    )


def audit_snapshot(label: str, snapshot: Snapshot, opts: AuditOptions, *, jobs: int) -> list[Finding]:
    from envaudit import audit as auditing

    if opts.advisory_db is not None:
        from envaudit import advisories

        result = auditing.audit_offline(label, snapshot, advisories.load(opts.advisory_db))
    else:
        from envaudit.advisories import cache_dir

        service = auditing.make_service(
            auditing.Service(opts.service),
            url=opts.service_url,
            timeout=opts.timeout,
            cache=str(cache_dir() / "pip-audit"),
        )
        result = auditing.audit_online(label, snapshot, service, opts.service, jobs=max(jobs, 8))
    return auditing.findings(result, snapshot, strict=opts.strict)


def audit(spellings: Sequence[str], options: ScanOptions, opts: AuditOptions) -> Judged:
    """Known vulnerabilities of every target; targets that cannot be scanned are reported beside."""
    from envaudit import diff as differ
    from envaudit.findings import Check, Report

    if opts.advisory_db is not None and not opts.advisory_db.exists():
        raise InputError(
            str(opts.advisory_db), "no such advisory database (a folder of OSV records, or an OSV zip)"
        )
    results = scan(spellings, options)
    labels = _labels([r.spec for r in results])
    findings: list[Finding] = []
    environments = []
    checks = []
    for label, result in zip(labels, results, strict=True):
        if result.snapshot is None:
            continue
        environments.append(differ.environment_of(differ.Labelled(label, result.snapshot)))
        checks.append(Check(f"vulnerabilities: {label}", "vulnerabilities", (label,)))
        findings.extend(audit_snapshot(label, result.snapshot, opts, jobs=options.jobs))
    vulnerable = {(f.environments, f.subject) for f in findings if f.rule == "EA701"}
    report = Report(
        command="audit",
        environments=tuple(environments),
        findings=tuple(findings),
        checks=tuple(checks),
        summary=(
            ("vulnerabilities", str(sum(f.rule == "EA701" for f in findings))),
            ("vulnerable packages", str(len(vulnerable))),
            ("not checked", str(sum(f.rule == "EA702" for f in findings))),
        ),
        anchor=_anchor(options),
    )
    return Judged(report, tuple(r for r in results if r.error is not None))
