"""The human-readable report of ``envaudit scan``: what was scanned and what deserves a look."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from envaudit.model import ModuleSource, PinKind, Requirement, RequirementKind, RequirementStatus, Snapshot
from envaudit.report.documents import LOOSE, UNSATISFIED, Scanned
from envaudit.report.facts_view import import_rows, imports_summary, runtime_rows
from envaudit.terminal import colour
from envaudit.textsafe import one_line as safe

# Every string from the snapshot passes through ``safe`` (controls escaped) on its way out, and
# nothing is printed as rich markup: "[/x]" in a path is text, "requests[socks]" keeps its extras.


def _resolved(executable: str, resolved: str) -> str:
    return f" → {resolved}" if resolved != executable else ""


def _interpreter_line(snapshot: Snapshot) -> str:
    i = snapshot.interpreter
    libc = f" · {i.libc} {i.libc_version}".rstrip() if i.libc else ""
    venv = " · venv" if i.is_venv else ""
    return safe(f"{i.implementation} {i.version or '(version unknown)'} · {i.os} {i.machine}{libc}{venv}")


def render(document: Scanned, *, compact: bool = False) -> str:
    """The scan report as plain text."""
    buffer = io.StringIO()
    write(document, buffer)
    return buffer.getvalue()


def write(document: Scanned, stream: TextIO) -> None:
    """The scan report on ``stream``: coloured on a terminal; plain elsewhere, without the spaces
    that pad table cells to the end of a line."""
    if colour(stream):
        render_many(
            document.snapshots, Console(file=stream, highlight=False, markup=False, force_terminal=True)
        )
        return
    buffer = io.StringIO()
    render_many(
        document.snapshots,
        Console(file=buffer, highlight=False, markup=False, no_color=True, force_terminal=False),
    )
    stream.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def render_one(snapshot: Snapshot, console: Console, label: str | None = None) -> None:
    p, i = snapshot.provenance, snapshot.interpreter
    title = f"{label} ({p.target})" if label and label != p.target else p.target
    console.print(Text(safe(f"envaudit scan · {title}"), style="bold"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    if p.chosen:  # "local" resolved: which environment it is, and why
        grid.add_row("chosen", Text(safe(p.chosen)))
    grid.add_row(
        "interpreter",
        Text(safe(i.executable + _resolved(i.executable, i.resolved_executable))),
    )
    if i.requested and i.requested != i.executable:
        grid.add_row("requested", Text(safe(i.requested)))
    grid.add_row("python", Text(_interpreter_line(snapshot)))
    grid.add_row("prefix", Text(safe(i.prefix + (f" (base {i.base_prefix})" if i.is_venv else ""))))
    if snapshot.image is not None:
        image = snapshot.image
        tags = f" {', '.join(image.repo_tags)}" if image.repo_tags else ""
        grid.add_row(
            "image",
            Text(
                safe(
                    f"{image.id[:19]}{tags} · {image.os}/{image.architecture} · "
                    f"{len(image.layers)} layers · read {image.read}"
                )
            ),
        )
    shadowed = f" ({len(snapshot.shadowed)} shadowed copies)" if snapshot.shadowed else ""
    grid.add_row("distributions", f"{len(snapshot.distributions)}{shadowed}")
    origins = Counter(d.origin.kind.value for d in snapshot.distributions)
    grid.add_row("origins", ", ".join(f"{n} {k}" for k, n in sorted(origins.items())) or "-")
    if snapshot.distro is not None:
        distro = snapshot.distro
        grid.add_row("os", Text(safe(distro.name or f"{distro.id} {distro.version_id}".strip())))
    console.print(grid)

    _os_packages(snapshot, console)
    _requirements(snapshot, console)
    _imports(snapshot, console)
    _runtime(snapshot, console)
    _probes(snapshot, console)
    _environment(snapshot, console)
    if snapshot.shadowed:
        console.print(Text("shadowed copies (hidden behind an earlier sys.path entry)", style="bold"))
        for d in snapshot.shadowed:
            console.print(Text(safe(f"  {d.name} {d.version} in {d.location}, hidden by {d.shadowed_by}")))
    if snapshot.issues:
        console.print(Text(f"issues ({len(snapshot.issues)})", style="bold yellow"))
        for issue in snapshot.issues:
            where = f" {issue.path}:" if issue.path else ""
            console.print(Text(safe(f"  [{issue.code}]{where} {issue.message}")))
    console.print(Text(summary(snapshot), style="bold"), soft_wrap=True)  # one line, for grep


def _imports(snapshot: Snapshot, console: Console) -> None:
    if snapshot.imports is None:
        return
    console.print(Text(safe(imports_summary(snapshot.imports)), style="bold"))
    rows = import_rows(snapshot)
    if rows:
        table = Table(box=None, padding=(0, 1), show_edge=False)
        for column in ("module", "status", "distribution", "imported at"):
            table.add_column(column, overflow="fold")
        for module, status, provider, where in rows:
            table.add_row(Text(safe(module)), Text(status), Text(safe(provider)), Text(safe(where)))
        console.print(table)
    if snapshot.imports.unused:
        console.print(Text(safe("  declared, never imported: " + ", ".join(snapshot.imports.unused))))


def _runtime(snapshot: Snapshot, console: Console) -> None:
    if snapshot.runtime is None:
        return
    console.print(Text("numerical runtime", style="bold"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for fact, value in runtime_rows(snapshot.runtime):
        grid.add_row("  " + fact, Text(safe(value)))
    console.print(grid)


def _os_packages(snapshot: Snapshot, console: Console) -> None:
    """The distributions an OS package owns: the audit judges them by that package."""
    owned = [d for d in snapshot.distributions if d.os_package is not None]
    if not owned:
        return
    console.print(Text(f"installed by the OS package manager ({len(owned)})", style="bold"))
    for d in owned:
        package = d.os_package
        assert package is not None
        notes = [package.manager]
        if package.source != package.name:
            notes.append(f"source {package.source}")
        if package.fixes:
            notes.append(f"{len({f.id for f in package.fixes})} security fixes in its changelog")
        line = f"  {d.name} {d.version}: {package.name} {package.version} ({', '.join(notes)})"
        console.print(Text(safe(line)))


def _probes(snapshot: Snapshot, console: Console) -> None:
    run = snapshot.probes
    if run is None:
        return
    if not run.applicable:
        console.print(Text(safe(f"probes: not applicable ({run.reason})"), style="bold"))
        return
    stack = ", ".join(f"{name} {version}" for name, version in run.libraries())
    skipped = [f"{s.name} ({s.reason})" for s in run.suites if not s.ran]
    statuses = Counter(c.status.value for c in run.cases)
    warned = sum(bool(c.warnings) for c in run.cases)
    console.print(
        Text(
            safe(
                f"probes ({stack}; suite {run.suite_version}, {run.seconds:.2f}s): {len(run.cases)} cases, "
                + ", ".join(f"{n} {k}" for k, n in sorted(statuses.items()))
                + f", {warned} warned"
                + (f"; suites not run: {', '.join(skipped)}" if skipped else "")
            ),
            style="bold",
        )
    )
    for u in run.user:
        if u.status.value != "ok":
            console.print(Text(safe(f"  {u.name}({u.data}): {u.status.value}: {u.error_type}: {u.error}")))
            continue
        if u.kind == "values":
            parts = ", ".join(f"{part} {dtype} {dict(u.shapes).get(part, '')}" for part, dtype in u.dtypes)
            console.print(Text(safe(f"  {u.name}({u.data}): {u.rows_in} rows in; out: {parts}")))
            continue
        gaps = ", ".join(f"{c.column} {c.count}" for c in u.nan_in if c.count)
        after = ", ".join(f"{c.column} {c.count}" for c in u.nan_out if c.count)
        console.print(
            Text(
                safe(
                    f"  {u.name}({u.data}): {u.rows_in} rows in, {u.rows_out} out; "
                    f"missing before: {gaps or 'none'}; after: {after or 'none'}"
                )
            )
        )
    for m in run.models:
        if m.status.value != "ok":
            console.print(
                Text(safe(f"  model {m.name}({m.data}): cannot be loaded: {m.error_type}: {m.error}"))
            )
            continue
        pickled = "; ".join(f"pickled with scikit-learn {p.pickled}" for p in m.pickled_with[:1])
        ran = ", ".join(f"{o.name} {o.status.value}" for o in m.outputs)
        console.print(
            Text(
                safe(
                    f"  model {m.name}({m.data}): {m.estimator}: {ran}" + (f"; {pickled}" if pickled else "")
                )
            )
        )


def _requirements(snapshot: Snapshot, console: Console) -> None:
    reqs = [r for r in snapshot.requirements if r.kind is not RequirementKind.LOCKED]
    _locks(snapshot, console)
    if not reqs:
        return
    pins = Counter(r.pin.value for r in reqs)
    console.print(
        Text(
            f"declared requirements ({len(reqs)}: "
            + ", ".join(f"{n} {k}" for k, n in sorted(pins.items()))
            + ")",
            style="bold",
        )
    )
    notable = [r for r in reqs if r.pin in LOOSE or r.status in UNSATISFIED]
    if not notable:
        console.print("  all pinned or bounded, and all satisfied")
        return
    table = Table(box=None, padding=(0, 1), show_edge=False)
    table.add_column("requirement", overflow="fold", ratio=1)
    table.add_column("pin", no_wrap=True)
    table.add_column("installed", no_wrap=True)
    table.add_column("declared in", no_wrap=True)
    for r in notable:
        installed = _installed_cell(r)
        where = f"{r.source}:{r.line}" if r.line else r.source
        table.add_row(Text(safe(_shown(r))), PIN_LABELS[r.pin], installed, Text(safe(where)))
    console.print(table)


def _locks(snapshot: Snapshot, console: Console) -> None:
    """Each lock file: how many of its entries for this environment match, and what does not."""
    from envaudit.lockstate import lock_states

    for state in lock_states(snapshot):
        bad = len(state.mismatched) + len(state.missing) + len(state.unlocked)
        console.print(
            Text(
                safe(
                    f"lock {state.source} ({len(state.entries)} for this environment: {state.matching} "
                    f"match, {len(state.mismatched)} other version, {len(state.missing)} missing, "
                    f"{len(state.unlocked)} not locked)"
                ),
                style="bold",
            )
        )
        if not bad:
            continue
        table = Table(box=None, padding=(0, 1), show_edge=False)
        table.add_column("package", overflow="fold", ratio=1)
        table.add_column("locked", no_wrap=True)
        table.add_column("installed", no_wrap=True)
        table.add_column("entry", overflow="fold", ratio=1)
        for r in (*state.mismatched, *state.missing):
            where = f"{r.source}:{r.line}" if r.line else r.source
            locked = Text(safe(r.specifier.lstrip("=")))
            table.add_row(Text(safe(r.name)), locked, _installed_cell(r), Text(safe(where)))
        for u in state.unlocked:
            note = f"not locked (via {u.pulled_in_by})" if u.pulled_in_by else "not locked"
            version = Text(safe(u.distribution.version))
            table.add_row(
                Text(safe(u.distribution.name)), Text("—"), version, Text(safe(note), style="yellow")
            )
        console.print(table)


def _shown(r: Requirement) -> str:
    """The requirement as written, with a URL's password masked."""
    if r.url:
        from envaudit.envvars import mask_url_credentials

        return mask_url_credentials(r.text)
    return r.text


