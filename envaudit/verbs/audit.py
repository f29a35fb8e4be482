"""``audit``: known vulnerabilities of every target, offline or through an advisory service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit import defaults
from envaudit.errors import InputError
from envaudit.verbs.common import Judged, ScanOptions, labels, located
from envaudit.verbs.fanout import scan

if TYPE_CHECKING:
    from envaudit.findings import Finding
    from envaudit.model import Snapshot


@dataclass(frozen=True, slots=True)
class AuditOptions:
    advisory_db: Path | None = None  # offline; None: online through the service
    service: str = defaults.SERVICE
    service_url: str | None = None
    strict: bool = False  # what could not be checked fails too
    timeout: float = defaults.SERVICE_TIMEOUT


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
    from envaudit import config

    section = config.load(options.config_file, options.project or Path.cwd()).audit
    return AuditOptions(
        advisory_db=advisory_db if advisory_db is not None else section.advisory_db,
        service=service or section.service,
        service_url=service_url or section.service_url,
        strict=strict if strict is not None else section.strict,
        timeout=timeout if timeout is not None else section.timeout,
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
    from envaudit.findings import Check, Labelled, Report
    from envaudit.rules import NOT_CHECKED, VULNERABILITY

    if opts.advisory_db is not None and not opts.advisory_db.exists():
        raise InputError(
            str(opts.advisory_db), "no such advisory database (a folder of OSV records, or an OSV zip)"
        )
    results = scan(spellings, options)
    names = labels([r.spec for r in results])
    findings: list[Finding] = []
    environments = []
    checks = []
    for label, result in zip(names, results, strict=True):
        if result.snapshot is None:
            continue
        environments.append(differ.environment_of(Labelled(label, result.snapshot)))
        checks.append(Check(f"vulnerabilities: {label}", "vulnerabilities", (label,)))
        findings.extend(audit_snapshot(label, result.snapshot, opts, jobs=options.jobs))
    vulnerable = {(f.environments, f.subject) for f in findings if f.rule == VULNERABILITY}
    report = Report(
        command="audit",
        environments=tuple(environments),
        findings=tuple(findings),
        checks=tuple(checks),
        summary=(
            ("vulnerabilities", str(sum(f.rule == VULNERABILITY for f in findings))),
            ("vulnerable packages", str(len(vulnerable))),
            ("not checked", str(sum(f.rule == NOT_CHECKED for f in findings))),
        ),
    )
    return Judged(located(report, options), tuple(r for r in results if r.error is not None))
