"""``audit``: known vulnerabilities of every target, offline or through an advisory service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit import defaults
from envaudit.errors import InputError
from envaudit.verbs.common import Judged, ScanOptions, labels, located
from envaudit.verbs.fanout import scan

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envaudit.findings import Finding, Report
    from envaudit.model import Requirement, Snapshot
    from envaudit.pin import Plan


@dataclass(frozen=True, slots=True)
class AuditOptions:
    advisory_db: Path | None = None  # offline; None: online through the service
    service: str = defaults.SERVICE
    service_url: str | None = None
    strict: bool = False  # what could not be checked fails too
    timeout: float = defaults.SERVICE_TIMEOUT
    describe: bool = False  # --desc: each advisory's whole summary in its finding
    ignore_vulns: tuple[str, ...] = ()  # --ignore-vuln: ids (or aliases) not reported


def audit_options(
    options: ScanOptions,
    *,
    advisory_db: Path | None = None,
    service: str | None = None,
    service_url: str | None = None,
    strict: bool | None = None,
    timeout: float | None = None,
    describe: bool = False,
    ignore_vulns: Sequence[str] = (),
) -> AuditOptions:
    """``[tool.envaudit.audit]`` of the config, overridden by flags."""
    from envaudit import config

    section = config.load(options.config_file, options.project or Path.cwd()).audit
    return AuditOptions(
        advisory_db=advisory_db if advisory_db is not None else section.advisory_db,
        service=service or section.service,
        service_url=service_url or section.service_url,
        strict=strict if strict is not None else section.strict,
        timeout=timeout if timeout is not None else section.timeout,
        describe=describe,
        ignore_vulns=tuple(ignore_vulns),
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
    found = auditing.findings(result, snapshot, strict=opts.strict, describe=opts.describe)
    if not opts.ignore_vulns:
        return found
    from envaudit.config import Ignore  # the gate's ignore: an id matches the finding's id or an alias

    ignores = [Ignore(reason="--ignore-vuln", id=vuln) for vuln in opts.ignore_vulns]
    return [f for f in found if not any(i.matches(f) for i in ignores)]


@dataclass(frozen=True, slots=True)
class DeclaredFile:
    """A requirements file given with ``-r``, read once: audited by its pins, and fixed (``--fix``)
    from the same text it was audited from."""

    path: Path
    snapshot: Snapshot  # its exact pins as distributions
    unpinned: tuple[Finding, ...]  # a not-checked finding per requirement that is not an exact pin
    requirements: tuple[Requirement, ...]
    contents: Mapping[Path, bytes]  # every file read, as read

    @property
    def label(self) -> str:
        return str(self.path)


def read_declared(files: Sequence[Path], options: ScanOptions, *, strict: bool) -> list[DeclaredFile]:
    """``-r FILE``: each file's exact pins as a snapshot, and a not-checked finding for each
    requirement that is not one (bad input fails the command before anything is queried)."""
    from envaudit.findings import Location, Severity, finding
    from envaudit.pinned import NOT_PINNED, snapshot_of
    from envaudit.requirements import read_file
    from envaudit.rules import NOT_CHECKED

    out = []
    for path in files:
        requirements, contents = read_file(path, allow_outside=options.allow_outside_includes)
        snapshot, loose = snapshot_of(path, requirements)
        label = str(path)
        unpinned = tuple(
            finding(
                NOT_CHECKED,
                "vulnerabilities",
                r.canonical_name,
                f"{r.text}: {NOT_PINNED.format(where=f'{r.source}:{r.line}' if r.line else r.source)}",
                (label,),
                location=Location(r.source, r.line),
                severity=Severity.ERROR if strict else None,  # unknown is not clean, with --strict
                details={"reason": "not pinned"},
            )
            for r in loose
        )
        out.append(DeclaredFile(path, snapshot, unpinned, requirements, contents))
    return out


def fix_plans(declared: Sequence[DeclaredFile], report: Report) -> list[Plan]:
    """``--fix``: for each requirements file audited, the smallest change of its exact pins that
    removes the vulnerabilities found in them (the highest of the versions that fix each)."""
    from envaudit import pin as pinning
    from envaudit.rules import VULNERABILITY

    plans = []
    for file in declared:
        found: dict[str, list[Finding]] = {}
        for f in report.findings:
            if f.rule == VULNERABILITY and f.environments == (file.label,):
                found.setdefault(f.subject, []).append(f)
        reasons = {name: ", ".join(f.detail("id") or "?" for f in fs) for name, fs in found.items()}
        fixes = {name: [f.detail("fix") or "" for f in fs] for name, fs in found.items()}
        # The highest of the versions that fix each advisory fixes them all; one without a fix: none.
        fixable = {name: max(vs, key=_version_key) for name, vs in fixes.items() if all(vs)}
        plan = pinning.fix_plan(file.path, file.requirements, file.contents, fixable, reasons)
        unfixable = tuple(
            pinning.Proposal(r, pinning.Action.CONFLICT, f"{reasons[name]}: no fixed version known")
            for r in file.requirements
            if (name := r.canonical_name) in fixes and name not in fixable
        )
        plans.append(replace(plan, proposals=plan.proposals + unfixable))
    return plans


def _version_key(version: str) -> tuple[int, object]:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def audit(
    spellings: Sequence[str],
    options: ScanOptions,
    opts: AuditOptions,
    *,
    declared: Sequence[DeclaredFile] = (),
) -> Judged:
    """Known vulnerabilities of every target, and of the exact pins of every requirements file
    (``declared``, see ``read_declared``); targets that cannot be scanned are reported beside."""
    from envaudit import diff as differ
    from envaudit.findings import Check, Labelled, Report
    from envaudit.pinned import TARGET_KIND as PINS_KIND
    from envaudit.rules import FIXED_BY_DISTRIBUTION, NOT_CHECKED, NOT_DECIDED, VULNERABILITY

    if opts.advisory_db is not None and not opts.advisory_db.exists():
        raise InputError(
            str(opts.advisory_db), "no such advisory database (a folder of OSV records, or an OSV zip)"
        )
    results = scan(spellings, options) if spellings else []
    names = labels([r.spec for r in results])
    audited: list[tuple[str, Snapshot, tuple[Finding, ...]]] = [
        (label, r.snapshot, ()) for label, r in zip(names, results, strict=True) if r.snapshot
    ]
    audited += [(file.label, file.snapshot, file.unpinned) for file in declared]
    findings: list[Finding] = []
    environments = []
    checks = []
    for label, snapshot, unpinned in audited:
        environment = differ.environment_of(Labelled(label, snapshot))
        if snapshot.provenance.target_kind == PINS_KIND:  # a requirements file's pins: no interpreter
            environment = replace(environment, python="the file's exact pins, no environment")
        environments.append(environment)
        checks.append(Check(f"vulnerabilities: {label}", "vulnerabilities", (label,)))
        findings.extend(audit_snapshot(label, snapshot, opts, jobs=options.jobs))
        findings.extend(unpinned)
    vulnerable = {(f.environments, f.subject) for f in findings if f.rule == VULNERABILITY}
    fixed = sum(f.rule == FIXED_BY_DISTRIBUTION for f in findings)
    report = Report(
        inventory=tuple((label, snapshot) for label, snapshot, _ in audited),
        command="audit",
        environments=tuple(environments),
        findings=tuple(findings),
        checks=tuple(checks),
        summary=(
            ("vulnerabilities", str(sum(f.rule == VULNERABILITY for f in findings))),
            ("vulnerable packages", str(len(vulnerable))),
            # Not decided (an OS package that may carry a backported fix) is unknown, not clean.
            ("not checked", str(sum(f.rule in (NOT_CHECKED, NOT_DECIDED) for f in findings))),
            *((("fixed by the distribution", str(fixed)),) if fixed else ()),
        ),
    )
    return Judged(located(report, options), tuple(r for r in results if r.error is not None))
