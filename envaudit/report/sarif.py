"""SARIF 2.1.0, for GitHub code scanning and other SARIF consumers; valid against the OASIS schema."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from envaudit import __version__
from envaudit.findings import Finding, Location, Report, Severity
from envaudit.rules import RULES

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rules() -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules = []
    index = {}
    for i, r in enumerate(sorted(RULES.values(), key=lambda r: r.id)):
        index[r.id] = i
        rules.append(
            {
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": f"{r.summary}. {r.help}"},
                "help": {"text": r.help, "markdown": f"**{r.summary}.** {r.help}"},
                "defaultConfiguration": {"level": LEVEL[r.severity]},
            }
        )
    return rules, index


def _location(loc: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path, "uriBaseId": "PROJECTROOT"}}
    if loc.line:
        physical["region"] = {"startLine": loc.line}
    return {"physicalLocation": physical}


def _result(f: Finding, index: dict[str, int], anchor: Location | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "partialFingerprints": {
            # Stable across runs, so code scanning tracks one alert per rule, subject and environments.
            "envaudit/v1": hashlib.sha256(
                "\0".join((f.rule, f.subject, *f.environments)).encode()
            ).hexdigest()
        },
        "properties": {
            "check": f.check,
            "subject": f.subject,
            "environments": list(f.environments),
            **dict(f.details),
        },
    }
    where = f.location or anchor
    locations: list[dict[str, Any]] = [_location(where)] if where else []
    for loc in locations:
        loc["logicalLocations"] = [{"name": f.subject, "kind": "module"}]
    result["locations"] = locations or [{"logicalLocations": [{"name": f.subject, "kind": "module"}]}]
    return result


def render(report: Report, *, compact: bool = False) -> str:
    rules, index = _rules()
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "envaudit",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {"PROJECTROOT": {"description": {"text": "The project folder envaudit read"}}},
        "results": [_result(f, index, report.anchor) for f in report.findings],
        "invocations": [{"executionSuccessful": True}],
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
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
