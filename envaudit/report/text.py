"""Text for people: grouped by check, readable in 80 columns, colour on a terminal, one summary line.

The report is laid out here as lines of styled segments. On a terminal, rich prints them in colour;
in a pipe (CI logs, ``| less``, files) they are joined as plain text, and rich, which costs more
to import than a large diff takes to compute, is never loaded.
"""

from __future__ import annotations

import sys
import textwrap
from collections import defaultdict
from typing import TYPE_CHECKING, TextIO

from envaudit.findings import Finding, MatrixRow, Report, Severity
from envaudit.hostlist import shown
from envaudit.report.fleet_view import (
    RANGES,
    SHOWN_GROUPS,
    SHOWN_OUTLIERS,
    WIDE_FLEET,
    Said,
    differences,
    fleet_of,
    is_fleet,
    members,
    overview,
    package_split,
    plural,
    said_once,
)
from envaudit.report.summary import summary_line
from envaudit.terminal import colour
from envaudit.textsafe import one_line, terminal

if TYPE_CHECKING:
    from rich.console import Console

Segment = tuple[str, str | None]  # text, rich style
Line = list[Segment]

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
ORDER = ("interpreter", "distributions", "requirements", "environment")
INDENT = " " * 16  # under the message column: "  warning EA101 "
PLAIN_WIDTH = 80
NOTHING_FOUND = {"diff": "no differences found", "audit": "no known vulnerabilities found"}


def render_to_string(report: Report, width: int = PLAIN_WIDTH) -> str:
    # Values come from targets: a line break inside one is shown as \n (it must not forge a report
    # line), and every other control character is escaped in one pass over the whole text.
    lines = ("".join(segment for segment, _ in line).replace("\n", "\\n") for line in layout(report, width))
    return terminal("".join(line + "\n" for line in lines))


def render(report: Report, *, compact: bool = False) -> str:
    return render_to_string(report)


def write(report: Report, stream: TextIO) -> None:
    render_to_stream(report, stream)


def render_to_stream(report: Report, stream: TextIO | None = None) -> None:
    """Colour on a terminal (through rich), plain text otherwise."""
    stream = stream or sys.stdout
    if colour(stream):
        from rich.console import Console

        console = Console(file=stream, highlight=False, force_terminal=True)
        print_rich(layout(report, console.width), console)
    else:
        stream.write(render_to_string(report))


def print_rich(lines: list[Line], console: Console) -> None:
    from rich.text import Text

    for line in lines:
        text = Text()
        for segment, style in line:
            text.append(one_line(segment), style=style)
        console.print(text, soft_wrap=True)  # already wrapped to the console's width


def layout(report: Report, width: int) -> list[Line]:
    lines: list[Line] = []
    envs = report.environments
    compared = report.command in ("diff", "gate", "probe")
    title = f"envaudit {report.command}" + (f" · reference {report.reference}" if envs and compared else "")
    lines.append([(title, "bold")])
    if is_fleet(report):
        return lines + _fleet(report, width)
    for e in envs:
        line: Line = [
            ("  ", None),
            (e.label, "bold"),
            (f": {e.python}, {e.distributions} distributions", None),
        ]
        if e.target != e.label:
            line.append((f" ({e.target})", "dim"))
        lines.extend(_wrap_line(line, width, "    "))
    if report.matrix:
        lines.extend(_matrix(report, width))
    fold = bool(report.matrix) and len(envs) > WIDE_FLEET
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[f.check].append(f)
    many = len(envs) > 2
    for check in sorted(groups, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c)):
        items = groups[check]
        lines.append([])
        if check == "distributions" and fold:
            lines.append([(f"{check}: {len(items)} findings, shown in the matrix above", "bold")])
            continue
        lines.append([(f"{check} ({len(items)})", "bold")])
        for f in sorted(items, key=lambda f: (-f.severity.rank, f.environments[-1:], f.subject)):
            lines.extend(_finding(f, many, width))
    return lines + _ending(report, width)