# Short labels keep the table inside 80 columns; JSON and the model keep the full names.
PIN_LABELS = {
    PinKind.PINNED: "pinned",
    PinKind.BOUNDED: "bounded",
    PinKind.LOWER_BOUND_ONLY: "lower bound",
    PinKind.UNPINNED: "unpinned",
    PinKind.URL: "url",
}


def _installed_cell(r: Requirement) -> Text:
    match r.status:
        case RequirementStatus.MISSING:
            return Text("missing", style="red")
        case RequirementStatus.WRONG_VERSION:
            return Text(safe(f"{r.installed_version} ✗"), style="red")
        case RequirementStatus.UNKNOWN:
            return Text(safe(f"{r.installed_version or '?'} ?"), style="yellow")
        case RequirementStatus.NOT_APPLICABLE:
            return Text("n/a", style="dim")
        case RequirementStatus.SATISFIED:
            return Text(safe(r.installed_version or "ok"))


def _environment(snapshot: Snapshot, console: Console) -> None:
    env = snapshot.environment
    if not env:
        return
    redacted = [v for v in env if v.redacted]
    relevant = [v for v in env if v.relevant]
    console.print(
        Text(
            f"environment ({len(env)} variables, {len(relevant)} relevant, {len(redacted)} redacted)",
            style="bold",
        )
    )
    for var in relevant:
        shown = var.value if not var.redacted else f"<redacted {var.fingerprint}>"
        console.print(Text(safe(f"  {var.name}={shown}")))
    if redacted:
        console.print(Text(safe("  redacted: " + ", ".join(f"{v.name} ({v.reason})" for v in redacted))))


