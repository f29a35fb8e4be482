"""The project's imports against one environment, and the findings they give.

``classify`` runs when a snapshot is built: each module the code imports is looked up among what the
in-target scanner reported (``inprocess/modules.py``): the standard library of that Python, the
distributions installed there, or other names importable there. ``findings`` judges a snapshot's
``Imports`` against its declared requirements: imported but not declared (with the declared package
that pulls it in, and the constraint that holds it), imported but not installed, declared but never
imported.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from envaudit.codeimports import ProjectImports
from envaudit.dependents import required
from envaudit.findings import Finding, Labelled, Location, finding
from envaudit.model import (
    Distribution,
    ImportedModule,
    Imports,
    ModuleSource,
    Requirement,
    RequirementKind,
    Snapshot,
    StrPairs,
)
from envaudit.rules import IMPORT_MISSING, IMPORT_UNDECLARED, IMPORT_UNOWNED, REQUIREMENT_UNUSED
from envaudit.severity import Severity

# Groups whose packages the code is expected to import; dev, test and docs groups hold tools.
MAIN_GROUPS = (None, "dependencies", "poetry:dependencies")


def _strings(value: Any, limit: int = 10_000) -> list[str]:
    """A list of strings from the target (untrusted): anything else dropped, bounded."""
    if not isinstance(value, list):
        return []
    return [v[:200] for v in value[:limit] if isinstance(v, str)]


def classify(
    project: ProjectImports, raw: Mapping[str, Any] | None, active: Sequence[Distribution],
    requirements: Sequence[Requirement],
) -> Imports:  # fmt: skip
    """Where each module the project imports comes from in this environment."""
    raw = raw if isinstance(raw, Mapping) else {}
    installed = {d.canonical_name for d in active}
    providers: dict[str, list[str]] = {}
    raw_providers = raw.get("providers")
    for module, owners in raw_providers.items() if isinstance(raw_providers, Mapping) else ():
        here = [o for o in _strings(owners) if o in installed]
        if here and isinstance(module, str):
            providers[module] = here
    stdlib = set(_strings(raw.get("stdlib")))
    importable = set(_strings(raw.get("importable"), 100_000))
    modules: list[ImportedModule] = []
    imported_dists: set[str] = set()
    for name in sorted(project.modules):
        use = project.modules[name]
        owners = providers.get(name, [])
        if name in stdlib:
            source, owners = ModuleSource.STDLIB, []
        elif owners:
            source = ModuleSource.DISTRIBUTION
            imported_dists.update(owners)
        elif name in importable:
            source = ModuleSource.UNOWNED
        else:
            source = ModuleSource.MISSING
        modules.append(
            ImportedModule(name, source, tuple(owners), tuple(use.places), use.count, use.conditional)
        )
    provided = {d for owners in providers.values() for d in owners}
    ignored = project.config.ignore + project.config.ignore_unused
    unused = sorted(
        {
            r.canonical_name
            for r in requirements
            if r.kind is RequirementKind.REQUIREMENT
            and r.group in MAIN_GROUPS
            and r.canonical_name in installed
            and r.canonical_name in provided  # one that installs no module (a CLI, a plugin) can't tell
            and r.canonical_name not in imported_dists
            and not any(fnmatch.fnmatchcase(r.canonical_name, g) for g in ignored)
        }
        if project.files  # no code read (a folder of requirements files only): nothing to judge by
        else ()
    )
    return Imports(project.folder, project.files, tuple(modules), tuple(unused))


def declared_names(snapshot: Snapshot) -> set[str]:
    return {r.canonical_name for r in snapshot.requirements if r.kind is RequirementKind.REQUIREMENT}


@functools.lru_cache(maxsize=16384)
def _applies(line: str, markers: StrPairs) -> bool:
    """Whether a Requires-Dist line holds in an environment (its marker true, no extra asked).
    Remembered: a fleet's snapshots repeat the same lines and markers."""
    if ";" not in line:
        return True
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    try:
        parsed = Parsed(line)
    except InvalidRequirement:
        return False
    return parsed.marker is None or parsed.marker.evaluate({**dict(markers), "extra": ""})


Parents = dict[str, list[tuple[str, str]]]  # a distribution -> (who requires it, the line that does)


def requirers(snapshot: Snapshot) -> Parents:
    """Who requires each distribution in this environment (Requires-Dist lines whose markers hold)."""
    parents: Parents = {}
    markers = snapshot.interpreter.markers
    for dist in snapshot.distributions:
        for line in dist.requires_dist:
            for child in required((line,)):
                if _applies(line, markers):
                    parents.setdefault(child, []).append((dist.canonical_name, line))
    return parents


