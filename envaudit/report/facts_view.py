"""The project's imports and the numerical runtime facts of one snapshot, as rows every scan format
(text, HTML) shows the same way."""

from __future__ import annotations

from envaudit.model import Imports, ModuleSource, Runtime, Snapshot
from envaudit.runtime_diff import blas_text, threads_text

# How each source of a module reads in a report, worst first (the order rows are shown in).
SOURCE_TEXT = {
    ModuleSource.MISSING: "not installed",
    ModuleSource.UNOWNED: "no distribution owns it",
    ModuleSource.DISTRIBUTION: "installed",
    ModuleSource.STDLIB: "standard library",
}
ORDER = list(SOURCE_TEXT)


def import_rows(snapshot: Snapshot) -> list[tuple[str, str, str, str]]:
    """(module, status, provider, where) for each imported module outside the standard library,
    worst first; an undeclared provider says so."""
    imports = snapshot.imports
    if imports is None:
        return []
    from envaudit.importcheck import declared_names

    declared = declared_names(snapshot)
    rows = []
    for m in sorted(imports.modules, key=lambda m: (ORDER.index(m.source), m.module)):
        if m.source is ModuleSource.STDLIB:
            continue
        status = SOURCE_TEXT[m.source]
        if m.source is ModuleSource.DISTRIBUTION and not declared & set(m.distributions):
            status = "installed, not declared"
        if m.conditional:
            status += " (guarded)"
        rows.append((m.module, status, ", ".join(m.distributions), ", ".join(m.places[:2])))
    return rows


def imports_summary(imports: Imports) -> str:
    stdlib = sum(m.source is ModuleSource.STDLIB for m in imports.modules)
    return (
        f"imports ({imports.files} files read: {len(imports.modules) - stdlib} modules outside the "
        f"standard library, {stdlib} in it)"
    )


def _zone(version: str | None) -> str:
    return version or "none"


def runtime_rows(runtime: Runtime) -> list[tuple[str, str]]:
    """(fact, value) lines for the numerical runtime facts."""
    rows = []
    if runtime.numpy is not None:
        rows.append(("numpy BLAS", f"{blas_text(runtime.numpy)} (numpy {runtime.numpy.version})"))
        threads = threads_text(runtime)
        if threads:
            rows.append(("threads", threads))
    if runtime.scipy is not None:
        rows.append(("scipy BLAS", f"{blas_text(runtime.scipy)} (scipy {runtime.scipy.version})"))
    if runtime.threads:
        rows.append(("thread variables", ", ".join(f"{k}={v}" for k, v in runtime.threads)))
    cpu = runtime.cpu
    usable = f", {cpu.usable} usable" if cpu.usable is not None and cpu.usable != cpu.count else ""
    rows.append(("cpu", f"{cpu.model or 'unknown'} · {cpu.count or '?'} CPUs{usable}"))
    if cpu.flags:
        rows.append(("simd", " ".join(cpu.flags)))
    limits = runtime.limits
    rows.append(
        (
            "cgroup limits",
            f"cpus {'none' if limits.cpus is None else f'{limits.cpus:g}'}, memory "
            f"{'none' if limits.memory is None else f'{limits.memory / 2**20:.0f} MiB'}",
        )
    )
    zones = runtime.timezones
    rows.append(
        (
            "time zones",
            f"OS zoneinfo {_zone(zones.system)}, tzdata package {_zone(zones.tzdata_package)}, "
            f"pytz {_zone(zones.pytz)}; local zone {zones.tz or zones.localtime or 'UTC'}",
        )
    )
    loc = runtime.locale
    rows.append(
        (
            "locale",
            f"{loc.effective or 'C'}"
            + (f" (decimal point {loc.decimal_point!r}, {loc.encoding})" if loc.decimal_point else ""),
        )
    )
    rows.append(("PYTHONHASHSEED", runtime.hash_seed if runtime.hash_seed is not None else "unset (random)"))
    return rows
