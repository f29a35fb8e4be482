"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers: valid against the OASIS schema,
and within GitHub's stricter rules (every result at a file and line relative to the repository root,
fingerprints unique and stable, suppressions for what the gate ignored, security severities)."""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections import Counter
from typing import Any

from envaudit import __version__
from envaudit.findings import Finding, Location, Report, Severity, Suppressed
from envaudit.rules import RULES, VULNERABILITY

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT = "%SRCROOT%"  # the repository root, as GitHub's upload resolves it
# GitHub ranks security alerts by this score (CVSS-like, 0.1-10): a vulnerability is high by default.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "moderate": "5.5", "medium": "5.5", "low": "2.0"}
DEFAULT_SECURITY_SEVERITY = "8.0"


def _rules() -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules = []
    index = {}
    for i, r in enumerate(sorted(RULES.values(), key=lambda r: r.id)):
        index[r.id] = i
        rule: dict[str, Any] = {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": f"{r.summary}. {r.help}"},
            "help": {"text": r.help, "markdown": f"**{r.summary}.** {r.help}"},
            "defaultConfiguration": {"level": LEVEL[r.severity]},
            "properties": {"tags": ["reproducibility", r.name]},
        }
        if r.id == VULNERABILITY:
            rule["properties"] = {
                "tags": ["security", "vulnerability", "dependency"],
                "security-severity": DEFAULT_SECURITY_SEVERITY,
            }
        rules.append(rule)
    return rules, index


def _uri(report: Report, path: str) -> str:
    """A path as GitHub wants it: relative to the repository root, with forward slashes."""
    path = path.replace("\\", "/")
    if posixpath.isabs(path):
        return path  # outside the repository (--allow-outside-includes): shown, if not tracked
    return posixpath.normpath(posixpath.join(report.base, path)) if report.base else posixpath.normpath(path)


def _where(f: Finding, report: Report) -> Location | None:
    return f.location or report.anchor


def _location(report: Report, loc: Location | None, subject: str) -> dict[str, Any]:
    # Every result needs a file and a line: GitHub rejects an upload with a result that has no file,
    # and tracks an alert across runs by the line's hash.
    uri = _uri(report, loc.path) if loc else (report.base or ".")
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "uriBaseId": ROOT},
            "region": {"startLine": loc.line if loc and loc.line else 1},
        },
        "logicalLocations": [{"name": subject, "kind": "module"}],
    }


def _fingerprint(f: Finding, report: Report, uri: str, seen: Counter[str]) -> str:
    # Stable across runs and target renames (positions of the environments, never their labels),
    # unique per finding (its place, and a count for findings alike in all of that).
    positions = {e.label: str(i) for i, e in enumerate(report.environments)}
    key = "\0".join((f.rule, f.subject, uri, *(positions.get(e, e) for e in f.environments)))
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()


def _result(
    f: Finding, report: Report, index: dict[str, int], suppressed: Suppressed | None, seen: Counter[str]
) -> dict[str, Any]:
    location = _location(report, _where(f, report), f.subject)
    uri = location["physicalLocation"]["artifactLocation"]["uri"]
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"envaudit/v2": _fingerprint(f, report, uri, seen)},
        "properties": {
            "check": f.check,
            "subject": f.subject,
            "environments": list(f.environments),
            **dict(f.details),
        },
    }
    if f.rule == VULNERABILITY:  # the advisory's CVSS score, else its rating, else high
        rating = (f.detail("severity") or "").lower()
        score = f.detail("cvss") or SECURITY_SEVERITY.get(rating, DEFAULT_SECURITY_SEVERITY)
        result["properties"]["security-severity"] = score
    if suppressed is not None:  # what the gate did not count: an alert GitHub shows as dismissed
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": suppressed.reason}
        ]
    return result


def render(report: Report, *, compact: bool = False) -> str:
    rules, index = _rules()
    suppressed = {id(s.finding): s for s in (report.verdict.suppressed if report.verdict else ())}
    seen: Counter[str] = Counter()
    invocation: dict[str, Any] = {"executionSuccessful": not report.unscanned}
    if report.unscanned:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f"{u.label} could not be scanned: {u.error}"},
                "descriptor": {"id": "target-not-scanned"},
                "properties": {"target": u.target, "exitCode": u.exit_code},
            }
            for u in report.unscanned
        ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "envaudit",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        # One category per command, so a gate's and an audit's alerts are tracked apart.
        "automationDetails": {"id": f"envaudit/{report.command}/"},
        "originalUriBaseIds": {ROOT: {"description": {"text": "The root of the repository"}}},
        "results": [_result(f, report, index, suppressed.get(id(f)), seen) for f in report.findings],
        "invocations": [invocation],
        "properties": {
            "command": report.command,
            "environments": [
                {"label": e.label, "target": e.target, "python": e.python} for e in report.environments
            ],
        },
    }
    if report.verdict is not None:
        run["properties"]["gatePassed"] = report.verdict.passed
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"  # a file for upload: kept readable
