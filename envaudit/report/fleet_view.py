"""What the text, Markdown and HTML reports say about a fleet, worded once.

A fleet report is read by a person: environments are counted and named in ranges, findings that
say the same thing of many environments are said once with the environments they concern, and
every list stops at a length a screen holds (the JSON report has everything).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from envaudit.findings import Finding, MatrixRow, Report, Severity
from envaudit.fleet import Cohort, Fleet, split
from envaudit.hostlist import natural_key, shown

WIDE_FLEET = 6  # above this many environments, reports summarise the fleet rather than list it
SHOWN_GROUPS = 10
SHOWN_OUTLIERS = 10
SHOWN_DIFFERS = 4  # of one group's or outlier's differences
SHOWN_VERSIONS = 4  # of a package, besides the consensus
RANGES = 6  # host ranges on one line


def is_fleet(report: Report) -> bool:
    return report.fleet is not None and len(report.environments) > WIDE_FLEET


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def cohorts(items: Sequence[Cohort], size: int) -> str:
    """ "cpython 3.11.7 on 900; cpython 3.12.8 on 100: batch-[001-100]": the most common unnamed."""
    if len(items) == 1 and len(items[0].members) == size:
        return f"{items[0].value} on all {size}"
    parts = [
        f"{c.value} on {len(c.members)}" + (f": {shown(c.members, RANGES)}" if i else "")
        for i, c in enumerate(items[:8])
    ]
    if len(items) > 8:
        parts.append(f"and {len(items) - 8} more")
    return "; ".join(parts)


def overview(report: Report) -> list[str]:
    """The fleet in a few lines: who, on what, and how the package sets fall."""
    fleet = report.fleet
    assert fleet is not None
    labels = [e.label for e in report.environments]
    grouped = sum(len(g.members) for g in fleet.groups)
    lines = [
        f"{fleet.size} environments: {shown(labels, RANGES)}",
        f"interpreters: {cohorts(fleet.interpreters, fleet.size)}",
        f"platforms: {cohorts(fleet.platforms, fleet.size)}",
    ]
    if fleet.images:
        lines.append(f"images: {cohorts(fleet.images, sum(len(c.members) for c in fleet.images))}")
    lines.append(
        f"package sets: {len(fleet.identical)} identical to the reference; "
        f"{grouped} in {plural(len(fleet.groups), 'group')}; {len(fleet.unique)} unique"
    )
    return lines


def members(names: Sequence[str]) -> str:
    """ "60: web-[01-60]": how many environments, and which, in ranges."""
    return f"{len(names)}: {shown(names, RANGES)}"


def differences(items: Sequence[str]) -> str:
    head = ", ".join(items[:SHOWN_DIFFERS])
    return head + (f" and {len(items) - SHOWN_DIFFERS} more" if len(items) > SHOWN_DIFFERS else "")


def package_split(row: MatrixRow, labels: Sequence[str]) -> str:
    """ "2.2.3 on 940; 3.0.6 on 60: web-[01-60]": the consensus counted, the others named, the
    rarest only counted."""
    versions = split(row, labels)
    parts = []
    for i, (version, members) in enumerate(versions[: SHOWN_VERSIONS + 1]):
        text = f"{version or 'absent'} on {len(members)}"
        parts.append(text + (f": {shown(members, RANGES)}" if i else ""))
    rest = versions[SHOWN_VERSIONS + 1 :]
    if rest:
        parts.append(f"{len(rest)} other versions on {sum(len(m) for _, m in rest)}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Said:
    """One thing a finding says, and every environment it was said of."""

    severity: Severity
    rule: str
    check: str
    subject: str
    message: str  # with the environment's own name taken out
    members: tuple[str, ...]


def said_once(findings: Iterable[Finding]) -> list[Said]:
    """Findings that say the same of several environments, merged; most severe and widest first."""
    merged: dict[tuple[Severity, str, str, str, str], list[str]] = {}
    for f in findings:
        here = f.environments[-1] if f.environments else ""
        message = re.sub(rf" in {re.escape(here)}(?![\w.-])", " there", f.message) if here else f.message
        merged.setdefault((f.severity, f.rule, f.check, f.subject, message), []).append(here)
    out = [Said(*key, members=tuple(members)) for key, members in merged.items()]
    out.sort(key=lambda s: (-s.severity.rank, -len(s.members), s.check, s.subject, natural_key(s.message)))
    return out


def fleet_of(report: Report) -> Fleet:
    assert report.fleet is not None
    return report.fleet
