"""HTML for people: a page to open, not read top to bottom (diff, gate, probe, audit).

A matrix of environments (or, for a fleet, of the package sets they share) by packages, coloured
by the severity of what differs, beside the consensus; the probe cases by environment with the
change behind each drift; the user probes' rows and missing values as small bars; every finding,
filterable by severity and rule. One self-contained file (``html_page``); values always escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from envaudit.findings import Finding, MatrixRow, Report, Severity
from envaudit.hostlist import shown
from envaudit.report.fleet_view import RANGES, differences, is_fleet, members, overview, said_once
from envaudit.report.html_page import bars, page, table
from envaudit.report.summary import counts, summary_line
from envaudit.rules import DISTRIBUTION_ADDED, DISTRIBUTION_REMOVED
from envaudit.textsafe import clip
from envaudit.textsafe import html_text as esc

MATRIX_ENVIRONMENTS = 40  # above this many, the matrix's columns are the package sets, not each environment
UNIQUE_COLUMNS = 30  # package sets of one environment shown as columns, the farthest first
PROBE_COLUMNS = 40
MAX_FINDING_ROWS = 5000
CELL = 120  # characters of a probe result shown in a cell; the rest on expanding it


@dataclass(frozen=True)
class Column:
    title: str
    members: tuple[str, ...]  # environments it stands for; the first one's versions are shown
    key: str  # data-column: an environment's label, or "set-N"


def render(report: Report, *, compact: bool = False) -> str:
    body = [
        *_header(report),
        *_environments(report),
        *_matrix(report),
        *_probe_grid(report),
        *_user_probes(report),
        *_findings(report),
        *_verdict(report),
    ]
    return page(f"envaudit {report.command}", body)


def _sev(severity: Severity) -> str:
    return f'<span class="sev {severity.value}">{severity.value}</span>'


def _header(report: Report) -> list[str]:
    c = counts(report)
    state = ""
    if report.verdict is not None:
        state = (
            '<p class="passed">gate PASSED</p>'
            if report.verdict.passed
            else f'<p class="failed">gate FAILED: {len(report.verdict.failing)} findings at or above '
            f"{esc(report.verdict.fail_on)}</p>"
        )
    out = [
        f"<header><h1>envaudit {esc(report.command)}</h1>",
        f'<p class="summary" id="summary">{esc(summary_line(report))}</p>',
        f"<p>{c[Severity.ERROR]} errors · {c[Severity.WARNING]} warnings · {c[Severity.INFO]} info</p>",
        state,
        "</header>\n",
    ]
    if report.unscanned:
        out.append(f'<section id="unscanned"><h2>Not scanned ({len(report.unscanned)})</h2><ul>')
        out += [f"<li><code>{esc(u.label)}</code>: {esc(u.error)}</li>" for u in report.unscanned]
        out.append("</ul></section>\n")
    return out


def _environments(report: Report) -> list[str]:
    out = ['<section id="environments"><h2>Environments</h2><ul class="facts">']
    if is_fleet(report):
        out.append(f"<li>reference: <strong>{esc(report.reference)}</strong></li>")
        out += [f"<li>{esc(line)}</li>" for line in overview(report)]
    else:
        compared = report.command in ("diff", "gate", "probe")
        for i, e in enumerate(report.environments):
            role = ("reference: " if i == 0 else "compared: ") if compared else ""
            out.append(
                f"<li>{role}<strong>{esc(e.label)}</strong> — {esc(e.python)}, {e.distributions} "
                f'distributions <span class="note">({esc(e.target)})</span></li>'
            )
    out.append("</ul></section>\n")
    return out


# --- the matrix ---------------------------------------------------------------------------------


def _rows(report: Report) -> list[MatrixRow]:
    """The package matrix; for two environments (which have none) made from their findings."""
    if report.matrix:
        return list(report.matrix)
    labels = [e.label for e in report.environments]
    if len(labels) != 2:
        return []
    rows = []
    for f in report.findings:
        if f.check == "distributions" and (
            f.detail("level") or f.rule in (DISTRIBUTION_ADDED, DISTRIBUTION_REMOVED)
        ):
            before, after = f.detail("from"), f.detail("to")
            rows.append(MatrixRow(f.subject, before, before, (before, after), (labels[1],)))
    return sorted(rows, key=lambda r: r.package)


def _columns(report: Report) -> tuple[list[Column], str]:
    labels = [e.label for e in report.environments]
    fleet = report.fleet
    if fleet is None or len(labels) <= MATRIX_ENVIRONMENTS:
        return [Column(label, (label,), label) for label in labels], ""
    columns = [Column(f"reference set: {len(fleet.identical)}", fleet.identical, "set-0")]
    for i, group in enumerate(fleet.groups, 1):
        columns.append(Column(f"group {i}: {len(group.members)}", group.members, f"set-{i}"))
    unique = set(fleet.unique)
    alone = [o.label for o in fleet.outliers if o.label in unique][:UNIQUE_COLUMNS]
    columns += [Column(label, (label,), label) for label in alone]
    left = len(fleet.unique) - len(alone)
    note = f"{left} more environments with package sets of their own are in the JSON report." if left else ""
    return columns, note


def _matrix(report: Report) -> list[str]:
    rows = _rows(report)
    if not rows:
        return []
    labels = [e.label for e in report.environments]
    index = {label: i for i, label in enumerate(labels)}
    columns, note = _columns(report)
    severity: dict[tuple[str, str], Finding] = {}
    for f in report.findings:
        if f.check == "distributions" and f.environments:
            key = (f.environments[-1], f.subject)
            if key not in severity or f.severity.rank > severity[key].severity.rank:
                severity[key] = f
    head = "".join(
        f'<th data-column="{esc(c.key)}" title="{esc(shown(c.members, RANGES))}">{esc(c.title)}</th>'
        for c in columns
    )
    body = []
    for row in rows:
        cells = []
        for c in columns:
            version = row.versions[index[c.members[0]]]
            said = severity.get((c.members[0], row.package))
            cls = f"v sev-{said.severity.value}" if said else "v"
            title = f' title="{esc(said.message)}"' if said else ""
            text = esc(version) if version is not None else '<span class="absent">absent</span>'
            cells.append(f'<td class="{cls}" data-column="{esc(c.key)}"{title}>{text}</td>')
        consensus = esc(row.consensus) if row.consensus is not None else '<span class="absent">absent</span>'
        body.append(
            f'<tr data-package="{esc(row.package)}"><th class="pkg">{esc(row.package)}</th>'
            f'<td class="v consensus">{consensus}</td>{"".join(cells)}</tr>\n'
        )
    grid = (
        f'<div class="scroll"><table id="matrix"><thead><tr><th class="pkg">package</th><th>consensus</th>'
        f"{head}</tr></thead><tbody>\n{''.join(body)}</tbody></table></div>"
    )
    what = "package sets shared by the environments" if columns[0].key == "set-0" else "environments"
    return [
        f'<section id="packages"><h2>Packages that differ ({len(rows)})</h2>',
        f'<p class="note">Columns: {what}; a cell is coloured by the severity of its difference '
        "from the reference (hover for why).</p>",
        grid,
        f'<p class="note">{esc(note)}</p>' if note else "",
        *_groups(report),
        "</section>\n",
    ]


def _groups(report: Report) -> list[str]:
    fleet = report.fleet
    if fleet is None or not is_fleet(report):
        return []
    out = []
    if fleet.groups:
        rows = [
            f"<tr><td>group {i}</td><td>{esc(members(g.members))}</td>"
            f'<td class="msg">{esc(differences(g.differs))}</td></tr>\n'
            for i, g in enumerate(fleet.groups, 1)
        ]
        out += ["<h3>Groups</h3>", table(["group", "environments", "differs from the reference"], rows)]
    if fleet.outliers:
        rows = [
            f"<tr><td>{esc(o.label)}</td><td>{o.distance}</td>"
            f'<td class="msg">{esc(differences(o.differs))}</td></tr>\n'
            for o in fleet.outliers[:200]
        ]
        out += [
            f"<h3>Outliers ({len(fleet.outliers)}, farthest from the consensus first)</h3>",
            table(["environment", "differences", "what differs"], rows, table_id="outliers"),
        ]
    return out


# --- probes -------------------------------------------------------------------------------------


def _probe_grid(report: Report) -> list[str]:
    cases = [f for f in report.findings if f.check == "probes" and f.detail("case")]
    if not cases:
        return []
    reference = report.reference
    others: list[str] = []
    for f in cases:
        label = f.environments[-1]
        if label not in others and label != reference:
            others.append(label)
    shown_envs = others[:PROBE_COLUMNS]
    by_case: dict[str, dict[str, Finding]] = {}
    for f in cases:
        by_case.setdefault(f.detail("case") or "", {})[f.environments[-1]] = f
    rows = []
    for case, found in by_case.items():
        first = next(iter(found.values()))
        cells = [f'<td class="v">{esc(clip(first.detail("reference_result") or "", CELL))}</td>']
        for label in shown_envs:
            drift = found.get(label)
            if drift is None:
                cells.append('<td class="v">same</td>')
                continue
            why = drift.detail("why") or ""
            cells.append(
                f'<td class="v sev-{drift.severity.value}" title="{esc(why)}">'
                f"<details><summary>{esc(clip(drift.detail('result') or '', CELL))}</summary>"
                f'<div class="msg">{esc(drift.message)}<br>why: {esc(why)}</div></details></td>'
            )
        rows.append(f'<tr data-case="{esc(case)}"><th class="pkg">{esc(case)}</th>{"".join(cells)}</tr>\n')
    note = (
        f"{len(others) - len(shown_envs)} more environments with drift are in the findings below."
        if len(others) > len(shown_envs)
        else ""
    )
    head = ["case", f"{reference} (reference)", *shown_envs]
    return [
        f'<section id="probes"><h2>Probe cases that drift ({len(by_case)})</h2>',
        '<p class="note">Each cell: what the case gave; expand it for the change behind the drift.</p>',
        table(head, rows, table_id="probe-grid"),
        f'<p class="note">{esc(note)}</p>' if note else "",
        "</section>\n",
    ]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _user_probes(report: Report) -> list[str]:
    charts = []
    for f in report.findings:
        if f.check != "probes" or f.detail("case"):
            continue
        ref, here = f.environments[0], f.environments[-1]
        if f.detail("rows_in") is not None:
            values = [
                ("rows in", _int(f.detail("rows_in")), "in"),
                (f"out: {ref}", _int(f.detail("reference_rows_out")), "ref"),
                (f"out: {here}", _int(f.detail("rows_out")), "here"),
            ]
        elif f.detail("nan_after") is not None:
            values = [
                ("NaN before", _int(f.detail("nan_before")), "in"),
                (f"after: {ref}", _int(f.detail("reference_nan_after")), "ref"),
                (f"after: {here}", _int(f.detail("nan_after")), "here"),
            ]
        else:
            continue
        charts.append(
            f'<figure class="user-probe"><figcaption>{_sev(f.severity)} {esc(f.message)}</figcaption>'
            f"{bars(values)}</figure>\n"
        )
    if not charts:
        return []
    return [f'<section id="user-probes"><h2>Your probes ({len(charts)})</h2>', *charts, "</section>\n"]


# --- findings -----------------------------------------------------------------------------------


def _findings(report: Report) -> list[str]:
    if not report.findings:
        return ['<section id="findings-none"><h2>Findings</h2><p>None.</p></section>\n']
    fleet = is_fleet(report)
    rules = sorted({f.rule for f in report.findings})
    options = "".join(f'<option value="{esc(r)}">{esc(r)}</option>' for r in rules)
    severities = "".join(f'<option value="{s.value}">{s.value}</option>' for s in Severity)
    rows = list(_said_rows(report) if fleet else _finding_rows(report))
    note = ""
    if len(rows) > MAX_FINDING_ROWS:
        note = f"{len(rows) - MAX_FINDING_ROWS} more findings are in the JSON report."
        rows = rows[:MAX_FINDING_ROWS]
    head = ["severity", "rule", "environments" if fleet else "environment", "subject", "finding", "where"]
    return [
        f'<section id="findings-section"><h2>Findings ({len(report.findings)})</h2>',
        '<div class="filters"><label>severity <select id="f-severity"><option value="">all</option>'
        f'{severities}</select></label><label>rule <select id="f-rule"><option value="">all</option>'
        f'{options}</select></label><span id="f-count" class="note"></span></div>',
        table(head, rows, table_id="findings"),
        f'<p class="note">{esc(note)}</p>' if note else "",
        "</section>\n",
    ]


def _finding_rows(report: Report) -> Iterable[str]:
    ordered = sorted(report.findings, key=lambda f: (-f.severity.rank, f.check, f.subject))
    for f in ordered:
        env = f.environments[-1] if f.environments else ""
        where = f"<code>{esc(str(f.location))}</code>" if f.location else ""
        yield _row(f.severity, f.rule, esc(env), f.subject, f.message, where=where)


def _said_rows(report: Report) -> Iterable[str]:
    for said in said_once(report.findings):
        envs = esc(members(said.members))
        yield _row(said.severity, said.rule, envs, said.subject, said.message, where="")


def _row(severity: Severity, rule: str, envs: str, subject: str, message: str, *, where: str) -> str:
    return (
        f'<tr data-severity="{severity.value}" data-rule="{esc(rule)}"><td>{_sev(severity)}</td>'
        f"<td><code>{esc(rule)}</code></td><td>{envs}</td><td>{esc(subject)}</td>"
        f'<td class="msg">{esc(message)}</td><td>{where}</td></tr>\n'
    )


def _verdict(report: Report) -> list[str]:
    v = report.verdict
    if v is None:
        return []
    failing = {(f.check, f.environments) for f in v.failing}
    items = []
    for check in report.checks:
        failed = any(c == check.check and set(envs) <= set(check.environments) for c, envs in failing)
        mark = '<span class="sev error">✗</span>' if failed else '<span class="passed">✓</span>'
        items.append(f"<li>{mark} {esc(check.name)}</li>")
    items += [
        f"<li>not counted: <code>{esc(s.finding.rule)}</code> {esc(s.finding.subject)}: {esc(s.reason)}</li>"
        for s in v.suppressed
    ]
    items += [f"<li>note: {esc(n)}</li>" for n in v.notes]
    if v.tip:
        items.append(f"<li>tip: {esc(v.tip)}</li>")
    return ['<section id="checks"><h2>Checks</h2><ul class="facts">', *items, "</ul></section>\n"]
