"""Command line: parse, call one api verb, render, return the exit code. No policy lives here."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit import __version__, defaults
from envaudit.errors import EnvauditError, ExitCode, InputError, UsageError, os_problem
from envaudit.report import FINDINGS_FORMATS, ReportFormat, ScanFormat
from envaudit.severity import FailOn
from envaudit.verbs import common

if TYPE_CHECKING:  # the verbs are imported when a command runs: the CLI starts without them
    from envaudit import api
    from envaudit.findings import Report
    from envaudit.pin import Plan
    from envaudit.probe.run import ProbeOptions


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    if value > defaults.MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"must be at most {defaults.MAX_TIMEOUT:g} (a week)")
    return value


def _non_negative_float(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="envaudit",
        description="Environment reproducibility auditor: will this code behave the same over there?",
    )
    parser.add_argument("--version", action="version", version=f"envaudit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_scan(commands)
    _add_probe(commands)
    _add_diff(commands)
    _add_gate(commands)
    _add_audit(commands)
    _add_pin(commands)
    return parser


def _add_scan(commands: Any) -> None:
    scan = commands.add_parser("scan", help="snapshot one or more environments")
    scan.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="local (default), python:PATH, a venv folder, FILE.json, ...",
    )
    scan.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="PATH",
        help="save the snapshot to PATH (a folder, one file per target, for several targets)",
    )
    scan.add_argument(
        "--format",
        type=ScanFormat,
        choices=list(ScanFormat),
        default=ScanFormat.TEXT,
        help="report format on stdout (default: text); cyclonedx-json: a CycloneDX 1.6 SBOM",
    )
    _add_probe_options(
        scan,
        "also run the behavioural probes in each target; keep the results in the snapshot",
        compares=False,
    )
    _add_target_options(scan)
    _add_fact_options(scan)
    _add_fleet_options(scan)


def _add_probe(commands: Any) -> None:
    probe = commands.add_parser(
        "probe",
        help="run pandas, numpy and scikit-learn behaviour probes (and your own function and model) in every "
        "target; report drift",
    )
    _add_comparison_options(probe, FailOn.WARNING, "warning")
    probe.add_argument("--list-cases", action="store_true", help="list the canonical cases and exit")
    _add_probe_options(probe)
    _add_report_options(probe)
    _add_target_options(probe)
    _add_fact_options(probe)
    _add_fleet_options(probe)


def _add_diff(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="compare two or more environments (live targets or saved snapshots)"
    )
    _add_comparison_options(diff, FailOn.INFO, "info, i.e. any drift")
    _add_probe_options(
        diff,
        "also run the behavioural probes in live targets and compare behaviour (saved snapshots "
        "compare the probes they were saved with)",
    )
    _add_report_options(diff)
    _add_target_options(diff)
    _add_fact_options(diff)
    _add_fleet_options(diff)


def _add_gate(commands: Any) -> None:
    gate = commands.add_parser(
        "gate", help="the pre-deploy verdict for CI, configured in [tool.envaudit.gate]"
    )
    gate.add_argument(
        "--baseline", metavar="TARGET", help="what the target must match (overrides the config)"
    )
    gate.add_argument(
        "--target", metavar="TARGET", help="what is checked (overrides the config; default local)"
    )
    gate.add_argument(
        "--fail-on",
        type=FailOn,
        choices=list(FailOn),
        default=None,
        help="fail on findings of at least this severity (overrides the config; default warning)",
    )
    gate.add_argument(
        "--allow-drift",
        action="append",
        default=[],
        metavar="LEVEL",
        choices=["major", "minor", "patch", "prerelease", "local", "downgrade", "invalid"],
        help="version changes of this level do not fail the gate (repeatable)",
    )
    _add_report_options(gate)
    _add_target_options(gate)
    _add_fact_options(gate)


def _add_audit(commands: Any) -> None:
    audit = commands.add_parser("audit", help="known vulnerabilities of any environment or saved snapshot")
    audit.add_argument("targets", nargs="*", metavar="TARGET", help="default: local (unless -r)")
    audit.add_argument(
        "-r",
        "--requirement",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="audit the exact pins (==X) of a requirements file, without an environment (repeatable); "
        "other requirements are reported as not checked",
    )
    audit.add_argument(
        "--ignore-vuln",
        action="append",
        default=[],
        metavar="ID",
        help="do not report this vulnerability (its id or any alias: PYSEC-, GHSA-, CVE-; repeatable)",
    )
    audit.add_argument(
        "--desc", action="store_true", help="each advisory's whole summary, not its first sentence"
    )
    audit.add_argument(
        "--fix",
        action="store_true",
        help="with -r: propose the smallest change of the file's pins that removes what was found "
        "(a unified diff on stderr; the report stays on stdout)",
    )
    audit.add_argument("--write", action="store_true", help="with --fix: apply it (atomically)")
    audit.add_argument(
        "--advisory-db",
        type=Path,
        metavar="PATH",
        help="audit offline against a folder of OSV records (YAML or JSON) or an OSV export zip",
    )
    audit.add_argument(
        "--service",
        choices=["osv", "pypi"],
        default=None,
        help="online service, through pip-audit (default: osv; ignored with --advisory-db)",
    )
    audit.add_argument(
        "--service-url",
        metavar="URL",
        help="a mirror of the service's API (OSV's query endpoint, or PyPI's /pypi JSON API)",
    )
    audit.add_argument(
        "--service-timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help=f"time limit per service request (default: {defaults.SERVICE_TIMEOUT:g})",
    )
    audit.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="fail when a distribution could not be checked (unknown is not clean)",
    )
    _add_report_options(audit, sbom=True)
    _add_target_options(audit)
    _add_fleet_options(audit)


def _add_pin(commands: Any) -> None:
    pin = commands.add_parser("pin", help="propose exact pins from an environment that works")
    pin.add_argument(
        "file",
        type=Path,
        nargs="?",
        metavar="FILE",
        help="a requirements file (with its -r/-c includes) or pyproject.toml (optional with --lock)",
    )
    pin.add_argument(
        "--from",
        dest="reference",
        required=True,
        metavar="TARGET",
        help="the environment known to work: a venv, a host, an image, a saved snapshot",
    )
    pin.add_argument("--against", metavar="TARGET", help="with --minimal: the environment that drifted")
    pin.add_argument(
        "--minimal",
        action="store_true",
        help="pin only what differs between --from and --against: the smallest change that removes the drift",
    )
    pin.add_argument(
        "--write", action="store_true", help="apply the change (atomically) instead of only printing it"
    )
    pin.add_argument(
        "--constraints",
        type=Path,
        metavar="OUT",
        help="also write a constraints file with every distribution of --from, for pip install -c",
    )
    pin.add_argument(
        "--lock",
        type=Path,
        metavar="OUT",
        help="write a PEP 751 lock (pylock.toml) of every distribution of --from, with the index's "
        "file hashes; exit 1 if the index cannot vouch for something",
    )
    pin.add_argument(
        "--index-url",
        default="https://pypi.org/simple",
        metavar="URL",
        help="with --lock: the simple index (PEP 691 JSON) to take files and hashes from (default: PyPI)",
    )
    pin.add_argument(
        "--format",
        type=ScanFormat,
        choices=[ScanFormat.TEXT, ScanFormat.JSON],
        default=ScanFormat.TEXT,
        help="text: a unified diff on stdout, notes on stderr; json: proposals and the diff",
    )
    _add_target_options(pin)


def _add_report_options(parser: argparse.ArgumentParser, *, sbom: bool = False) -> None:
    """Options every command that prints a findings report shares (``sbom``: and cyclonedx-json)."""
    formats = list(ReportFormat) if sbom else list(FINDINGS_FORMATS)
    parser.add_argument(
        "--format",
        type=ReportFormat,
        choices=formats,
        action="append",
        help="report format (default: text); repeat it, each with its -o, to write several from one run"
        + ("; cyclonedx-json: a CycloneDX 1.6 SBOM with the vulnerabilities" if sbom else ""),
    )
    parser.set_defaults(all_formats=formats)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        action="append",
        metavar="FILE",
        help="write the report to FILE (atomically) instead of standard output; one per --format",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write each --format (default: every format) to DIR/envaudit-COMMAND.EXT from one run",
    )
    parser.add_argument(
        "--repo-root",
        type=Path,
        metavar="DIR",
        help="report file paths (SARIF) relative to DIR (default: the git work tree holding the project)",
    )


def _add_comparison_options(parser: argparse.ArgumentParser, fail_on: FailOn, said: str) -> None:
    """What the commands that compare targets share: the targets, the reference, the threshold."""
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET", help="the first is the reference unless --baseline"
    )
    parser.add_argument(
        "--baseline",
        metavar="TARGET",
        help="the reference: one of the targets, or another target to compare all of them against",
    )
    parser.add_argument(
        "--fail-on",
        type=FailOn,
        choices=list(FailOn),
        default=fail_on,
        help=f"exit 1 when a finding has at least this severity (default: {said})",
    )


def _add_probe_options(
    parser: argparse.ArgumentParser, switch: str | None = None, *, compares: bool = True
) -> None:
    """The probe flags; ``switch`` is the help of a --probe flag, for commands that probe on request;
    ``compares``: the command compares probe results (scan only records them: no --strict)."""
    group = parser.add_argument_group("probes (also [tool.envaudit.probe])")
    if switch is not None:
        group.add_argument("--probe", action="store_true", help=switch)
    group.add_argument(
        "--function",
        action=_InOrder,
        default=[],
        metavar="FILE.py:NAME",
        help="your preprocessing function, run in each target on its --data (repeatable)",
    )
    group.add_argument(
        "--model",
        action=_InOrder,
        default=[],
        type=Path,
        metavar="FILE",
        help="your fitted model (.pkl, .joblib: your own file, it runs code when loaded), loaded in each "
        "target and run on its --data: predict, predict_proba, transform compared (repeatable)",
    )
    group.add_argument(
        "--data",
        action=_InOrder,
        default=[],
        type=Path,
        metavar="FILE",
        help="sample data for the --function or --model before it: .csv, .parquet, .json or .npy (one "
        "--data alone serves them all)",
    )
    group.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME[,NAME]",
        help="canonical suites to run: pandas, numpy, sklearn (default: every suite whose library the "
        "target has)",
    )
    group.add_argument(
        "--no-canonical", action="store_true", help="skip the canonical suites: only your own probes"
    )
    if compares:
        group.add_argument(
            "--strict",
            action="store_true",
            default=None,
            help="fail when a probe could not run somewhere or a suite ran on one side only (not run is "
            "not clean)",
        )
    group.add_argument(
        "--case", action="append", default=[], metavar="ID", help="run only this canonical case (repeatable)"
    )
    group.add_argument(
        "--tolerance",
        type=_non_negative_float,
        default=None,
        metavar="REL",
        help=f"relative tolerance when comparing your function's values (default: {defaults.TOLERANCE:g})",
    )


class _InOrder(argparse.Action):
    """--function, --model and --data also recorded in the order given, to pair each probe with the
    --data after it."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), values])
        order = list(getattr(namespace, "probe_order", None) or [])
        namespace.probe_order = [*order, (self.dest, values)]


