"""Markdown for a pull-request comment or a GitHub step summary."""

from __future__ import annotations

from envaudit.findings import Finding, Report, Severity
from envaudit.report.summary import counts
from envaudit.textsafe import markdown as cell
from envaudit.textsafe import markdown_code as code

ICON = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟡 warning", Severity.INFO: "⚪ info"}
MAX_ROWS = 200  # a PR comment has a size limit; the rest is counted, not dropped silently


def render(report: Report, *, compact: bool = False) -> str:
    c = counts(report)
    status = "✅" if not report.findings else ("❌" if c[Severity.ERROR] else "⚠️")
    if report.verdict is not None:
        status = "✅ gate passed" if report.verdict.passed else "❌ gate failed"
    lines = [
        f"### envaudit {report.command} — {status}: {c[Severity.ERROR]} errors · "
        f"{c[Severity.WARNING]} warnings · {c[Severity.INFO]} info",
        "",
    ]
    for i, e in enumerate(report.environments):
        role = "reference" if i == 0 else "compared"
        lines.append(f"- {role}: **{cell(e.label)}** — {cell(e.python)}, {e.distributions} distributions")
    lines.append("")
    if report.findings:
        lines += ["| severity | rule | environment | finding | where |", "|---|---|---|---|---|"]
        ordered = sorted(report.findings, key=lambda f: (-f.severity.rank, f.check, f.subject))
        for f in ordered[:MAX_ROWS]:
            lines.append(_row(f))
        if len(ordered) > MAX_ROWS:
            lines.append(f"| | | | … and {len(ordered) - MAX_ROWS} more (see the JSON or SARIF report) | |")
        lines.append("")
    else:
        lines += ["No differences found.", ""]
    if report.matrix:
        labels = [e.label for e in report.environments]
        lines += [
            f"<details><summary>Packages that differ across {len(labels)} environments ({len(report.matrix)})"
            "</summary>",
            "",
            "| package | consensus | " + " | ".join(cell(label) for label in labels) + " |",
            "|---|---|" + "---|" * len(labels),
        ]
        for row in report.matrix[:MAX_ROWS]:
            versions = [
                f"**{cell(v or '—')}**" if label in row.outliers else cell(v or "—")
                for label, v in zip(labels, row.versions, strict=True)
            ]
            consensus = cell(row.consensus or "—")
            lines.append(f"| {cell(row.package)} | {consensus} | " + " | ".join(versions) + " |")
        lines += ["", "</details>", ""]
    if report.verdict is not None:
        v = report.verdict
        lines.append(
            f"**Gate:** {'passed' if v.passed else 'failed'} (fails on {v.fail_on} and above); "
            f"{len(report.checks)} checks run."
        )
        for s in v.suppressed:
            subject, reason = cell(s.finding.subject), cell(s.reason)
            lines.append(f"- not counted: {code(s.finding.rule)} {subject} — {reason}")
        for note in v.notes:
            lines.append(f"- note: {cell(note)}")
        if v.tip:
            lines.append(f"- tip: {cell(v.tip)}")
        lines.append("")
    return "\n".join(lines)


def _row(f: Finding) -> str:
    where = code(str(f.location)) if f.location else ""
    env = f.environments[-1] if f.environments else ""
    text = cell(f.message)
    envs = f.environments
    for label, key in ((envs[0] if envs else "", "reference_result"), (env, "result"), ("why", "why")):
        value = f.detail(key)
        if value:  # probe findings: each side's outcome and the change behind it
            text += f"<br>{cell(label)}: {cell(value if len(value) <= 300 else value[:299] + '…')}"
    return f"| {ICON[f.severity]} | {code(f.rule)} | {cell(env)} | {text} | {where} |"
