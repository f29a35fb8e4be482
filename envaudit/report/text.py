"""Text for people: grouped by check, colour on a terminal, readable in 80 columns, one summary line."""

from __future__ import annotations

import io
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
        # A grid keeps wrapped messages aligned under their own column in 80 columns.
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for f in sorted(items, key=lambda f: (-f.severity.rank, f.environments[-1:], f.subject)):
            message = Text()
            if many:
                message.append(f"[{f.environments[-1]}] ", style="bold")
            message.append(f.message)
            grid.add_row(
                Text(f"  {f.severity.value:<7}", style=STYLE[f.severity]), Text(f.rule, style="cyan"), message
            )
        console.print(grid)
    if report.verdict is not None:
        _verdict(report, console)
    if not report.findings:
        console.print(Text("\nno differences found", style="green"))
    console.print()
    console.print(Text(summary_line(report), style="bold"), soft_wrap=True)


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