def _suites(given: Sequence[str]) -> tuple[str, ...] | None:
    """--suite pandas,numpy (repeatable): the suites named, checked; None when none are."""
    from envaudit.inprocess.probe_cases import SUITES

    names = [n.strip() for item in given for n in item.split(",") if n.strip()]
    for name in names:
        if name not in SUITES:
            raise UsageError(f"--suite {name}: no such suite (there are {', '.join(SUITES)})")
    return tuple(dict.fromkeys(names)) or None


def _with_probes(args: argparse.Namespace, options: api.ScanOptions) -> api.ScanOptions:
    """``options`` with probes when asked for (--probe, or a --function or --model to run)."""
    if args.probe or args.function or args.model:
        return replace(options, probe=_probe_options(args, options))
    return options


def _probe_options(args: argparse.Namespace, options: api.ScanOptions) -> ProbeOptions:
    from envaudit.verbs.probe import probe_options

    return probe_options(
        options,
        probes=getattr(args, "probe_order", None) or [],
        canonical=False if args.no_canonical else None,
        cases=args.case,
        tolerance=args.tolerance,
        suites=_suites(args.suite),
        strict=getattr(args, "strict", None),
    )


def _add_fleet_options(parser: argparse.ArgumentParser) -> None:
    """For commands that take many targets."""
    parser.add_argument(
        "--targets-file",
        type=Path,
        metavar="FILE",
        help="more targets, one per line (# starts a comment): a fleet of ssh:// hosts, say",
    )
    parser.add_argument(
        "--progress",
        choices=["auto", "live", "plain", "none"],
        default="auto",
        help="progress on stderr: live (counts, the slowest running targets), plain (one line per "
        "finished target, for CI logs), none; auto: live on a terminal with several targets",
    )


