"""The gate's policy: what fails a pre-deploy check, from ``[tool.envaudit.gate]`` and flags.

Evaluation is a pure function of findings, policy and today's date: rule overrides first (off, or
another severity), then allowed drift per version level, then ignores (each with a reason and an
optional expiry after which it stops applying and says so), then the severity threshold. The policy
itself is read and validated with the rest of the configuration (``config``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from envaudit.config import GatePolicy, Ignore, parse_gate
from envaudit.findings import Finding, Severity, Suppressed, Verdict, failing
from envaudit.rules import RULE_LEVELS

__all__ = ["GatePolicy", "Ignore", "evaluate", "parse_gate"]


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
    fails = failing((f for f in kept if id(f) not in not_counted), policy.fail_on)
    verdict = Verdict(
        passed=not fails,
        fail_on=policy.fail_on.value,
        failing=fails,
        suppressed=tuple(suppressed),
        notes=tuple(notes),
    )
    return tuple(kept), verdict
