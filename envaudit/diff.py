"""The differ: findings between a reference environment and the others. Pure functions of snapshots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from envaudit import defaults
from envaudit.dependents import ReverseDependencies
from envaudit.findings import (
    Check,
    Environment,
    Finding,
    Labelled,
    Location,
    MatrixRow,
    Report,
    Severity,
    finding,
)
from envaudit.fleet import summarise
from envaudit.model import (
    Distribution,
    EnvVar,
    OriginKind,
    PinKind,
    Requirement,
    RequirementKind,
    RequirementStatus,
    Snapshot,
)
from envaudit.rules import (
    DISTRIBUTION_ADDED,
    DISTRIBUTION_REMOVED,
    ENV_ADDED,
    ENV_CHANGED,
    ENV_INCOMPARABLE,
    ENV_REMOVED,
    LEVEL_RULES,
    LIBC,
    MARKERS,
    ORIGIN_CHANGED,
    OS_PACKAGE_CHANGED,
    PLATFORM,
    PYTHON_IMPLEMENTATION,
    PYTHON_VERSION,
    REQUIREMENT_FIXED,
    REQUIREMENT_UNSATISFIED,
)

CHECKS = ("distributions", "interpreter", "environment", "requirements")
UNSATISFIED = (RequirementStatus.WRONG_VERSION, RequirementStatus.MISSING)


# --- versions -----------------------------------------------------------------------------------


def change_level(old: str, new: str) -> str | None:
    """How ``old`` -> ``new`` changed: a key of LEVEL_RULES, or None when they are the same version."""
    if old == new:
        return None  # the common case by far; no need to parse
    try:
        a, b = Version(old), Version(new)
    except InvalidVersion:
        return None if old == new else "invalid"
    if a == b:
        return None
    if a.public == b.public:
        return "local"  # +cpu vs +cu121: local labels order lexically, which means nothing, so no direction
    if b < a:
        return "downgrade"
    ra = a.release + (0,) * (3 - len(a.release))
    rb = b.release + (0,) * (3 - len(b.release))
    if ra[0] != rb[0]:
        return "major"
    if a.is_prerelease or b.is_prerelease:
        return "prerelease"
    if ra[1] != rb[1]:
        return "minor"
    return "patch"


def magnitude(old: str, new: str) -> str:
    """major / minor / patch distance between two versions, in either direction."""
    try:
        a, b = Version(old), Version(new)
    except InvalidVersion:
        return "invalid"
    ra = a.release + (0,) * (3 - len(a.release))
    rb = b.release + (0,) * (3 - len(b.release))
    if ra[0] != rb[0]:
        return "major"
    if ra[1] != rb[1]:
        return "minor"
    return "patch"


# --- root causes --------------------------------------------------------------------------------


def _declared(name: str, snapshot: Snapshot) -> list[Requirement]:
    return [
        r for r in snapshot.requirements if r.canonical_name == name and r.kind is RequirementKind.REQUIREMENT
    ]


def root_cause(
    name: str,
    *,
    ref: Snapshot,
    ref_dist: Distribution,
    other: Snapshot,
    dist: Distribution,
    dependents: ReverseDependencies,
) -> tuple[str, Location | None]:
    """Why ``name`` differs: the declared requirement that allowed it or was violated, or its absence."""
    for side, d in (("here", dist), ("in the reference", ref_dist)):
        if d.origin.kind in (OriginKind.EDITABLE, OriginKind.VCS):
            return f"editable/VCS install {side} ({d.origin.kind.value})", None
    declared = _declared(name, other) or _declared(name, ref)
    for snapshot, side in ((other, "here"), (ref, "in the reference")):
        for req in _declared(name, snapshot):
            if req.status is RequirementStatus.WRONG_VERSION:
                loc = Location(req.source, req.line)
                return f"violates `{req.text}` in {loc} {side}", loc
    if declared:
        req = declared[0]
        loc = Location(req.source, req.line)
        if req.pin is PinKind.PINNED:
            return f"pinned by `{req.text}` in {loc}, yet the versions differ", loc
        kind = "unpinned" if req.pin is PinKind.UNPINNED else req.pin.value
        return f"allowed because `{req.text}` in {loc} is {kind}", loc
    parents = dependents.of(name)  # in the environment compared with the reference
    via = f"; required by {', '.join(sorted(parents)[:3])}" if parents else ""
    return f"not declared anywhere (transitive{via})", None


# --- the pairwise diff --------------------------------------------------------------------------


def diff_distributions(ref: Labelled, other: Labelled) -> list[Finding]:
    if ref.snapshot.distributions is other.snapshot.distributions:  # shared when loaded together
        return []
    envs = (ref.label, other.label)
    out: list[Finding] = []
    mine = {d.canonical_name: d for d in ref.snapshot.distributions}
    theirs = {d.canonical_name: d for d in other.snapshot.distributions}
    changed = frozenset(n for n, a in mine.items() if n in theirs and theirs[n].version != a.version)
    dependents = ReverseDependencies(other.snapshot, changed)
    # Snapshots loaded together share the objects of equal distributions (snapshot_io): in a fleet,
    # most pairs are the same object and need no look.
    for name in sorted(n for n in mine.keys() | theirs.keys() if mine.get(n) is not theirs.get(n)):
        a, b = mine.get(name), theirs.get(name)
        if a is None and b is not None:
            out.append(
                finding(
                    DISTRIBUTION_ADDED,
                    "distributions",
                    name,
                    f"{b.name} {b.version} is installed only in {other.label}",
                    envs,
                    details={"to": b.version},
                )
            )
        elif b is None and a is not None:
            out.append(
                finding(
                    DISTRIBUTION_REMOVED,
                    "distributions",
                    name,
                    f"{a.name} {a.version} is missing in {other.label}",
                    envs,
                    details={"from": a.version},
                )
            )
        elif a is not None and b is not None:
            level = change_level(a.version, b.version)
            if level is not None:
                cause, loc = root_cause(
                    name, ref=ref.snapshot, ref_dist=a, other=other.snapshot, dist=b, dependents=dependents
                )
                what = f"{magnitude(a.version, b.version)} downgrade" if level == "downgrade" else level
                out.append(
                    finding(
                        LEVEL_RULES[level],
                        "distributions",
                        name,
                        f"{a.name} {a.version} → {b.version} ({what}): {cause}",
                        envs,
                        location=loc,
                        details={"from": a.version, "to": b.version, "level": level, "cause": cause},
                    )
                )
            elif a.origin is not b.origin and _origin_key(a) != _origin_key(b):  # origins are interned
                out.append(
                    finding(
                        ORIGIN_CHANGED,
                        "distributions",
                        name,
                        f"{a.name} {a.version}: installed from {_origin_text(a)} in {ref.label}, "
                        f"from {_origin_text(b)} in {other.label}",
                        envs,
                        details={"from": _origin_text(a), "to": _origin_text(b)},
                    )
                )
            elif _os_package_key(a) != _os_package_key(b):
                out.append(
                    finding(
                        OS_PACKAGE_CHANGED,
                        "distributions",
                        name,
                        f"{a.name} {a.version}: {_os_package_text(a)} in {ref.label}, "
                        f"{_os_package_text(b)} in {other.label}",
                        envs,
                        details={"from": _os_package_text(a), "to": _os_package_text(b)},
                    )
                )
    return out


def _os_package_text(d: Distribution) -> str:
    p = d.os_package
    return f"OS package {p.name} {p.version} ({p.manager})" if p is not None else "no OS package"


def _os_package_key(d: Distribution) -> tuple[str, str] | None:
    return (d.os_package.name, d.os_package.version) if d.os_package is not None else None


def _origin_key(d: Distribution) -> tuple[str, str | None]:
    # An index install and an unknown one are the same for comparison purposes: neither says more.
    kind = d.origin.kind
    if kind in (OriginKind.INDEX, OriginKind.UNKNOWN):
        return ("index", None)
    return (kind.value, d.origin.commit if kind is OriginKind.VCS else d.origin.url)


def _origin_text(d: Distribution) -> str:
    o = d.origin
    if o.kind is OriginKind.VCS:
        return f"{o.vcs or 'vcs'} commit {(o.commit or '?')[:12]}"
    if o.kind in (OriginKind.INDEX, OriginKind.UNKNOWN):
        return "a package index"
    return f"{o.kind.value} {o.url or ''}".strip()


def diff_interpreter(ref: Labelled, other: Labelled) -> list[Finding]:
    envs = (ref.label, other.label)
    a, b = ref.snapshot.interpreter, other.snapshot.interpreter
    out: list[Finding] = []
    if a.version != b.version:
        level = magnitude(a.version, b.version)
        severity = Severity.WARNING if level == "patch" else Severity.ERROR
        out.append(
            finding(
                PYTHON_VERSION,
                "interpreter",
                "python",
                f"Python {a.version} → {b.version}",
                envs,
                severity=severity,
                details={"from": a.version, "to": b.version, "level": level},
            )
        )
    if a.implementation != b.implementation:
        out.append(
            finding(
                PYTHON_IMPLEMENTATION,
                "interpreter",
                "implementation",
                f"{a.implementation} → {b.implementation}",
                envs,
                details={"from": a.implementation, "to": b.implementation},
            )
        )
    for subject, x, y in (("os", a.os, b.os), ("machine", a.machine, b.machine)):
        if x != y:
            out.append(
                finding(
                    PLATFORM,
                    "interpreter",
                    subject,
                    f"{subject} {x} → {y}",
                    envs,
                    details={"from": x, "to": y},
                )
            )
    la, lb = f"{a.libc} {a.libc_version}".strip(), f"{b.libc} {b.libc_version}".strip()
    if la != lb:
        out.append(
            finding(
                LIBC,
                "interpreter",
                "libc",
                f"libc {la or 'unknown'} → {lb or 'unknown'}",
                envs,
                details={"from": la, "to": lb},
            )
        )
    covered = {
        "python_version",
        "python_full_version",
        "implementation_name",
        "implementation_version",
        "platform_python_implementation",
        "platform_system",
        "platform_machine",
        "sys_platform",
        "os_name",
    }
    ma, mb = dict(a.markers), dict(b.markers)
    for key in sorted((ma.keys() | mb.keys()) - covered):
        # An empty value is unknown (a static image read has no kernel to ask), not a difference.
        if ma.get(key) != mb.get(key) and ma.get(key) != "" and mb.get(key) != "":
            out.append(
                finding(
                    MARKERS,
                    "interpreter",
                    key,
                    f"marker {key}: {ma.get(key)} → {mb.get(key)}",
                    envs,
                    details={"from": ma.get(key) or "", "to": mb.get(key) or ""},
                )
            )
    return out


def _shown(var: EnvVar) -> str:
    if var.redacted:
        return f"<redacted: {var.reason}>" if var.value is None else var.value
    return var.value or ""


def diff_environment(ref: Labelled, other: Labelled) -> list[Finding]:
    envs = (ref.label, other.label)
    same_key = ref.snapshot.provenance.fingerprint_key_id == other.snapshot.provenance.fingerprint_key_id
    if same_key and ref.snapshot.environment is other.snapshot.environment:  # shared when loaded together
        return []
    mine = {v.name: v for v in ref.snapshot.environment}
    theirs = {v.name: v for v in other.snapshot.environment}
    out: list[Finding] = []
    # Equal variables of snapshots loaded together are one object (snapshot_io): no change, unless
    # their secrets were fingerprinted with different keys.
    names = mine.keys() | theirs.keys()
    for name in sorted(names if not same_key else (n for n in names if mine.get(n) is not theirs.get(n))):
        a, b = mine.get(name), theirs.get(name)
        relevant = bool((a and a.relevant) or (b and b.relevant))
        severity = Severity.WARNING if relevant else Severity.INFO
        flag = {"relevant": "true"} if relevant else {}
        if a is None and b is not None:
            out.append(
                finding(
                    ENV_ADDED,
                    "environment",
                    name,
                    f"{name}={_shown(b)} is set only in {other.label}",
                    envs,
                    severity=severity,
                    details=flag,
                )
            )
        elif b is None and a is not None:
            out.append(
                finding(
                    ENV_REMOVED,
                    "environment",
                    name,
                    f"{name} is not set in {other.label}",
                    envs,
                    severity=severity,
                    details=flag,
                )
            )
        elif a is not None and b is not None:
            if a.redacted or b.redacted:
                if not (a.redacted and b.redacted) or not same_key:
                    if a.fingerprint != b.fingerprint or not same_key:
                        out.append(
                            finding(
                                ENV_INCOMPARABLE,
                                "environment",
                                name,
                                f"{name} is a secret whose fingerprints cannot be compared",
                                envs,
                                details=flag,
                            )
                        )
                elif a.fingerprint != b.fingerprint:
                    out.append(
                        finding(
                            ENV_CHANGED,
                            "environment",
                            name,
                            f"{name} changed (secret, compared by fingerprint)",
                            envs,
                            severity=severity,
                            details={**flag, "secret": "true"},
                        )
                    )
            elif a.value != b.value:
                out.append(
                    finding(
                        ENV_CHANGED,
                        "environment",
                        name,
                        f"{name}: {a.value!r} → {b.value!r}",
                        envs,
                        severity=severity,
                        details={**flag, "from": a.value or "", "to": b.value or ""},
                    )
                )
    return out


def _requirement_key(r: Requirement) -> tuple[str, int | None, str]:
    return (r.source, r.line, r.canonical_name)


def diff_requirements(ref: Labelled, other: Labelled) -> list[Finding]:
    if ref.snapshot.requirements is other.snapshot.requirements:  # shared when loaded together
        return []
    envs = (ref.label, other.label)
    mine = {_requirement_key(r): r for r in ref.snapshot.requirements}
    out: list[Finding] = []
    for req in other.snapshot.requirements:
        before = mine.get(_requirement_key(req))
        if before is None or req.kind is RequirementKind.LOCKED:  # lock entries: hygiene.lock_findings
            continue
        loc = Location(req.source, req.line)
        was_ok = before.status is RequirementStatus.SATISFIED
        now_ok = req.status is RequirementStatus.SATISFIED
        if was_ok and req.status in UNSATISFIED:
            got = (
                "missing" if req.status is RequirementStatus.MISSING else f"{req.installed_version} installed"
            )
            out.append(
                finding(
                    REQUIREMENT_UNSATISFIED,
                    "requirements",
                    req.canonical_name,
                    f"`{req.text}` ({loc}) holds in {ref.label} but not in {other.label}: {got}",
                    envs,
                    location=loc,
                    details={"status": req.status.value},
                )
            )
        elif now_ok and before.status in UNSATISFIED:
            out.append(
                finding(
                    REQUIREMENT_FIXED,
                    "requirements",
                    req.canonical_name,
                    f"`{req.text}` ({loc}) fails in {ref.label} but holds in {other.label}",
                    envs,
                    location=loc,
                    details={"status": before.status.value},
                )
            )
    return out


def diff_pair(
    ref: Labelled, other: Labelled, tolerance: float = defaults.TOLERANCE, *, strict: bool = False
) -> list[Finding]:
    findings = [
        *diff_interpreter(ref, other),
        *diff_distributions(ref, other),
        *diff_requirements(ref, other),
        *diff_environment(ref, other),
    ]
    if ref.snapshot.runtime is not None or other.snapshot.runtime is not None:
        from envaudit.runtime_diff import diff_runtime  # scan --runtime

        findings.extend(diff_runtime(ref, other))
    if ref.snapshot.probes is not None or other.snapshot.probes is not None:
        from envaudit.probe.compare import diff_probes  # behaviour, when probes were run

        findings.extend(diff_probes(ref, other, tolerance, strict=strict))
    return findings


# --- many environments ---------------------------------------------------------------------------


def environment_of(item: Labelled) -> Environment:
    s = item.snapshot
    return Environment(
        label=item.label,
        target=s.provenance.target + (f" ({s.provenance.chosen})" if s.provenance.chosen else ""),
        python=f"{s.interpreter.implementation} {s.interpreter.version}",
        distributions=len(s.distributions),
        scanned_at=s.provenance.scanned_at,
    )


def matrix(items: Sequence[Labelled], reference: int = 0) -> tuple[MatrixRow, ...]:
    """Package x environment for every package whose version is not the same everywhere."""
    tables = [{d.canonical_name: d.version for d in item.snapshot.distributions} for item in items]
    names = sorted(set().union(*(t.keys() for t in tables)))
    rows: list[MatrixRow] = []
    for name in names:
        versions = tuple(t.get(name) for t in tables)
        if len(set(versions)) <= 1:
            continue
        counts = Counter(versions)
        top = max(counts.values())
        # Ties go to the reference's version: "consensus" must never be arbitrary.
        consensus = (
            versions[reference]
            if counts[versions[reference]] == top
            else next(v for v in versions if counts[v] == top)
        )
        outliers = tuple(items[i].label for i, v in enumerate(versions) if v != consensus)
        rows.append(MatrixRow(name, versions[reference], consensus, versions, outliers))
    return tuple(rows)


def diff(
    items: Sequence[Labelled],
    reference: int = 0,
    *,
    tolerance: float = defaults.TOLERANCE,
    locks: bool = True,
    strict: bool = False,
) -> Report:
    """Every environment against the reference; with more than two, also the package matrix; and
    with ``locks``, each environment against its project's lock files and its code's imports (the
    gate checks only its target). ``strict``: probes that could not be compared are errors."""
    ref = items[reference]
    ordered = [ref, *(item for i, item in enumerate(items) if i != reference)]
    findings: list[Finding] = []
    checks: list[Check] = []
    for other in ordered[1:]:
        findings.extend(diff_pair(ref, other, tolerance, strict=strict))
        probed = ref.snapshot.probes is not None and other.snapshot.probes is not None
        measured = ref.snapshot.runtime is not None and other.snapshot.runtime is not None
        for c in (*CHECKS, *(("probes",) if probed else ()), *(("runtime",) if measured else ())):
            checks.append(Check(f"{c}: {ref.label} → {other.label}", c, (ref.label, other.label)))
    for item in ordered if locks else ():  # each against its project's lock files, if any
        if any(r.kind is RequirementKind.LOCKED for r in item.snapshot.requirements):
            from envaudit.hygiene import lock_findings

            findings.extend(lock_findings(item.label, item.snapshot))
            checks.append(Check(f"lock files: {item.label}", "locks", (item.label,)))
        if item.snapshot.imports is not None:
            checks.append(Check(f"imports: {item.label}", "imports", (item.label,)))
    if locks and any(i.snapshot.imports is not None for i in ordered):  # the project's imports, everywhere
        from envaudit.importcheck import findings_for

        findings.extend(findings_for(ordered))
    rows = matrix(ordered) if len(ordered) > 2 else ()
    return Report(
        command="diff",
        environments=tuple(environment_of(i) for i in ordered),
        findings=tuple(findings),
        checks=tuple(checks),
        matrix=rows,
        fleet=summarise(ordered, rows) if len(ordered) > 2 else None,
    )