def _add_fact_options(parser: argparse.ArgumentParser) -> None:
    """Facts beyond the packages, for the commands that compare environments."""
    facts = parser.add_argument_group("facts beyond the packages")
    facts.add_argument(
        "--runtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also collect what changes numbers without a version change: numpy's BLAS and its "
        "threads, CPU SIMD features, cgroup limits, time-zone databases, locale, PYTHONHASHSEED "
        "(imports numpy in the target; default: [tool.envaudit.scan] runtime)",
    )
    facts.add_argument(
        "--imports",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="check what the project's code imports (read with no code run) against each environment: "
        "undeclared, missing and unused packages (default: on with --project, else "
        "[tool.envaudit.scan] imports)",
    )


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that scans targets shares, so the flags read the same everywhere."""
    parser.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="folder whose requirements*.txt / pyproject.toml declare the requirements "
        "(default: the current folder); with image targets only, a folder inside the image",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="read [tool.envaudit] from FILE instead of the project's pyproject.toml",
    )
    parser.add_argument(
        "--allow-outside-includes",
        action="store_true",
        help="let -r/-c in requirements files name files outside the project folder and its git "
        "repository (never /proc, /sys, /dev or special files)",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=defaults.JOBS,
        metavar="N",
        help=f"targets scanned at once (default: {defaults.JOBS})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=defaults.TIMEOUT,
        metavar="SECONDS",
        help=f"per-target time limit (default: {defaults.TIMEOUT:g})",
    )
    parser.add_argument(
        "--env-include",
        action="append",
        default=None,
        metavar="GLOB",
        help="capture only variables matching GLOB (repeatable; default: all)",
    )
    parser.add_argument(
        "--env-exclude",
        action="append",
        default=None,
        metavar="GLOB",
        help="do not capture variables matching GLOB (repeatable)",
    )
    images = parser.add_argument_group("image targets (docker:, docker-archive:, oci:, oci-archive:)")
    images.add_argument("--platform", metavar="OS/ARCH", help="the image to read from a multi-platform index")
    images.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter in the image "
        "(default: the one its Entrypoint/Cmd runs, else python3 on its PATH)",
    )
    images.add_argument(
        "--static",
        action="store_true",
        help="docker:IMAGE: read the image's files through the engine, run nothing in it",
    )
    ssh = parser.add_argument_group("ssh:// targets (through the system OpenSSH client and its config)")
    ssh.add_argument(
        "--ssh-option",
        action="append",
        default=[],
        metavar="OPTION",
        help="passed to ssh as -o OPTION (repeatable), e.g. ProxyJump=bastion",
    )
    ssh.add_argument("--identity", metavar="FILE", help="private key for ssh (-i FILE)")
    ssh.add_argument(
        "--accept-new-host-keys",
        action="store_true",
        help="trust and record the key of a host seen for the first time (never a changed one)",
    )


def _scan_options(args: argparse.Namespace, progress: api.Progress | None = None) -> api.ScanOptions:
    ssh = None  # the defaults; the ssh modules are imported only when there is something to say to them
    if args.ssh_option or args.identity or args.accept_new_host_keys:
        from envaudit.targets.ssh import SSHOptions

        ssh = SSHOptions(
            options=tuple(args.ssh_option),
            identity=args.identity,
            accept_new_host_keys=args.accept_new_host_keys,
        )
    from envaudit.targets.base import ImageOptions

    return common.ScanOptions(
        image=ImageOptions(platform=args.platform, python=args.python, static=args.static),
        ssh=ssh,
        progress=progress,
        project=args.project,
        config_file=args.config,
        env_include=tuple(args.env_include or ()),
        env_exclude=tuple(args.env_exclude or ()),
        timeout=args.timeout,
        jobs=args.jobs,
        allow_outside_includes=args.allow_outside_includes,
        repo_root=getattr(args, "repo_root", None),  # commands that write reports
        # Only the commands that compare environments take these (scan, diff, gate, probe).
        runtime=getattr(args, "runtime", False),
        imports=getattr(args, "imports", False),
    )


def _targets(args: argparse.Namespace, default: Sequence[str] = ()) -> list[str]:
    """The targets on the command line, then those of --targets-file; ``default`` if there are none."""
    targets = list(args.targets or [])
    if args.targets_file is not None:
        targets += common.read_targets_file(args.targets_file)
    return targets or list(default)


@contextlib.contextmanager
def _progress(args: argparse.Namespace, options: api.ScanOptions, count: int) -> Iterator[api.ScanOptions]:
    """``options`` reporting each target's progress on stderr as ``--progress`` says."""
    from envaudit.progress import ProgressMode, reporting

    with reporting(options, count, ProgressMode(getattr(args, "progress", "auto"))) as reported:
        yield reported


