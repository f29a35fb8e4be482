"""Checks of a single environment that the gate adds to the diff: loose requirements, scan issues."""

from __future__ import annotations

from envaudit.findings import Finding, Location, Severity, finding
from envaudit.model import PinKind, RequirementKind, Snapshot
from envaudit.rules import REQUIREMENT_LOOSE, REQUIREMENT_UNPINNED, SCAN_ISSUE


def requirement_findings(
    label: str, snapshot: Snapshot, *, fail_unpinned: bool, fail_loose: bool
) -> list[Finding]:
    out: list[Finding] = []
    for req in snapshot.requirements:
        if req.kind is not RequirementKind.REQUIREMENT:
            continue
        loc = Location(req.source, req.line)
        if req.pin is PinKind.UNPINNED:
            out.append(
                finding(
                    REQUIREMENT_UNPINNED,
                    "requirements",
                    req.canonical_name,
                    f"`{req.text}` ({loc}) is unpinned",
                    (label,),
                    location=loc,
                    severity=Severity.ERROR if fail_unpinned else None,
                )
            )
        elif req.pin is PinKind.LOWER_BOUND_ONLY:
            out.append(
                finding(
                    REQUIREMENT_LOOSE,
                    "requirements",
                    req.canonical_name,
                    f"`{req.text}` ({loc}) has only a lower bound",
                    (label,),
                    location=loc,
                    severity=Severity.ERROR if fail_loose else None,
                )
            )
    return out


def issue_findings(label: str, snapshot: Snapshot) -> list[Finding]:
    return [
        finding(
            SCAN_ISSUE,
            "scan",
            issue.path or issue.code,
            f"{issue.code}: {issue.message} ({issue.path})",
            (label,),
            details={"code": issue.code},
        )
        for issue in snapshot.issues
    ]