def _ending(report: Report, width: int) -> list[Line]:
    lines: list[Line] = []
    if report.verdict is not None:
        lines.extend(_verdict(report))
    if report.unscanned:
        lines += [[], [(f"not scanned ({len(report.unscanned)})", "bold")]]
        for u in report.unscanned:
            lines.extend(
                _wrap_line([("  error ", "bold red"), (f"{u.label}: {u.error}", None)], width, INDENT)
            )
    elif not report.findings:
        lines += [[], [(NOTHING_FOUND.get(report.command, "nothing found"), "green")]]
    lines += [[], [(summary_line(report), "bold")]]  # one line, whatever its length, for grep
    return lines


def _fleet(report: Report, width: int) -> list[Line]:
    """A fleet: counted and grouped, host names in ranges, each thing said once."""
    fleet = fleet_of(report)
    lines: list[Line] = []
    for text in overview(report):
        lines.extend(_wrap_line([("  " + text, None)], width, "    "))
    if fleet.groups:
        lines += [[], [(f"groups ({len(fleet.groups)}: identical packages, not the reference's)", "bold")]]
        for group in fleet.groups[:SHOWN_GROUPS]:
            lines.extend(
                _wrap_line(
                    [
                        (f"  {len(group.members)} on {shown(group.members, RANGES)}: ", None),
                        (differences(group.differs), "yellow"),
                    ],
                    width,
                    "    ",
                )
            )
        if len(fleet.groups) > SHOWN_GROUPS:
            lines.append(
                [(f"  and {len(fleet.groups) - SHOWN_GROUPS} more groups (see the JSON report)", "dim")]
            )
    if fleet.outliers:
        count = len(fleet.outliers)
        head = f"outliers ({count}, farthest from the consensus first" + (
            f"; {SHOWN_OUTLIERS} shown)" if count > SHOWN_OUTLIERS else ")"
        )
        lines += [[], [(head, "bold")]]
        for o in fleet.outliers[:SHOWN_OUTLIERS]:
            lines.extend(
                _wrap_line(
                    [
                        ("  ", None),
                        (o.label, "bold"),
                        (f": {plural(o.distance, 'difference')}: ", None),
                        (differences(o.differs), "yellow"),
                    ],
                    width,
                    "    ",
                )
            )
    labels = [e.label for e in report.environments]
    if report.matrix:
        lines += [[], [(f"packages that differ ({len(report.matrix)}, consensus first)", "bold")]]
        for row in report.matrix:
            lines.extend(
                _wrap_line(
                    [("  ", None), (row.package, "bold"), (": " + package_split(row, labels), None)],
                    width,
                    "    ",
                )
            )
    shown_checks: dict[str, list[Said]] = defaultdict(list)
    for said in said_once(f for f in report.findings if f.check != "distributions"):
        shown_checks[said.check].append(said)
    folded = sum(1 for f in report.findings if f.check == "distributions")
    if folded:
        lines += [[], [(f"distributions: {folded} findings, shown in the packages above", "bold")]]
    for check in sorted(shown_checks, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c)):
        items = shown_checks[check]
        lines += [[], [(f"{check} ({sum(len(s.members) for s in items)})", "bold")]]
        for said in items:
            lines.extend(_said(said, width))
    return lines + _ending(report, width)


def _said(said: Said, width: int) -> list[Line]:
    where = f" — on {members(said.members)}"
    wrapped = textwrap.wrap(
        said.message + where, width=max(20, width - len(INDENT)), break_on_hyphens=False
    ) or [""]
    first: Line = [
        (f"  {said.severity.value:<7} ", STYLE[said.severity]),
        (said.rule, "cyan"),
        (" " + wrapped[0], None),
    ]
    rest: list[Line] = [[(INDENT + more, None)] for more in wrapped[1:]]
    return [first, *rest]


def _finding(f: Finding, many: bool, width: int) -> list[Line]:
    message = (f"[{f.environments[-1]}] " if many else "") + f.message
    wrapped = textwrap.wrap(message, width=max(20, width - len(INDENT)), break_on_hyphens=False) or [""]
    first: Line = [
        (f"  {f.severity.value:<7} ", STYLE[f.severity]),
        (f.rule, "cyan"),
        (" " + wrapped[0], None),
    ]
    rest: list[Line] = [[(INDENT + more, None)] for more in wrapped[1:]]
    return [first, *rest, *_side_by_side(f, width)]