@contextlib.contextmanager
def _spinner(text: str, wanted: bool) -> Iterator[None]:
    """A spinner on stderr while ``text`` is done, on an interactive terminal only."""
    if not wanted or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(text):
        yield


def _error(exc: EnvauditError) -> None:
    from envaudit.textsafe import terminal

    # Messages quote what targets and files said: never let that drive the terminal.
    print(terminal(f"error: {exc}"), file=sys.stderr)
    if exc.tip:
        print(terminal(f"tip: {exc.tip}"), file=sys.stderr)


def _cmd_scan(args: argparse.Namespace) -> int:
    from envaudit.verbs import fanout

    targets = _targets(args, default=["local"])
    options = _with_probes(args, _scan_options(args))
    with _progress(args, options, len(targets)) as reported:
        results = fanout.scan(targets, reported)
    snapshots = [r.snapshot for r in results if r.snapshot is not None]
    failures = [r.error for r in results if r.error is not None]
    from envaudit import snapshot_io

    save_errors: list[EnvauditError] = []
    if args.output is not None and snapshots:
        # A snapshot that cannot be saved is one error among the results: the others are still
        # saved and reported.
        paths: list[Path | None] = [None] * len(results)
        try:
            paths = list(common.output_paths([r.spec for r in results], args.output))
        except EnvauditError as exc:
            save_errors.append(exc)
        for result, path in zip(results, paths, strict=True):
            if path is None:
                continue
            if result.snapshot is None:
                continue
            try:
                snapshot_io.save(result.snapshot, path)
            except OSError as exc:
                save_errors.append(InputError(str(path), f"cannot save the snapshot: {os_problem(exc)}"))
                continue
            print(f"saved {result.spec.spelling} to {path}", file=sys.stderr)
    from envaudit.report import Scanned, write

    labelled = [(r.spec.name, r.snapshot) for r in results if r.snapshot is not None]
    # One target that failed prints nothing in JSON, not an empty list. JSON is indented for a
    # person at a terminal; compact (and far faster to encode) for a pipe.
    if args.format is ScanFormat.TEXT or len(results) > 1 or labelled:
        document = Scanned(labelled, single=len(results) == 1)
        write(document, args.format.value, sys.stdout, kind="scan", compact=not sys.stdout.isatty())
    for failure in [*failures, *save_errors]:
        _error(failure)
    return max((int(f.exit_code) for f in [*failures, *save_errors]), default=int(ExitCode.OK))


