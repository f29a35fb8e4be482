"""``uv.lock``: uv's universal lock, resolved for one environment as ``uv sync`` would.

uv locks once for every platform: a package may appear at several versions (a "fork", each with
``resolution-markers``) and every dependency edge carries its own marker. What one environment gets
is found by walking the graph from the workspace members, following the edges whose markers hold
there, as ``uv sync`` and ``uv export`` do. The members' dependencies are required; what is reached
only through an extra or a dependency group is optional (``uv sync --no-dev`` leaves it out).

Staleness: uv records each member's declared requirements (``[package.metadata]``); they are
compared with pyproject.toml by name, version specifier and extras (markers, which uv rewrites in
its own normal form, are not compared).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envaudit import names
from envaudit.errors import InputError
from envaudit.locks import (
    Lock,
    LockedPackage,
    Staleness,
    entry_lines,
    holds,
    load_toml,
    package_tables,
)
from envaudit.model import OriginKind

SUPPORTED_VERSION = 1


class UvLock(Lock):
    format = "uv.lock"

    def __init__(self, display: str, data: dict[str, Any], text: str) -> None:
        super().__init__(display)
        self.packages = package_tables(data.get("package"), display, "package")
        self.by_name: dict[str, list[dict[str, Any]]] = {}
        for package in self.packages:
            self.by_name.setdefault(names.canonical(package["name"]), []).append(package)
        manifest = data.get("manifest")
        members = manifest.get("members") if isinstance(manifest, dict) else None
        self.members = (
            {names.canonical(m) for m in members if isinstance(m, str)} if isinstance(members, list) else None
        )
        self.lines = entry_lines(text)

    def roots(self) -> list[dict[str, Any]]:
        """The workspace members: named in ``[manifest]``, else the project at the lock's folder."""
        found = []
        for package in self.packages:
            source = package.get("source")
            if not isinstance(source, dict):
                continue
            local = source.get("editable", source.get("virtual"))
            if self.members is not None:
                if names.canonical(package["name"]) in self.members and local is not None:
                    found.append(package)
            elif local == ".":
                found.append(package)
        return found

    def candidates(self, edge: Mapping[str, Any], markers: Mapping[str, str]) -> list[dict[str, Any]]:
        """The package entries an edge may mean: by version and source when it names them; among
        forks of one name, those whose resolution markers hold here."""
        if not isinstance(edge.get("name"), str):
            raise InputError(self.display, "a dependency without a name")
        found = self.by_name.get(names.canonical(edge["name"]), [])
        if "version" in edge:
            found = [p for p in found if p.get("version") == edge["version"]]
        if "source" in edge:
            found = [p for p in found if p.get("source") == edge["source"]]
        if len(found) > 1:
            found = [p for p in found if _fork_holds(p, markers)] or found[:1]
        return found[:1]

    def resolve(self, markers: Mapping[str, str]) -> tuple[LockedPackage, ...]:
        roots = self.roots()
        root_ids = {id(r) for r in roots}
        # Required paths are walked first, so a package reached both ways is required.
        required: list[tuple[dict[str, Any], str | None, str]] = [(r, None, "") for r in roots]
        optional: list[tuple[dict[str, Any], str | None, str]] = []
        reached: dict[tuple[str, str], tuple[dict[str, Any], str | None]] = {}
        walked: set[tuple[tuple[str, str], str, str | None]] = set()
        while required or optional:
            package, group, extra = required.pop() if required else optional.pop()
            key = _key(package)
            if (key, extra, group) in walked:
                continue
            walked.add((key, extra, group))
            reached.setdefault(key, (package, group))
            listed = (
                _edges(_table(package, "optional-dependencies").get(extra))
                if extra
                else _edges(package.get("dependencies"))
            )
            edges: list[tuple[dict[str, Any], str | None]] = [(e, group) for e in listed]
            if id(package) in root_ids and not extra:
                for name, entries in _table(package, "optional-dependencies").items():
                    edges.extend((e, group or f"optional:{name}") for e in _edges(entries))
                for name, entries in _table(package, "dev-dependencies").items():
                    edges.extend((e, group or f"group:{name}") for e in _edges(entries))
            for edge, via in edges:
                if holds(edge.get("marker"), markers) is False:
                    continue
                for target in self.candidates(edge, markers):
                    queue = required if via is None else optional
                    queue.append((target, via, ""))
                    extras = edge.get("extra")
                    if isinstance(extras, list):
                        queue.extend((target, via, x) for x in extras if isinstance(x, str))
        # A virtual project (uv's non-package project) is never installed: only its dependencies are.
        out = [
            self.locked(package, group)
            for package, group in reached.values()
            if not (isinstance(package.get("source"), dict) and "virtual" in package["source"])
        ]
        return tuple(sorted(out, key=lambda p: p.canonical_name))

    def locked(self, package: dict[str, Any], group: str | None) -> LockedPackage:
        source = package.get("source")
        origin, url = _origin(source if isinstance(source, dict) else {})
        index = self.by_name[names.canonical(package["name"])].index(package)
        lines = self.lines.get(names.canonical(package["name"]), [])
        return LockedPackage(
            name=package["name"],
            version=package.get("version") or "",
            line=lines[index] if index < len(lines) else None,
            origin=origin,
            url=url,
            group=group,
        )

    def staleness(self, pyproject: Mapping[str, Any] | None, project: Path) -> Staleness:
        if pyproject is None:
            return Staleness(None, "no pyproject.toml beside it to compare with")
        project_table = pyproject.get("project")
        if not isinstance(project_table, dict) or not isinstance(project_table.get("name"), str):
            return Staleness(None, "pyproject.toml has no [project] name to find in the lock")
        name = names.canonical(project_table["name"])
        member = next((p for p in self.roots() if names.canonical(p["name"]) == name), None)
        if member is None:
            return Staleness(True, f"the project {project_table['name']!r} is not in the lock")
        metadata = _table(member, "metadata")
        locked = {_normal(r) for r in _edges(metadata.get("requires-dist"))}
        declared = _declared(project_table)
        groups = pyproject.get("dependency-groups")
        if isinstance(groups, dict):
            requires_dev = _table(metadata, "requires-dev")
            for group, entries in groups.items():
                locked_group = {_normal(r) for r in _edges(requires_dev.get(group))}
                if {_parsed(e) for e in entries if isinstance(e, str)} - locked_group:
                    return Staleness(True, f"dependency group {group!r} changed since the lock was made")
        added = sorted(n for n, *_ in declared - locked)
        removed = sorted(n for n, *_ in locked - declared)
        if added or removed:
            said = ", ".join([*(f"{n} declared" for n in added), *(f"{n} no longer" for n in removed)])
            return Staleness(True, f"the project's requirements changed since the lock was made ({said})")
        return Staleness(False, "the lock records the project's current requirements")