def _side_by_side(f: Finding, width: int) -> list[Line]:
    """Under a probe finding: what each environment gave, why it changed, and what warned."""
    envs = f.environments
    rows = [
        (envs[0] if envs else "reference", f.detail("reference_result")),
        (envs[-1] if envs else "here", f.detail("result")),
        ("why", f.detail("why")),
        ("warned", f.detail("warnings")),
    ]
    lines: list[Line] = []
    room = max(20, width - len(INDENT))
    for label, value in rows:
        if not value:
            continue
        text = f"{label}: {value}"
        shown = text if len(text) <= room * 3 else text[: room * 3 - 1] + "…"
        for i, part in enumerate(
            textwrap.wrap(shown, width=room, subsequent_indent="  ", break_on_hyphens=False)
        ):
            lines.append([(INDENT + part, "dim" if label in ("why", "warned") or i else None)])
    return lines


def _wrap_line(line: Line, width: int, indent: str) -> list[Line]:
    """Wrap a short styled line if it is too long, keeping its first segments' styles."""
    plain = "".join(text for text, _ in line)
    if len(plain) <= width:
        return [line]
    return [
        [(part, None)]
        for part in textwrap.wrap(plain, width=width, subsequent_indent=indent, break_on_hyphens=False)
    ]


def _matrix(report: Report, width: int) -> list[Line]:
    labels = [e.label for e in report.environments]
    lines: list[Line] = [[], [(f"packages that differ ({len(report.matrix)})", "bold")]]
    headers = ["package", *(label + (" (ref)" if i == 0 else "") for i, label in enumerate(labels))]
    cells = [
        [row.package, *(_cell(label, v, row) for label, v in zip(labels, row.versions, strict=True))]
        for row in report.matrix
    ]
    widths = [max(len(c) for c in column) for column in zip(headers, *cells, strict=True)]
    if len(labels) > WIDE_FLEET or sum(widths) + 2 * len(widths) > width:
        return lines + [_fleet_line(row, labels) for row in report.matrix]
    lines.append(
        [(" " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), "bold")]
    )
    for row_cells in cells:
        line: Line = [(" ", None)]
        for i, (cell, w) in enumerate(zip(row_cells, widths, strict=True)):
            last = i == len(widths) - 1
            line.append((cell if last else cell.ljust(w) + "  ", "yellow" if cell.endswith("*") else None))
        lines.append(line)
    lines.append([("  * differs from the consensus", "dim")])
    return lines


def _cell(label: str, version: str | None, row: MatrixRow) -> str:
    return (version or "—") + (" *" if label in row.outliers else "")


def _fleet_line(row: MatrixRow, labels: list[str]) -> Line:
    agree = sum(1 for v in row.versions if v == row.consensus)
    line: Line = [
        ("  ", None),
        (row.package, "bold"),
        (f"  {row.consensus or 'absent'} on {agree}/{len(labels)}", None),
    ]
    if row.outliers:
        by_label = dict(zip(labels, row.versions, strict=True))
        shown = ", ".join(f"{label} {by_label[label] or 'absent'}" for label in row.outliers[:12])
        more = f" and {len(row.outliers) - 12} more" if len(row.outliers) > 12 else ""
        line.append((f"; differs: {shown}{more}", "yellow"))
    return line


def _verdict(report: Report) -> list[Line]:
    verdict = report.verdict
    assert verdict is not None
    lines: list[Line] = [[], [("checks", "bold")]]
    failing = {(f.check, f.environments) for f in verdict.failing}
    for check in report.checks:
        failed = any(c == check.check and set(envs) <= set(check.environments) for c, envs in failing)
        lines.append([("  ✗ " if failed else "  ✓ ", "red" if failed else "green"), (check.name, None)])
    if verdict.suppressed:
        lines += [[], [(f"not counted ({len(verdict.suppressed)})", "bold")]]
        lines += [
            [(f"  {s.finding.rule} {s.finding.subject}: {s.reason}", "dim")] for s in verdict.suppressed
        ]
    lines += [[(f"note: {note}", "yellow")] for note in verdict.notes]
    headline = (
        "PASSED"
        if verdict.passed
        else f"FAILED: {len(verdict.failing)} findings at or above {verdict.fail_on}"
    )
    lines += [[], [(f"gate {headline}", "bold green" if verdict.passed else "bold red")]]
    if verdict.tip:
        lines.append([(f"tip: {verdict.tip}", None)])
    return lines
