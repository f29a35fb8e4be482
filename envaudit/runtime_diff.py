"""Numerical runtime facts of two environments compared: each difference with why it matters."""

from __future__ import annotations

from envaudit.findings import Finding, Labelled, finding
from envaudit.model import NumericPackage, Runtime
from envaudit.rules import (
    RUNTIME_BLAS,
    RUNTIME_CPU,
    RUNTIME_HASH_SEED,
    RUNTIME_LIMITS,
    RUNTIME_LOCALE,
    RUNTIME_NOT_COMPARED,
    RUNTIME_THREADS,
    RUNTIME_TIMEZONES,
)
from envaudit.severity import Severity

CHECK = "runtime"
BLAS_KINDS = ("openblas", "mkl", "blis", "flexiblas", "blas")
NAMES = {
    "openblas": "OpenBLAS",
    "mkl": "MKL",
    "blis": "BLIS",
    "flexiblas": "FlexiBLAS",
    "blas": "reference BLAS",
}
LAST_BITS = "float reductions may differ in the last bits"


def blas_text(package: NumericPackage | None) -> str:
    """'OpenBLAS 0.3.27 (SkylakeX)' for what numpy loaded, else its build's account, else 'none'."""
    if package is None:
        return "none"
    for lib in package.loaded:
        if lib.kind in BLAS_KINDS:
            name = NAMES[lib.kind]
            return " ".join(
                p for p in (name, lib.version or "", f"({lib.architecture})" if lib.architecture else "") if p
            )
    for build in package.build:
        if build.api == "blas":
            return " ".join(p for p in (build.name, build.version) if p) or "unknown"
    return "unknown"


def _blas_identity(package: NumericPackage | None) -> str:
    """The library and version, without the kernel (a CPU fact, judged by EA903)."""
    return blas_text(package).split(" (", 1)[0]


def threads_text(runtime: Runtime) -> str:
    """The thread counts that decide how reductions are split: what BLAS and OpenMP report."""
    parts = []
    for lib in runtime.numpy.loaded if runtime.numpy else ():
        if lib.threads is not None:
            parts.append(f"{lib.kind} {lib.threads}")
    return ", ".join(parts)


def _changed(what: str, before: str, after: str, why: str) -> str:
    return f"{what}: {before} → {after}: {why}"


def diff_runtime(ref: Labelled, other: Labelled) -> list[Finding]:
    a, b = ref.snapshot.runtime, other.snapshot.runtime
    envs = (ref.label, other.label)
    if a is None and b is None:
        return []
    if a is None or b is None:
        missing = ref.label if a is None else other.label
        message = f"{missing} was scanned without --runtime: numerical runtime facts not compared"
        return [finding(RUNTIME_NOT_COMPARED, CHECK, "runtime", message, envs)]
    out: list[Finding] = []
    for check in (_blas, _threads, _cpu, _limits, _zones, _locale, _hash_seed):
        for rule, subject, message, severity, details in check(a, b, other.label):
            out.append(
                finding(rule, CHECK, subject, message, envs, severity=severity, details=details or None)
            )
    return out


Said = tuple[str, str, str, "Severity | None", dict[str, str]]  # rule, subject, message, severity, details


def _blas(a: Runtime, b: Runtime, _: str) -> list[Said]:
    out: list[Said] = []
    for name in ("numpy", "scipy"):
        pa, pb = getattr(a, name), getattr(b, name)
        if pa is None or pb is None:
            continue  # a package absent on one side is a distribution finding already
        before, after = _blas_identity(pa), _blas_identity(pb)
        if before != after:
            message = _changed(f"{name}'s BLAS", before, after, LAST_BITS)
            out.append((RUNTIME_BLAS, f"{name} BLAS", message, None, {"from": before, "to": after}))
    return out


