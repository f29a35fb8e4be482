"""The gate's policy: what fails a pre-deploy check, from ``[tool.envaudit.gate]`` and flags.

Evaluation is a pure function of findings, policy and today's date: rule overrides first (off, or
another severity), then allowed drift per version level, then ignores (each with a reason and an
optional expiry after which it stops applying and says so), then the severity threshold.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field, replace
from typing import Any

from envaudit.config import ConfigReader
from envaudit.diff import LEVEL_RULES, RULE_LEVELS
from envaudit.errors import InputError
from envaudit.findings import Finding, Severity, Suppressed, Verdict
from envaudit.report import FailOn
from envaudit.rules import RULES


@dataclass(frozen=True, slots=True)
class Ignore:
    reason: str
    package: str | None = None  # glob on the finding's subject
    rule: str | None = None
    id: str | None = None  # a vulnerability id or any of its aliases (PYSEC-, GHSA-, CVE-)
    expires: dt.date | None = None

    def matches(self, f: Finding) -> bool:
        if self.rule is not None and f.rule != self.rule:
            return False
        if self.id is not None and self.id not in _vulnerability_ids(f):
            return False
        return self.package is None or fnmatch.fnmatchcase(f.subject, self.package)

    def describe(self) -> str:
        what = " ".join(p for p in (self.rule, self.id, self.package) if p)
        return f"ignore {what!r} ({self.reason})"


@dataclass(frozen=True, slots=True)
class GatePolicy:
    baseline: str | None = None
    target: str = "local"
    fail_on: FailOn = FailOn.WARNING
    allow_drift: frozenset[str] = frozenset()
    rule_overrides: tuple[tuple[str, str], ...] = ()  # rule id -> "off" or a severity
    fail_on_unpinned: bool = False
    fail_on_loose: bool = False
    audit: bool = False  # also audit the target for known vulnerabilities ([tool.envaudit.audit])
    probe: bool = False  # also run the behavioural probes ([tool.envaudit.probe]) and compare them
    ignores: tuple[Ignore, ...] = field(default=())


GATE_KEYS = {
    "baseline",
    "target",
    "fail_on",
    "allow_drift",
    "rules",
    "fail_on_unpinned",
    "fail_on_loose",
    "ignore",
    "audit",
    "probe",
}
IGNORE_KEYS = {"package", "rule", "id", "reason", "expires"}


def _vulnerability_ids(f: Finding) -> set[str]:
    return {i for i in (f.detail("id") or "", *(f.detail("aliases") or "").split(",")) if i}


def _choice(reader: ConfigReader, key: str, value: str, allowed: list[str]) -> str:
    if value not in allowed:
        raise reader.error(key, f"expected one of {', '.join(allowed)}, got {value!r}")
    return value


def parse_gate(source: str, table: dict[str, Any]) -> GatePolicy:
    """GatePolicy from the ``[tool.envaudit.gate]`` table; errors name the key's full path."""
    reader = ConfigReader(source, table, "tool.envaudit.gate")
    reader.reject_unknown(GATE_KEYS)
    fail_on = _choice(
        reader, "fail_on", reader.string("fail_on", "warning") or "warning", [f.value for f in FailOn]
    )
    drift = reader.str_list("allow_drift", ())
    for level in drift:
        _choice(reader, "allow_drift", level, list(LEVEL_RULES))
    rules_reader = reader.sub("rules")
    overrides: list[tuple[str, str]] = []
    for rule_id, value in rules_reader.table.items():
        if rule_id not in RULES:
            raise rules_reader.error(
                rule_id, f"unknown rule (rules are {min(RULES)}..{max(RULES)}; see README)"
            )
        if not isinstance(value, str) or value not in ("off", *(s.value for s in Severity)):
            raise rules_reader.error(rule_id, 'expected "off", "error", "warning" or "info"')
        overrides.append((rule_id, value))
    ignores_raw = table.get("ignore", [])
    if not isinstance(ignores_raw, list):
        raise reader.error("ignore", "expected an array of tables ([[tool.envaudit.gate.ignore]])")
    ignores = tuple(_ignore(source, item, i) for i, item in enumerate(ignores_raw))
    return GatePolicy(
        baseline=reader.string("baseline"),
        target=reader.string("target", "local") or "local",
        fail_on=FailOn(fail_on),
        allow_drift=frozenset(drift),
        rule_overrides=tuple(overrides),
        fail_on_unpinned=reader.boolean("fail_on_unpinned", False),
        fail_on_loose=reader.boolean("fail_on_loose", False),
        audit=reader.boolean("audit", False),
        probe=reader.boolean("probe", False),
        ignores=ignores,
    )


def _ignore(source: str, item: Any, index: int) -> Ignore:
    path = f"tool.envaudit.gate.ignore[{index}]"
    if not isinstance(item, dict):
        raise InputError(source, f"{path}: expected a table")
    reader = ConfigReader(source, item, path)
    reader.reject_unknown(IGNORE_KEYS)
    reason = reader.string("reason")
    if not reason:
        raise reader.error("reason", "missing: every ignore needs a reason")
    package, rule_id, vuln_id = reader.string("package"), reader.string("rule"), reader.string("id")
    if package is None and rule_id is None and vuln_id is None:
        raise InputError(source, f"{path}: needs a package, a rule or a vulnerability id")
    if rule_id is not None and rule_id not in RULES:
        raise reader.error("rule", f"unknown rule {rule_id!r}")
    expires = item.get("expires")
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise reader.error("expires", f"not a date: {expires!r} (use YYYY-MM-DD)") from None
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    if expires is not None and not isinstance(expires, dt.date):
        raise reader.error("expires", "expected a date (YYYY-MM-DD)")
    return Ignore(reason=reason, package=package, rule=rule_id, id=vuln_id, expires=expires)


def evaluate(
    findings: tuple[Finding, ...], policy: GatePolicy, today: dt.date
) -> tuple[tuple[Finding, ...], Verdict]:
    """The findings with overrides applied, and the verdict on them."""
    overrides = dict(policy.rule_overrides)
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    notes: list[str] = []
    expired_noted: set[int] = set()
    for original in findings:
        override = overrides.get(original.rule)
        if override == "off":
            continue  # a rule turned off is not checked at all
        f = replace(original, severity=Severity(override)) if override is not None else original
        kept.append(f)
        level = RULE_LEVELS.get(f.rule)
        if level is not None and level in policy.allow_drift:
            suppressed.append(Suppressed(f, f"{level} drift is allowed (allow_drift)"))
            continue
        reason = None
        for i, ignore in enumerate(policy.ignores):
            if not ignore.matches(f):
                continue
            if ignore.expires is not None and ignore.expires < today:
                if i not in expired_noted:
                    expired_noted.add(i)
                    notes.append(
                        f"{ignore.describe()} expired on {ignore.expires.isoformat()} and no longer applies"
                    )
                continue
            until = f" until {ignore.expires.isoformat()}" if ignore.expires else ""
            reason = f"ignored{until}: {ignore.reason}"
            break
        if reason is not None:
            suppressed.append(Suppressed(f, reason))
    not_counted = {id(s.finding) for s in suppressed}
    if policy.fail_on is FailOn.NEVER:
        failing: list[Finding] = []
    else:
        threshold = Severity(policy.fail_on.value)
        failing = [f for f in kept if id(f) not in not_counted and f.severity.at_least(threshold)]
    verdict = Verdict(
        passed=not failing,
        fail_on=policy.fail_on.value,
        failing=tuple(failing),
        suppressed=tuple(suppressed),
        notes=tuple(notes),
    )
    return tuple(kept), verdict
