"""Checks of a single environment that the gate adds to the diff: loose requirements, scan issues."""

from __future__ import annotations

from envaudit.diff import finding
from envaudit.findings import Finding, Location, Severity
from envaudit.model import PinKind, RequirementKind, Snapshot


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
                    "EA402",
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
                    "EA403",
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
            "EA501",
            "scan",
            issue.path or issue.code,
            f"{issue.code}: {issue.message} ({issue.path})",
            (label,),
            details={"code": issue.code},
        )
        for issue in snapshot.issues
    ]