def _threads(a: Runtime, b: Runtime, _: str) -> list[Said]:
    before, after = threads_text(a), threads_text(b)
    va, vb = dict(a.threads), dict(b.threads)
    changed = [v for v in sorted({*va, *vb}) if va.get(v) != vb.get(v)]
    if before == after and not changed:
        return []
    parts = [f"threads {before or 'unknown'} → {after or 'unknown'}"] if before != after else []
    parts += [f"{v} {va.get(v, 'unset')} → {vb.get(v, 'unset')}" for v in changed]
    message = f"{', '.join(parts)}: BLAS splits reductions by thread, so {LAST_BITS}"
    return [(RUNTIME_THREADS, "threads", message, None, {"from": before, "to": after})]


def _kernels(a: Runtime, b: Runtime) -> list[tuple[str, str]]:
    """OpenBLAS's kernel on each side, where it differs (it follows the CPU)."""
    ours = [lib.architecture for lib in (a.numpy.loaded if a.numpy else ()) if lib.kind == "openblas"]
    theirs = [lib.architecture for lib in (b.numpy.loaded if b.numpy else ()) if lib.kind == "openblas"]
    return [(x, y) for x, y in zip(ours, theirs, strict=False) if x != y]


def _cpu(a: Runtime, b: Runtime, label: str) -> list[Said]:
    kernels = _kernels(a, b)
    flags_a, flags_b = set(a.cpu.flags), set(b.cpu.flags)
    if not kernels and flags_a == flags_b:
        return []
    parts = [f"OpenBLAS kernel {x or '?'} → {y or '?'}" for x, y in kernels[:1]]
    if flags_a - flags_b:
        parts.append("without " + ", ".join(sorted(flags_a - flags_b)))
    if flags_b - flags_a:
        parts.append("with " + ", ".join(sorted(flags_b - flags_a)))
    message = f"{'; '.join(parts)} in {label}: kernels are chosen by CPU feature, so {LAST_BITS}"
    return [(RUNTIME_CPU, "cpu", message, Severity.WARNING if kernels else None, {})]


def _limit(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _limits(a: Runtime, b: Runtime, _: str) -> list[Said]:
    why = "default thread counts and what fits in memory follow it"
    return [
        (RUNTIME_LIMITS, what, _changed(f"cgroup {what}", _limit(x), _limit(y), why), None, {})
        for what, x, y in (
            ("CPU limit", a.limits.cpus, b.limits.cpus),
            ("memory limit", a.limits.memory, b.limits.memory),
        )
        if x != y
    ]


def _zones(a: Runtime, b: Runtime, _: str) -> list[Said]:
    release = "offsets and DST rules of the zones that release changed differ in datetime results"
    local = "naive datetimes and 'now' are read in another zone"
    za, zb = a.timezones, b.timezones
    out: list[Said] = []
    for what, x, y, why in (
        ("OS zoneinfo", za.system, zb.system, release),
        ("tzdata package", za.tzdata_package, zb.tzdata_package, release),
        ("pytz's database", za.pytz, zb.pytz, release),
        ("TZ", za.tz, zb.tz, local),
        ("/etc/localtime", za.localtime or None, zb.localtime or None, local),
    ):
        if x != y:
            message = _changed(what, x or "none", y or "none", why)
            out.append((RUNTIME_TIMEZONES, what, message, None, {"from": x or "", "to": y or ""}))
    return out


def _locale(a: Runtime, b: Runtime, _: str) -> list[Said]:
    la, lb = a.locale, b.locale
    if (la.effective, la.decimal_point, la.encoding) == (lb.effective, lb.decimal_point, lb.encoding):
        return []
    why = (
        f"decimal point {la.decimal_point or '?'!r} → {lb.decimal_point or '?'!r}; number parsing, "
        "formatting and sorting of text follow it"
    )
    return [
        (
            RUNTIME_LOCALE,
            "locale",
            _changed("locale", la.effective or "C", lb.effective or "C", why),
            None,
            {},
        )
    ]


def _hash_seed(a: Runtime, b: Runtime, _: str) -> list[Said]:
    if a.hash_seed == b.hash_seed:
        return []
    unset = "unset (random per process)"
    before, after = a.hash_seed or unset, b.hash_seed or unset
    message = _changed("PYTHONHASHSEED", before, after, "the iteration order of sets of strings differs")
    return [(RUNTIME_HASH_SEED, "PYTHONHASHSEED", message, None, {})]
