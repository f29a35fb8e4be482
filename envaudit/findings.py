"""Findings: what every judging command (diff, gate, probe, audit) reports, in one shape.

A finding has a stable rule id (see ``rules``), a severity, the environments it concerns, the
thing it is about, and where one applies a location (a requirements file and line). Reports in
every format are rendered from a ``Report``; no format knows where its findings came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from envaudit.model import StrPairs
from envaudit.rules import rule
from envaudit.severity import FailOn, Severity

if TYPE_CHECKING:
    from envaudit.fleet import Fleet
    from envaudit.model import Snapshot

__all__ = ["FailOn", "Severity"]  # re-exported: a finding's reader needs both


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # stable id, e.g. "EA103" (rules.VERSION_MAJOR)
    severity: Severity
    check: str  # the family it belongs to: distributions, interpreter, environment, requirements, ...
    subject: str  # what it is about: a package, a variable, an interpreter fact
    message: str  # one line, plain language
    environments: tuple[str, ...]  # labels of the environments it concerns (reference first)
    location: Location | None = None
    details: StrPairs = ()  # machine-readable facts: from, to, level, cause, ...

    def detail(self, key: str) -> str | None:
        return dict(self.details).get(key)


@dataclass(frozen=True, slots=True)
class Environment:
    """One environment a report covers, as the reader needs to recognise it."""

    label: str
    target: str
    python: str
    distributions: int
    scanned_at: str


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One package across environments: the reference, the consensus, and each environment's version."""

    package: str
    reference: str | None
    consensus: str | None
    versions: tuple[str | None, ...]  # in Report.environments order; None where absent
    outliers: tuple[str, ...]  # labels of environments that differ from the consensus


@dataclass(frozen=True, slots=True)
class Check:
    """A check that was run, for reports that list what passed as well as what failed (JUnit, gate)."""

    name: str  # e.g. "distributions: dev -> prod"
    check: str  # the finding family it covers
    environments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding the gate did not count, and why."""

    finding: Finding
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    fail_on: str  # the threshold, e.g. "warning"
    failing: tuple[Finding, ...]  # the findings that made it fail
    suppressed: tuple[Suppressed, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. expired ignores, suggestions
    tip: str | None = None


@dataclass(frozen=True, slots=True)
class Unscanned:
    """A target that could not be scanned: every format lists it, and the run fails (exit 2 or 3)."""

    label: str
    target: str
    error: str
    exit_code: int


@dataclass(frozen=True, slots=True)
class Report:
    command: str  # diff, gate, probe, audit
    environments: tuple[Environment, ...]
    findings: tuple[Finding, ...]
    checks: tuple[Check, ...] = ()
    matrix: tuple[MatrixRow, ...] = ()
    fleet: Fleet | None = None  # with three or more environments: who shares what, who stands out
    verdict: Verdict | None = None
    summary: StrPairs = field(default=())  # extra counts a command wants in the summary line
    # Where findings without a location of their own are anchored in formats that need a file (SARIF):
    # the project's requirements file or pyproject.toml, when there is one.
    anchor: Location | None = None
    # The threshold the run is judged at (set by the CLI; None: every finding counts, as for diff).
    fail_on: FailOn | None = None
    unscanned: tuple[Unscanned, ...] = ()  # targets that could not be scanned
    base: str = ""  # the project folder relative to the repository root ("" at the root): for locations
    # What was audited, (label, snapshot), for an SBOM of it (audit only); not part of the JSON report.
    inventory: tuple[tuple[str, Snapshot], ...] = field(default=(), metadata={"transient": True})

    @property
    def reference(self) -> str:
        return self.environments[0].label if self.environments else ""

    def failing(self) -> tuple[Finding, ...]:
        """The findings that fail the run: the gate's verdict, else those at the threshold."""
        if self.verdict is not None:
            return self.verdict.failing
        return failing(self.findings, self.fail_on or FailOn.INFO)


@dataclass(frozen=True, slots=True)
class Labelled:
    """A snapshot under the name reports give it (NAME= of the target, or its spelling)."""

    label: str
    snapshot: Snapshot


def finding(
    rule_id: str,
    check: str,
    subject: str,
    message: str,
    envs: tuple[str, ...],
    *,
    severity: Severity | None = None,
    location: Location | None = None,
    details: dict[str, str] | None = None,
) -> Finding:
    """A finding of ``rule_id``, at the rule's default severity unless told otherwise."""
    return Finding(
        rule=rule_id,
        severity=severity or rule(rule_id).severity,
        check=check,
        subject=subject,
        message=message,
        environments=envs,
        location=location,
        details=tuple(sorted((details or {}).items())),
    )


def failing(findings: Iterable[Finding], fail_on: FailOn) -> tuple[Finding, ...]:
    """The findings at or above the threshold (none for ``never``)."""
    threshold = fail_on.threshold
    if threshold is None:
        return ()
    return tuple(f for f in findings if f.severity.at_least(threshold))


def judge(report: Report, fail_on: FailOn) -> bool:
    """Whether a report fails: its gate verdict when it has one, else any finding at ``fail_on``.

    The one place every command (diff, probe, audit, gate) decides its exit status from findings.
    """
    return bool(replace(report, fail_on=fail_on).failing())


def judged(report: Report, fail_on: FailOn, unscanned: Iterable[Unscanned] = ()) -> Report:
    """The report as every format renders it: with the threshold it was judged at and the targets
    that could not be scanned, so each format agrees with the exit code."""
    return replace(report, fail_on=fail_on, unscanned=(*report.unscanned, *unscanned))
