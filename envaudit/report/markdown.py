"""Markdown for a pull-request comment or a GitHub step summary."""

from __future__ import annotations

from envaudit.findings import Finding, Report, Severity
from envaudit.report.fleet_view import (
    SHOWN_GROUPS,
    SHOWN_OUTLIERS,
    Said,
    differences,
    fleet_of,
    is_fleet,
    members,
    overview,
    package_split,
    said_once,
)
from envaudit.report.summary import counts
from envaudit.textsafe import markdown as cell
from envaudit.textsafe import markdown_code as code

ICON = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟡 warning", Severity.INFO: "⚪ info"}
MAX_ROWS = 200  # rows per table: a PR comment is read, not searched; the rest is counted
# GitHub refuses a comment or step summary over 65,536 characters: stay well under, and say what
# was left out rather than be cut off mid-table.
MAX_CHARS = 60_000


def render(report: Report, *, compact: bool = False) -> str:
    c = counts(report)
    status = "✅" if not report.findings else ("❌" if c[Severity.ERROR] else "⚠️")
    if report.verdict is not None:
        status = "✅ gate passed" if report.verdict.passed else "❌ gate failed"
    if report.unscanned:
        status = f"❌ {len(report.unscanned)} not scanned"
    head = _head(report, c, status)
    tail = _tail(report)
    budget = MAX_CHARS - sum(len(line) + 1 for line in (*head, *tail))
    body = _findings(report, budget)
    budget -= sum(len(line) + 1 for line in body)
    return "\n".join([*head, *body, *_matrix(report, budget), *tail])


def _head(report: Report, c: dict[Severity, int], status: str) -> list[str]:
    lines = [
        f"### envaudit {report.command} — {status}: {c[Severity.ERROR]} errors · "
        f"{c[Severity.WARNING]} warnings · {c[Severity.INFO]} info",
        "",
    ]
    if is_fleet(report):
        lines.append(f"- reference: **{cell(report.reference)}**")
        lines += [f"- {cell(text)}" for text in overview(report)]
    else:
        for i, e in enumerate(report.environments):
            role = "reference" if i == 0 else "compared"
            lines.append(f"- {role}: **{cell(e.label)}** — {cell(e.python)}, {e.distributions} distributions")
    lines.append("")
    if report.unscanned:
        lines.append("**Not scanned** (the run fails):")
        lines += [f"- {code(u.label)}: {cell(u.error)}" for u in report.unscanned]
        lines.append("")
    return lines


def _fits(rows: list[str], budget: int) -> int:
    """How many of ``rows`` fit in ``budget`` characters."""
    used = 0
    for n, row in enumerate(rows):
        used += len(row) + 1
        if used > budget:
            return n
    return len(rows)


def _findings(report: Report, budget: int) -> list[str]:
    if not report.findings:
        return ["No findings." if report.unscanned else "No differences found.", ""]
    if is_fleet(report):  # each thing said once, with the environments it was said of
        ordered: list[Finding | Said] = list(said_once(report.findings))
    else:
        ordered = sorted(report.findings, key=lambda f: (-f.severity.rank, f.check, f.subject))
    rows = [_row(f) if isinstance(f, Finding) else _said_row(f) for f in ordered[:MAX_ROWS]]
    shown = _fits(rows, budget - 300)  # room for the header and the "more" line
    lines = ["| severity | rule | environment | finding | where |", "|---|---|---|---|---|", *rows[:shown]]
    if len(ordered) > shown:
        lines.append(f"| | | | … and {len(ordered) - shown} more (see the JSON or SARIF report) | |")
    return [*lines, ""]


def _fleet(report: Report, budget: int) -> list[str]:
    """Groups, outliers and how each package splits, in place of a matrix a page cannot hold."""
    fleet = fleet_of(report)
    labels = [e.label for e in report.environments]
    lines: list[str] = []
    if fleet.groups:
        lines += ["| group | environments | differs from the reference |", "|---|---|---|"]
        lines += [
            f"| {i} | {cell(members(g.members))} | {cell(differences(g.differs))} |"
            for i, g in enumerate(fleet.groups[:SHOWN_GROUPS], 1)
        ]
        lines.append("")
    if fleet.outliers:
        lines += [
            f"<details><summary>Outliers, farthest from the consensus first ({len(fleet.outliers)})"
            "</summary>",
            "",
            "| environment | differences | what differs |",
            "|---|---|---|",
        ]
        lines += [
            f"| {cell(o.label)} | {o.distance} | {cell(differences(o.differs))} |"
            for o in fleet.outliers[:SHOWN_OUTLIERS]
        ]
        lines += ["", "</details>", ""]
    rows = [
        f"| {cell(row.package)} | {cell(package_split(row, labels))} |" for row in report.matrix[:MAX_ROWS]
    ]
    if rows:
        head = [
            f"<details><summary>Packages that differ ({len(report.matrix)})</summary>",
            "",
            "| package | versions (consensus first) |",
            "|---|---|",
        ]
        shown_rows = _fits(rows, budget - sum(len(line) + 1 for line in (*lines, *head)) - 300)
        lines += [*head, *rows[:shown_rows]]
        if len(report.matrix) > shown_rows:
            lines.append(f"| … and {len(report.matrix) - shown_rows} more packages (see the JSON report) | |")
        lines += ["", "</details>", ""]
    return lines if sum(len(line) + 1 for line in lines) <= budget else []


def _said_row(said: Said) -> str:
    who = cell(members(said.members))
    return f"| {ICON[said.severity]} | {code(said.rule)} | {who} | {cell(said.message)} | |"


def _matrix(report: Report, budget: int) -> list[str]:
    if is_fleet(report):
        return _fleet(report, budget)
    lines: list[str] = []
    if report.matrix and budget > 1000:
        labels = [e.label for e in report.environments]
        lines += [
            f"<details><summary>Packages that differ across {len(labels)} environments ({len(report.matrix)})"
            "</summary>",
            "",
            "| package | consensus | " + " | ".join(cell(label) for label in labels) + " |",
            "|---|---|" + "---|" * len(labels),
        ]
        rows = []
        for row in report.matrix[:MAX_ROWS]:
            versions = [
                f"**{cell(v or '—')}**" if label in row.outliers else cell(v or "—")
                for label, v in zip(labels, row.versions, strict=True)
            ]
            consensus = cell(row.consensus or "—")
            rows.append(f"| {cell(row.package)} | {consensus} | " + " | ".join(versions) + " |")
        shown = _fits(rows, budget - sum(len(line) + 1 for line in lines) - 300)
        lines += rows[:shown]
        if len(report.matrix) > shown:
            lines.append(f"| … and {len(report.matrix) - shown} more packages (see the JSON report) | |")
        lines += ["", "</details>", ""]
    return lines


def _tail(report: Report) -> list[str]:
    lines: list[str] = []
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
    return lines


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