def _outputs(args: argparse.Namespace) -> list[tuple[ReportFormat, Path | None]]:
    """Each report to write, and where (None: standard output); checked before anything is scanned."""
    formats: list[ReportFormat] = args.format or []
    outputs: list[Path] = args.output or []
    if args.output_dir is not None:
        if outputs:
            raise UsageError("give -o FILE per --format, or --output-dir DIR, not both")
        every = formats or args.all_formats
        return [(f, args.output_dir / f"envaudit-{args.command}.{f.suffix}") for f in every]
    if len(formats) <= 1 and len(outputs) <= 1:
        return [(formats[0] if formats else ReportFormat.TEXT, outputs[0] if outputs else None)]
    if len(formats) != len(outputs):
        raise UsageError(
            f"{len(formats)} --format and {len(outputs)} -o: with several, give each --format its -o",
            tip="--format sarif -o envaudit.sarif --format markdown -o summary.md, or --output-dir DIR",
        )
    return list(zip(formats, outputs, strict=True))


def _emit(report: Report, args: argparse.Namespace) -> None:
    from envaudit.files import write_all_atomic
    from envaudit.report import render, write
    from envaudit.report.fleet_view import WIDE_FLEET

    outputs: list[tuple[ReportFormat, Path | None]] = args.outputs
    # A fleet's JSON is for programs (and ~10x faster to write compact): indented only when small.
    compact = len(report.environments) > WIDE_FLEET
    files = {path: render(report, fmt.value, compact=compact) for fmt, path in outputs if path is not None}
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
    if files:
        write_all_atomic(files)  # every report of the run, or none
        for fmt, path in outputs:
            if path is not None:
                print(f"wrote {fmt.value} report to {path}", file=sys.stderr)
    for fmt, path in outputs:
        if path is None:
            write(report, fmt.value, sys.stdout, compact=not sys.stdout.isatty())


