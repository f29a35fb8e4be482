"""Report formats. Every judging command renders a ``findings.Report`` through one of these."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model is imported only when a report is rendered, not when the CLI starts
    from envaudit.findings import Report, Severity


class FailOn(StrEnum):
    """The severity at which a judged report fails (``never``: it does not)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"


def counts(report: Report) -> dict[Severity, int]:
    from envaudit.findings import Severity

    out = dict.fromkeys(Severity, 0)
    for f in report.findings:
        out[f.severity] += 1
    return out


def summary_line(report: Report) -> str:
    from envaudit.findings import Severity

    c = counts(report)
    envs = len(report.environments)
    parts = [f"{c[Severity.ERROR]} errors", f"{c[Severity.WARNING]} warnings", f"{c[Severity.INFO]} info"]
    extra = "".join(f", {v} {k}" for k, v in report.summary)
    verdict = ""
    if report.verdict is not None:
        verdict = "gate PASSED: " if report.verdict.passed else "gate FAILED: "
    compared = report.command in ("diff", "gate", "probe")  # commands with a reference environment
    where = f"across {envs} environments" + (f" (reference {report.reference})" if compared else "")
    return f"summary: {verdict}{', '.join(parts)} {where}{extra}"


def render(report: Report, fmt: ReportFormat, *, compact: bool = False) -> str:
    """The report as text in ``fmt`` (for TEXT: plain, uncoloured; the CLI prints colour on a TTY).

    ``compact`` drops JSON indentation, for a program reading a pipe (and ~10x faster to encode).
    """
    match fmt:
        case ReportFormat.TEXT:
            from envaudit.report import text

            return text.render_to_string(report)
        case ReportFormat.JSON:
            from envaudit.report import json_report

            return json_report.render(report, indent=None if compact else 2)
        case ReportFormat.MARKDOWN:
            from envaudit.report import markdown

            return markdown.render(report)
        case ReportFormat.SARIF:
            from envaudit.report import sarif

            return sarif.render(report)
        case ReportFormat.JUNIT:
            from envaudit.report import junit

            return junit.render(report)
