"""``gate``: the pre-deploy verdict, the target against the baseline under the project's policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from envaudit import defaults
from envaudit.errors import UsageError
from envaudit.verbs.common import Judged, ScanOptions, labels, located, with_probe_locations
from envaudit.verbs.fanout import scan


def gate(
    options: ScanOptions,
    *,
    baseline: str | None,
    target: str | None,
    fail_on: str | None,
    allow_drift: Sequence[str] = (),
    today: dt.date | None = None,
) -> Judged:
    """``target`` against ``baseline`` under ``[tool.envaudit.gate]``, flags overriding it."""
    from envaudit import config, hygiene, policy
    from envaudit import diff as differ
    from envaudit.findings import Check, Labelled, Report
    from envaudit.importcheck import findings as import_findings
    from envaudit.model import RequirementKind
    from envaudit.severity import FailOn
    from envaudit.verbs.audit import audit_options, audit_snapshot
    from envaudit.verbs.probe import probe_options

    rules = config.load(options.config_file, options.project or Path.cwd()).gate
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
        return Judged(Report(command="gate", environments=(), findings=()), failures)
    base_snapshot, target_snapshot = (r.snapshot for r in results)
    assert base_snapshot is not None and target_snapshot is not None
    ref, other = labels([r.spec for r in results])
    tolerance = options.probe.tolerance if options.probe is not None else defaults.TOLERANCE
    report = differ.diff(
        [Labelled(ref, base_snapshot), Labelled(other, target_snapshot)],
        tolerance=tolerance,
        locks=False,
        strict=options.probe is not None and options.probe.strict,
    )
    extra = [
        *hygiene.requirement_findings(
            other, target_snapshot, fail_unpinned=rules.fail_on_unpinned, fail_loose=rules.fail_on_loose
        ),
        *hygiene.issue_findings(other, target_snapshot),
        *hygiene.lock_findings(other, target_snapshot),
        *import_findings(other, target_snapshot),
    ]
    checks = (
        *report.checks,
        Check(f"declared requirements pinned: {other}", "requirements", (other,)),
        Check(f"scan issues: {other}", "scan", (other,)),
        *(
            (Check(f"lock files: {other}", "locks", (other,)),)
            if any(r.kind is RequirementKind.LOCKED for r in target_snapshot.requirements)
            else ()
        ),
        *((Check(f"imports: {other}", "imports", (other,)),) if target_snapshot.imports is not None else ()),
    )
    if rules.audit:  # [tool.envaudit.gate] audit = true: known vulnerabilities fail the gate too
        extra.extend(audit_snapshot(other, target_snapshot, audit_options(options), jobs=options.jobs))
        checks = (*checks, Check(f"vulnerabilities: {other}", "vulnerabilities", (other,)))
    findings, verdict = policy.evaluate((*report.findings, *extra), rules, today or dt.date.today())
    if not verdict.passed and any(f.check == "distributions" for f in verdict.failing):
        verdict = replace(
            verdict,
            tip=f"pin what drifted: envaudit pin requirements.txt --from {rules.baseline} "
            f"--minimal --against {rules.target}",
        )
    report = replace(report, command="gate", findings=findings, checks=checks, verdict=verdict)
    report = located(with_probe_locations(report, options.probe, options), options)
    return Judged(report, failures)