def _report_and_exit(judged: api.Judged, args: argparse.Namespace, fail_on: FailOn) -> int:
    """Emit the report as judged at ``fail_on``, listing the targets that could not be scanned, so
    that every format agrees with the exit code; then the exit code."""
    from envaudit.findings import Unscanned
    from envaudit.findings import judge as judging
    from envaudit.findings import judged as with_judgement

    unscanned = [
        Unscanned(r.spec.name, r.spec.spelling, str(r.error), int(r.error.exit_code))
        for r in judged.failures
        if r.error is not None
    ]
    report = with_judgement(judged.report, fail_on, unscanned)
    _emit(report, args)
    return _judged_exit(judged, judging(report, fail_on))


def _judged_exit(judged: api.Judged, failed: bool) -> int:
    for result in judged.failures:
        if result.error is not None:
            _error(result.error)
    errors = [int(r.error.exit_code) for r in judged.failures if r.error is not None]
    if errors:  # 3 for a target that could not be reached, 2 for a bad saved snapshot
        return max(errors)
    return int(ExitCode.FINDINGS if failed else ExitCode.OK)


def _cmd_diff(args: argparse.Namespace) -> int:
    from envaudit.verbs import diff as verbs_diff

    targets = _targets(args)
    options = _with_probes(args, _scan_options(args))
    with _progress(args, options, len(targets) + (args.baseline is not None)) as reported:
        judged = verbs_diff.diff(targets, reported, baseline=args.baseline)
    return _report_and_exit(judged, args, args.fail_on)


def _cmd_gate(args: argparse.Namespace) -> int:
    from envaudit.verbs.gate import gate

    judged = gate(
        _scan_options(args),
        baseline=args.baseline,
        target=args.target,
        fail_on=args.fail_on.value if args.fail_on else None,
        allow_drift=args.allow_drift,
    )
    verdict = judged.report.verdict
    # The verdict decides; without one (a target could not be scanned) nothing was judged.
    return _report_and_exit(
        judged, args, FailOn(verdict.fail_on) if verdict else args.fail_on or FailOn.WARNING
    )