def summary(snapshot: Snapshot) -> str:
    reqs = [r for r in snapshot.requirements if r.kind is not RequirementKind.LOCKED]
    loose = sum(r.pin in LOOSE for r in reqs)
    bad = sum(r.status in UNSATISFIED for r in reqs)
    parts = [f"{len(snapshot.distributions)} distributions"]
    if reqs:
        parts.append(f"{len(reqs)} requirements ({loose} loose, {bad} unsatisfied)")
    locked = sum(r.kind is RequirementKind.LOCKED for r in snapshot.requirements)
    if locked:
        off = sum(r.kind is RequirementKind.LOCKED and r.status in UNSATISFIED for r in snapshot.requirements)
        parts.append(f"{locked} locked ({off} not as locked)")
    parts.append(f"{sum(v.redacted for v in snapshot.environment)} secrets redacted")
    parts.append(f"{len(snapshot.issues)} issues")
    if snapshot.imports is not None:
        missing = sum(m.source is ModuleSource.MISSING for m in snapshot.imports.modules)
        parts.append(f"{missing} imports missing")
    if snapshot.probes is not None and snapshot.probes.applicable:
        parts.append(f"{len(snapshot.probes.cases)} probe cases, {len(snapshot.probes.user)} user probes")
    return "summary: " + ", ".join(parts)


def render_many(snapshots: Sequence[tuple[str, Snapshot]], console: Console) -> None:
    """Each (label, snapshot) in turn; the label is the NAME of NAME=TARGET, or the spelling."""
    for n, (label, snapshot) in enumerate(snapshots):
        if n:
            console.print()
        render_one(snapshot, console, label)