def pulled_in_by(
    snapshot: Snapshot, name: str, declared: set[str], parents: Parents | None = None
) -> tuple[str, str] | None:
    """The declared distribution that requires ``name`` (directly or through others) in this
    environment, and the Requires-Dist constraint that holds ``name`` in place. ``parents``: the
    snapshot's ``requirers``, when the caller asks about several names."""
    by_name = {d.canonical_name: d for d in snapshot.distributions}
    parents = parents if parents is not None else requirers(snapshot)
    # Breadth first from ``name`` up to the nearest declared distribution.
    frontier = [(name, "")]
    seen = {name}
    while frontier:
        following: list[tuple[str, str]] = []
        for child, holding in frontier:
            for parent, line in parents.get(child, []):
                constraint = holding or line.split(";", 1)[0].strip()
                if parent in declared:
                    return by_name[parent].name, constraint
                if parent not in seen:
                    seen.add(parent)
                    following.append((parent, constraint))
        frontier = following
    return None


ENV = "\x00env\x00"  # where the environments' names go in a message, once they are known


def findings_for(items: Sequence[Labelled]) -> list[Finding]:
    """The import findings of several environments, one per finding that reads the same in each
    ("fails in a and b"), in the order first met."""
    merged: dict[tuple[str, str, str, Severity], list[str]] = {}
    first: dict[tuple[str, str, str, Severity], Finding] = {}
    for item in items:
        for f in findings(ENV, item.snapshot):
            key = (f.rule, f.subject, f.message, f.severity)
            first.setdefault(key, f)
            merged.setdefault(key, []).append(item.label)
    out = []
    for key, labels in merged.items():
        shown = " and ".join(labels) if len(labels) <= 3 else f"{len(labels)} environments"
        f = first[key]
        out.append(replace(f, message=f.message.replace(ENV, shown), environments=tuple(labels)))
    return out


def place(where: str) -> Location:
    """A finding's location from "src/app.py:12" or "nb.ipynb[cell 3]:2" (the notebook, no line)."""
    path, _, line = where.rpartition(":")
    if "[cell " in path:
        return Location(path.split("[cell ", 1)[0])
    return Location(path, int(line)) if line.isdigit() else Location(where)


def findings(label: str, snapshot: Snapshot) -> list[Finding]:
    """One environment's import findings."""
    imports = snapshot.imports
    if imports is None:
        return []
    declared = declared_names(snapshot)
    parents: Parents | None = None  # who requires what: built once, when an undeclared import needs it
    out: list[Finding] = []
    for module in imports.modules:
        where = ", ".join(module.places[:3]) + (" …" if len(module.places) > 3 else "")
        guarded = " (guarded: the code expects it may be absent)" if module.conditional else ""
        details = {"module": module.module, "places": where, "conditional": str(module.conditional).lower()}
        location = place(module.places[0]) if module.places else None
        if module.source is ModuleSource.MISSING:
            out.append(
                finding(
                    IMPORT_MISSING,
                    "imports",
                    module.module,
                    f"`import {module.module}` ({where}) fails in {label}: nothing installed there "
                    f"provides it{guarded}",
                    (label,),
                    location=location,
                    details=details,
                    severity=Severity.INFO if module.conditional else None,
                )
            )
        elif module.source is ModuleSource.UNOWNED:
            out.append(
                finding(
                    IMPORT_UNOWNED,
                    "imports",
                    module.module,
                    f"`import {module.module}` ({where}) works in {label} only because a module no "
                    "distribution installed is on its path (copied in, or on PYTHONPATH)",
                    (label,),
                    location=location,
                    details=details,
                )
            )
        elif module.source is ModuleSource.DISTRIBUTION and not declared & set(module.distributions):
            dist = module.distributions[0]
            parents = parents if parents is not None else requirers(snapshot)
            via = pulled_in_by(snapshot, dist, declared, parents)
            if via is not None:
                how = f"present only because {via[0]} requires it (`{via[1]}`)"
            else:
                how = "nothing declared requires it: installed by hand or left over"
            out.append(
                finding(
                    IMPORT_UNDECLARED,
                    "imports",
                    dist,
                    f"`import {module.module}` ({where}) uses {dist}, which the project does not "
                    f"declare; in {label} it is {how}",
                    (label,),
                    location=location,
                    details={
                        **details,
                        "pulled_in_by": via[0] if via else "",
                        "constraint": via[1] if via else "",
                    },
                    severity=Severity.INFO if module.conditional else None,
                )
            )
    for name in imports.unused:
        out.append(
            finding(
                REQUIREMENT_UNUSED,
                "imports",
                name,
                f"{name} is declared but no code in {imports.project} imports it (in {label})",
                (label,),
            )
        )
    return out