def _cmd_probe(args: argparse.Namespace) -> int:
    if args.list_cases:
        from envaudit.inprocess.probe_runner import CASES, SUITE_VERSION, SUITES

        wanted = _suites(args.suite) or tuple(SUITES)
        listed = [c for c in CASES if c.suite in wanted]
        print(f"canonical probe suites {SUITE_VERSION}: {len(listed)} cases")
        for name in wanted:
            print(f"{name} (changes named by {SUITES[name].library} version):")
            for c in (c for c in listed if c.suite == name):
                changes = "; ".join(f"{v}: {note}" for v, note in c.changes.items())
                changes = changes or (f"runtime: {c.runtime}" if c.runtime else "control: no known change")
                print(f"  {c.id:36} [{c.area}] {c.title}\n  {'':36} {changes}")
        return int(ExitCode.OK)
    from envaudit.verbs import probe as verbs_probe

    targets = _targets(args)
    options = _scan_options(args)
    opts = _probe_options(args, options)
    with _progress(args, options, len(targets) + (args.baseline is not None)) as reported:
        judged = verbs_probe.probe(targets, reported, opts, baseline=args.baseline)
    return _report_and_exit(judged, args, args.fail_on)


def _cmd_audit(args: argparse.Namespace) -> int:
    if args.fix and not args.requirement:
        raise UsageError("--fix edits a requirements file: name it with -r FILE")
    if args.write and not args.fix:
        raise UsageError("--write applies what --fix proposes: give both")
    options = _scan_options(args)
    from envaudit.verbs import audit as verbs_audit

    opts = verbs_audit.audit_options(
        options,
        advisory_db=args.advisory_db,
        service=args.service,
        service_url=args.service_url,
        strict=args.strict,
        timeout=args.service_timeout,
        describe=args.desc,
        ignore_vulns=args.ignore_vuln,
    )
    targets = _targets(args, default=[] if args.requirement else ["local"])
    # The files are read once, now: a bad one fails before anything is scanned, and --fix edits the
    # text that was audited.
    declared = verbs_audit.read_declared(args.requirement, options, strict=opts.strict)
    # The first read of an advisory database builds its index (seconds), a service is queried per
    # distribution: a spinner says so on a terminal (the bar of a multi-target scan says it otherwise).
    what = "reading the advisory database" if opts.advisory_db else f"querying {opts.service}"
    with (
        _progress(args, options, len(targets)) as reported,
        _spinner(f"auditing: {what}", reported.progress is None and args.progress != "none"),
    ):
        judged = verbs_audit.audit(targets, reported, opts, declared=declared)
    # A vulnerability is an error (EA701); --strict makes what could not be checked one too.
    code = _report_and_exit(judged, args, FailOn.ERROR)
    if args.fix:
        _fix(verbs_audit.fix_plans(declared, judged.report), write=args.write)
    return code


def _fix(plans: Sequence[Plan], *, write: bool) -> None:
    """What --fix proposes, on stderr (stdout holds the report); with --write, applied."""
    from envaudit.files import write_all_atomic
    from envaudit.pin import check_unchanged
    from envaudit.textsafe import one_line

    for plan in plans:
        sys.stderr.write(plan.unified_diff())
        for p in plan.proposals:
            kind = "conflict" if p.action.value == "conflict" else "fix"
            print(one_line(f"{kind}: {p.where}: {p.requirement.name}: {p.reason}"), file=sys.stderr)
    if write:
        for plan in plans:
            check_unchanged(plan)
        write_all_atomic({e.path: e.after for plan in plans for e in plan.edits})
        for edit in (e for plan in plans for e in plan.edits):
            print(f"wrote {edit.display}", file=sys.stderr)
    elif any(plan.edits for plan in plans):
        print("tip: apply the fix with --write", file=sys.stderr)


def _cmd_pin(args: argparse.Namespace) -> int:
    if args.minimal != (args.against is not None):
        raise UsageError("--minimal and --against go together: pin what differs between --from and --against")
    if args.file is None and args.lock is None:
        raise UsageError("pin needs a FILE to pin, or --lock OUT to write a lock", tip="envaudit pin --help")
    locked = _write_lock(args) if args.lock is not None else int(ExitCode.OK)
    if args.file is None:
        return locked
    return max(locked, _pin_file(args))


