"""The counts and the one-line summary every findings format shows."""

from __future__ import annotations

from envaudit.findings import Report, Severity


def counts(report: Report) -> dict[Severity, int]:
    out = dict.fromkeys(Severity, 0)
    for f in report.findings:
        out[f.severity] += 1
    return out


def summary_line(report: Report) -> str:
    c = counts(report)
    envs = len(report.environments)
    parts = [f"{c[Severity.ERROR]} errors", f"{c[Severity.WARNING]} warnings", f"{c[Severity.INFO]} info"]
    extra = "".join(f", {v} {k}" for k, v in report.summary)
    if report.unscanned:
        extra += f", {len(report.unscanned)} not scanned"
    verdict = ""
    if report.verdict is not None:
        verdict = "gate PASSED: " if report.verdict.passed else "gate FAILED: "
    compared = report.command in ("diff", "gate", "probe")  # commands with a reference environment
    where = f"across {envs} environments" + (f" (reference {report.reference})" if compared else "")
    return f"summary: {verdict}{', '.join(parts)} {where}{extra}"
