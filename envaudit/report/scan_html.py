"""HTML of ``envaudit scan``: each environment's facts and inventory, and with several, the packages
by environment with those that differ marked. One self-contained page (``html_page``)."""

from __future__ import annotations

from envaudit.findings import Labelled
from envaudit.model import Distribution, Snapshot
from envaudit.report.documents import LOOSE, UNSATISFIED, Scanned
from envaudit.report.facts_view import import_rows, imports_summary, runtime_rows
from envaudit.report.html_page import page, table
from envaudit.textsafe import html_text as esc

# Imports rows coloured as the findings they give would be (import-missing, -unowned, -undeclared).
_IMPORT_CLASS = {
    "not installed": "sev-error",
    "no distribution owns it": "sev-warning",
    "installed, not declared": "sev-warning",
}


def render(document: Scanned, *, compact: bool = False) -> str:
    snapshots = list(document.snapshots)
    body = [
        "<header><h1>envaudit scan</h1>",
        f'<p class="summary" id="summary">{len(snapshots)} environments scanned</p></header>\n',
    ]
    if len(snapshots) > 1:
        body += _matrix(snapshots)
    for i, (label, snapshot) in enumerate(snapshots):
        body += _environment(i, label, snapshot)
    return page("envaudit scan", body)


def _matrix(snapshots: list[tuple[str, Snapshot]]) -> list[str]:
    from envaudit.diff import matrix

    rows = matrix([Labelled(label, s) for label, s in snapshots])
    if not rows:
        return ['<section id="packages"><h2>Packages</h2><p>The same in every environment.</p></section>\n']
    head = "".join(f'<th data-column="{esc(label)}">{esc(label)}</th>' for label, _ in snapshots)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="v{" sev-warning" if label in row.outliers else ""}" data-column="{esc(label)}">'
            f"{esc(v) if v is not None else '<span class=absent>absent</span>'}</td>"
            for (label, _), v in zip(snapshots, row.versions, strict=True)
        )
        consensus = esc(row.consensus or "absent")
        body.append(
            f'<tr data-package="{esc(row.package)}"><th class="pkg">{esc(row.package)}</th>'
            f'<td class="v consensus">{consensus}</td>{cells}</tr>\n'
        )
    return [
        f'<section id="packages"><h2>Packages that differ ({len(rows)})</h2>',
        '<p class="note">Marked: differs from the consensus.</p>',
        '<div class="scroll"><table id="matrix"><thead><tr><th class="pkg">package</th><th>consensus</th>'
        f"{head}</tr></thead><tbody>\n{''.join(body)}</tbody></table></div></section>\n",
    ]


def _environment(index: int, label: str, s: Snapshot) -> list[str]:
    i = s.interpreter
    facts = [
        f"target: <code>{esc(s.provenance.target)}</code> ({esc(s.provenance.target_kind)})",
        f"python: {esc(i.implementation)} {esc(i.version)} at <code>{esc(i.executable)}</code>"
        + (" (venv)" if i.is_venv else ""),
        f"platform: {esc(' '.join(p for p in (i.os, i.machine, i.libc, i.libc_version) if p))}",
        f"scanned {esc(s.provenance.scanned_at)} on {esc(s.provenance.scanned_on)}",
    ]
    if s.image is not None:
        facts.append(
            f"image: <code>{esc(s.image.reference)}</code> {esc(s.image.id[:19])} ({esc(s.image.read)})"
        )
    dists = [
        f'<tr data-package="{esc(d.canonical_name)}"><th class="pkg">{esc(d.name)}</th>'
        f'<td class="v">{esc(d.version)}</td><td>{esc(d.installer or "")}</td>'
        f"<td>{esc(d.origin.kind.value)}</td><td>{esc(_os_package(d))}</td></tr>\n"
        for d in sorted(s.distributions, key=lambda d: d.canonical_name)
    ]
    out = [
        f'<section class="environment" id="env-{index}"><h2>{esc(label)}</h2><ul class="facts">',
        *(f"<li>{fact}</li>" for fact in facts),
        "</ul>",
        f"<h3>Distributions ({len(s.distributions)})</h3>",
        table(["name", "version", "installer", "origin", "OS package"], dists, table_id=f"dists-{index}"),
    ]
    if s.requirements:
        reqs = [
            f'<tr class="{"sev-warning" if r.pin in LOOSE or r.status in UNSATISFIED else ""}">'
            f"<td><code>{esc(r.text)}</code></td><td>{esc(r.source)}{f':{r.line}' if r.line else ''}</td>"
            f"<td>{esc(r.pin.value)}</td><td>{esc(r.status.value)}</td>"
            f"<td>{esc(r.installed_version or '')}</td></tr>\n"
            for r in s.requirements
        ]
        out += [
            f"<h3>Declared requirements ({len(s.requirements)})</h3>",
            table(["requirement", "where", "pin", "status", "installed"], reqs),
        ]
    if s.imports is not None:
        rows = [
            f'<tr class="{_IMPORT_CLASS.get(status.split(" (")[0], "")}"><th class="pkg">{esc(module)}</th>'
            f"<td>{esc(status)}</td><td>{esc(provider)}</td><td>{esc(where)}</td></tr>\n"
            for module, status, provider, where in import_rows(s)
        ]
        out += [f"<h3>{esc(imports_summary(s.imports).capitalize())}</h3>"]
        out += [table(["module", "status", "distribution", "imported at"], rows, table_id=f"imports-{index}")]
        if s.imports.unused:
            out += [f"<p>Declared, never imported: {esc(', '.join(s.imports.unused))}</p>"]
    if s.runtime is not None:
        facts_rows = [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>\n" for k, v in runtime_rows(s.runtime)]
        out += [
            "<h3>Numerical runtime</h3>",
            table(["fact", "value"], facts_rows, table_id=f"runtime-{index}"),
        ]
    if s.issues:
        out += [f"<h3>Issues ({len(s.issues)})</h3><ul>"]
        out += [f"<li><code>{esc(x.code)}</code> {esc(x.message)}</li>" for x in s.issues]
        out.append("</ul>")
    out.append("</section>\n")
    return out


def _os_package(d: Distribution) -> str:
    p = d.os_package
    return f"{p.name} {p.version} ({p.manager})" if p is not None else ""