def _write_lock(args: argparse.Namespace) -> int:
    """``pin --lock OUT``: a PEP 751 lock of --from, written atomically; 1 if the index cannot vouch."""
    import re

    from envaudit.files import write_all_atomic
    from envaudit.textsafe import one_line
    from envaudit.verbs.pin import lock

    if not re.fullmatch(r"pylock(\.[^.]+)?\.toml", args.lock.name):
        raise UsageError(
            f"--lock {args.lock}: PEP 751 names a lock pylock.toml or pylock.NAME.toml",
            tip="installers (uv, pip) look for these names",
        )
    locked, reference = lock(_scan_options(args), reference=args.reference, index=args.index_url)
    write_all_atomic({args.lock: locked.text})
    for line in locked.unvouched:
        print(one_line(f"not vouched for: {line}"), file=sys.stderr)
    vouched = locked.packages - len(locked.unvouched)
    print(
        f"wrote {args.lock}: {locked.packages} packages from {reference}, {vouched} with the index's hashes",
        file=sys.stderr,
    )
    return int(ExitCode.FINDINGS if locked.unvouched else ExitCode.OK)


def _pin_file(args: argparse.Namespace) -> int:
    from envaudit.verbs.pin import pin

    result = pin(
        args.file,
        _scan_options(args),
        reference=args.reference,
        against=args.against,
        with_constraints=args.constraints is not None,
    )
    plan = result.plan
    from envaudit.files import write_all_atomic
    from envaudit.report import render

    sys.stdout.write(render(result, args.format.value, kind="pin"))
    from envaudit.textsafe import one_line

    for p in plan.proposals:
        if p.hashes_removed:
            print(one_line(f"note: {p.where}: {p.requirement.name} {p.reason}"), file=sys.stderr)
    for p in plan.conflicts:
        print(one_line(f"conflict: {p.where}: `{p.requirement.text}`: {p.reason}"), file=sys.stderr)
    writes = {e.path: e.after for e in plan.edits} if args.write else {}
    if result.constraints is not None:
        writes[args.constraints] = result.constraints
    if args.write:
        from envaudit.pin import check_unchanged

        check_unchanged(plan)
    if writes:
        write_all_atomic(writes)
    if args.write:
        for edit in plan.edits:
            print(f"wrote {edit.display}", file=sys.stderr)
    pinned = len(plan.pinned)
    verb = "pinned" if args.write else "would pin"
    print(
        f"summary: {verb} {pinned} requirements from {result.reference}, {len(plan.conflicts)} conflicts",
        file=sys.stderr,
    )
    if args.constraints is not None:
        print(f"wrote constraints for {result.reference} to {args.constraints}", file=sys.stderr)
    if pinned and not args.write:
        print("tip: apply the change with --write", file=sys.stderr)
    return int(ExitCode.FINDINGS if plan.conflicts else ExitCode.OK)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if hasattr(args, "output_dir"):  # a command that writes reports: checked before any scan
            args.outputs = _outputs(args)
        match args.command:
            case "scan":
                return _cmd_scan(args)
            case "diff":
                return _cmd_diff(args)
            case "gate":
                return _cmd_gate(args)
            case "pin":
                return _cmd_pin(args)
            case "audit":
                return _cmd_audit(args)
            case "probe":
                return _cmd_probe(args)
        parser.error(f"unknown command {args.command}")
    except EnvauditError as exc:
        _error(exc)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
    except OSError as exc:  # a file named on the command line: a folder, a missing parent, a loop
        where = exc.filename if exc.filename is not None else "envaudit"
        _error(InputError(str(where), os_problem(exc)))
        return int(ExitCode.USAGE)
    return int(ExitCode.OK)


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run() -> None:
    """Console-script entry point: ``main``, then exit without tearing down the heap.

    Freeing tens of thousands of model objects at interpreter exit costs ~30 ms on large snapshots,
    about a tenth of a diff. By now every report is written (atomically) and every thread has
    finished; flushing stdout and stderr is all the clean-up there is.
    """
    import signal

    # A CI runner cancels with SIGTERM: unwind like Ctrl-C, so containers and children are removed.
    signal.signal(signal.SIGTERM, _terminated)
    code = main()
    with contextlib.suppress(BrokenPipeError):  # the reader went away (| head): nothing left to say
        sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
