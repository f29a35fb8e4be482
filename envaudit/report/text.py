"""Text for people: grouped by check, colour on a terminal, readable in 80 columns, one summary line."""

from __future__ import annotations

import io
import textwrap
from collections import defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from envaudit.findings import Finding, MatrixRow, Report, Severity
from envaudit.report import summary_line

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
ORDER = ("interpreter", "distributions", "requirements", "environment")
WIDE_FLEET = 6  # above this many environments, the matrix is listed rather than tabulated


def render_to_string(report: Report, width: int = 100) -> str:
    buffer = io.StringIO()
    render(report, Console(file=buffer, width=width, color_system=None, highlight=False))
    return buffer.getvalue()


def render(report: Report, console: Console) -> None:
    envs = report.environments
    title = f"envaudit {report.command}"
    if envs:
        title += f" · reference {report.reference}"
    console.print(Text(title, style="bold"))
    for e in envs:
        line = Text("  ")
        line.append(e.label, style="bold")
        line.append(f": {e.python}, {e.distributions} distributions")
        if e.target != e.label:
            line.append(f" ({e.target})", style="dim")
        console.print(line)

    if report.matrix:
        _matrix(report, console)
    fold_distributions = bool(report.matrix) and len(envs) > WIDE_FLEET
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[f.check].append(f)
    many = len(envs) > 2
    for check in sorted(groups, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c)):
        items = groups[check]
        if check == "distributions" and fold_distributions:
            console.print(Text(f"\n{check}: {len(items)} findings, shown in the matrix above", style="bold"))
            continue
        console.print(Text(f"\n{check} ({len(items)})", style="bold"))
        console.print(_findings_block(items, many, console.width), soft_wrap=True)
    if report.verdict is not None:
        _verdict(report, console)
    if not report.findings:
        console.print(Text("\nno differences found", style="green"))
    console.print()
    console.print(Text(summary_line(report), style="bold"), soft_wrap=True)


def _findings_block(items: list[Finding], many: bool, width: int) -> Text:
    """One Text for a group of findings, wrapped with a hanging indent under the message column.

    Wrapping here (textwrap) rather than in a rich Table keeps large reports fast to print.
    """
    block = Text()
    indent = " " * 16  # "  warning EA101 "
    for f in sorted(items, key=lambda f: (-f.severity.rank, f.environments[-1:], f.subject)):
        message = (f"[{f.environments[-1]}] " if many else "") + f.message
        lines = textwrap.wrap(message, width=max(20, width - len(indent)), break_on_hyphens=False) or [""]
        if block:
            block.append("\n")
        block.append(f"  {f.severity.value:<7} ", style=STYLE[f.severity])
        block.append(f.rule, style="cyan")
        block.append(" " + lines[0])
        for line in lines[1:]:
            block.append("\n" + indent + line)
    return block


def _matrix(report: Report, console: Console) -> None:
    labels = [e.label for e in report.environments]
    console.print(Text(f"\npackages that differ ({len(report.matrix)})", style="bold"))
    if len(labels) <= WIDE_FLEET:
        table = Table(box=None, padding=(0, 1), show_edge=False)
        table.add_column("package", overflow="fold")
        for i, label in enumerate(labels):
            table.add_column(label + (" (ref)" if i == 0 else ""), overflow="fold")
        for row in report.matrix:
            cells = [Text(row.package)]
            for label, version in zip(labels, row.versions, strict=True):
                shown = version or "—"
                cells.append(Text(shown + " *", style="yellow") if label in row.outliers else Text(shown))
            table.add_row(*cells)
        console.print(table)
        console.print("  * differs from the consensus", style="dim")
        return
    for row in report.matrix:
        console.print(_fleet_line(row, labels), soft_wrap=False)


def _fleet_line(row: MatrixRow, labels: list[str]) -> Text:
    agree = sum(1 for v in row.versions if v == row.consensus)
    line = Text("  ")
    line.append(row.package, style="bold")
    line.append(f"  {row.consensus or 'absent'} on {agree}/{len(labels)}")
    if row.outliers:
        by_label = dict(zip(labels, row.versions, strict=True))
        shown = ", ".join(f"{label} {by_label[label] or 'absent'}" for label in row.outliers[:12])
        more = f" and {len(row.outliers) - 12} more" if len(row.outliers) > 12 else ""
        line.append(f"; differs: {shown}{more}", style="yellow")
    return line


def _verdict(report: Report, console: Console) -> None:
    verdict = report.verdict
    assert verdict is not None
    console.print(Text("\nchecks", style="bold"))
    failing_checks = {(f.check, f.environments) for f in verdict.failing}
    for check in report.checks:
        failed = any(c == check.check and set(envs) <= set(check.environments) for c, envs in failing_checks)
        mark = Text("  ✗ " if failed else "  ✓ ", style="red" if failed else "green")
        mark.append(check.name)
        console.print(mark)
    if verdict.suppressed:
        console.print(Text(f"\nnot counted ({len(verdict.suppressed)})", style="bold"))
        for s in verdict.suppressed:
            console.print(f"  {s.finding.rule} {s.finding.subject}: {s.reason}", style="dim", markup=False)
    for note in verdict.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    headline = (
        "PASSED"
        if verdict.passed
        else f"FAILED: {len(verdict.failing)} findings at or above {verdict.fail_on}"
    )
    console.print(Text(f"\ngate {headline}", style="bold green" if verdict.passed else "bold red"))
    if verdict.tip:
        console.print(Text(f"tip: {verdict.tip}"))