def _declared(project: Mapping[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    declared = {_parsed(r) for r in project.get("dependencies") or () if isinstance(r, str)}
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        for entries in optional.values():
            declared |= {_parsed(r) for r in entries or () if isinstance(r, str)}
    return declared


def _parsed(text: str) -> tuple[str, str, tuple[str, ...]]:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text)
    except InvalidRequirement:
        return (text, "", ())
    return (names.canonical(req.name), _spec(str(req.specifier)), tuple(sorted(req.extras)))


def _normal(edge: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    extras = tuple(sorted(x for x in edge.get("extras", ()) if isinstance(x, str)))
    specifier = edge.get("specifier")
    return (
        names.canonical(str(edge.get("name"))),
        _spec(specifier if isinstance(specifier, str) else ""),
        extras,
    )


def _spec(text: str) -> str:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return ",".join(sorted(str(s) for s in SpecifierSet(text)))
    except InvalidSpecifier:
        return text


def _fork_holds(package: Mapping[str, Any], markers: Mapping[str, str]) -> bool:
    forks = package.get("resolution-markers")
    if not isinstance(forks, list) or not forks:
        return True
    return any(holds(m, markers) is not False for m in forks if isinstance(m, str))


def _key(package: Mapping[str, Any]) -> tuple[str, str]:
    return (names.canonical(package["name"]), str(package.get("version")))


def _table(package: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = package.get(key)
    return value if isinstance(value, dict) else {}


def _edges(value: Any) -> list[dict[str, Any]]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _origin(source: Mapping[str, Any]) -> tuple[OriginKind, str | None]:
    for key, kind in (
        ("editable", OriginKind.EDITABLE),
        ("virtual", OriginKind.EDITABLE),
        ("directory", OriginKind.LOCAL),
        ("path", OriginKind.ARCHIVE),
        ("url", OriginKind.ARCHIVE),
        ("git", OriginKind.VCS),
    ):
        if isinstance(source.get(key), str):
            return kind, source[key]
    return OriginKind.INDEX, None


def read(raw: bytes, display: str) -> UvLock:
    data = load_toml(raw, display)
    version = data.get("version")
    if not isinstance(version, int) or ("package" not in data and version is None):
        raise InputError(display, "not a uv lock file (no version)")
    if version > SUPPORTED_VERSION:
        raise InputError(
            display,
            f"uv lock version {version} is newer than envaudit reads ({SUPPORTED_VERSION})",
            tip="upgrade envaudit",
        )
    return UvLock(display, data, raw.decode("utf-8"))
