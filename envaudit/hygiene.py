"""Checks of a single environment that the gate adds to the diff: loose requirements, scan issues."""

from __future__ import annotations

from envaudit.findings import Finding, Location, Severity, finding
from envaudit.model import PinKind, RequirementKind, Snapshot
from envaudit.rules import (
    LOCK_MISMATCH,
    LOCK_MISSING,
    LOCK_STALE,
    LOCK_UNLOCKED,
    REQUIREMENT_LOOSE,
    REQUIREMENT_UNPINNED,
    SCAN_ISSUE,
)


def requirement_findings(
    label: str, snapshot: Snapshot, *, fail_unpinned: bool, fail_loose: bool
) -> list[Finding]:
    out: list[Finding] = []
    for req in snapshot.requirements:
        if req.kind is not RequirementKind.REQUIREMENT:  # constraints and lock entries pin nothing
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


# Scan issues that have a rule of their own.
_ISSUE_RULES = {"lock-stale": (LOCK_STALE, "locks")}


def issue_findings(label: str, snapshot: Snapshot) -> list[Finding]:
    out = []
    for issue in snapshot.issues:
        rule_id, check = _ISSUE_RULES.get(issue.code, (SCAN_ISSUE, "scan"))
        out.append(
            finding(
                rule_id,
                check,
                issue.path or issue.code,
                f"{issue.code}: {issue.message} ({issue.path})",
                (label,),
                details={"code": issue.code},
            )
        )
    return out


def lock_findings(label: str, snapshot: Snapshot) -> list[Finding]:
    """How the environment stands against each lock of its project, entry by entry."""
    from envaudit.lockstate import lock_states

    out: list[Finding] = []
    for state in lock_states(snapshot):
        for r in state.mismatched:
            loc = Location(r.source, r.line)
            out.append(
                finding(
                    LOCK_MISMATCH,
                    "locks",
                    r.canonical_name,
                    f"{r.name} {r.installed_version} is installed; {loc} locks {r.specifier.lstrip('=')}",
                    (label,),
                    location=loc,
                    details={"installed": r.installed_version or "", "locked": r.specifier.lstrip("=")},
                )
            )
        for r in state.missing:
            loc = Location(r.source, r.line)
            out.append(
                finding(
                    LOCK_MISSING,
                    "locks",
                    r.canonical_name,
                    f"{r.text} is locked ({loc}) but not installed",
                    (label,),
                    location=loc,
                    details={"locked": r.specifier.lstrip("=")},
                )
            )
        for u in state.unlocked:
            dist = u.distribution
            why = ""
            if u.pulled_in_by and u.parent_locked:
                why = f"; required by {u.pulled_in_by}, which the lock lists: the lock misses it"
            elif u.pulled_in_by:
                why = f"; pulled in by {u.pulled_in_by}, not locked either"
            out.append(
                finding(
                    LOCK_UNLOCKED,
                    "locks",
                    dist.canonical_name,
                    f"{dist.name} {dist.version} is installed but not in {state.source}{why}",
                    (label,),
                    location=Location(state.source),
                    details={"installed": dist.version, "pulled_in_by": u.pulled_in_by or ""},
                )
            )
    return out
