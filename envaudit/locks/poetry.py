"""``poetry.lock``: Poetry's lock, resolved for one environment as ``poetry install`` would.

Lock format 2.1 (Poetry 2) records per package the groups that need it and the marker under which
it is installed (one marker, or one per group): a package of the ``main`` group whose marker holds
is required, one of another group or an optional one (an extra) is optional. Older locks (1.x,
2.0) record neither: a package applies unless every dependency edge leading to it has a marker
that is false here, and ``category = "dev"`` marks the optional ones.

Staleness: Poetry records a ``content-hash`` of the pyproject.toml sections that matter; it is
computed here the way Poetry computes it and compared.
"""

from __future__ import annotations

import hashlib
import json
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
    first_line,
    holds,
    load_toml,
    package_tables,
)
from envaudit.model import OriginKind

# What Poetry hashes (poetry.packages.locker.Locker._get_content_hash, Poetry 1.x and 2.x).
_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_RELEVANT_KEYS = (*_LEGACY_KEYS, "group")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


class PoetryLock(Lock):
    format = "poetry.lock"

    def __init__(self, display: str, data: dict[str, Any], text: str) -> None:
        super().__init__(display)
        self.packages = package_tables(data.get("package"), display, "package")
        self.metadata = _dict(data.get("metadata"))
        self.extras = [name for name in _dict(data.get("extras")) if isinstance(name, str)]
        self.lines = entry_lines(text)

    def resolve(self, markers: Mapping[str, str]) -> tuple[LockedPackage, ...]:
        has_groups = any("groups" in p for p in self.packages)
        edge_ok = None if has_groups else self._reachable(markers)
        out: dict[str, LockedPackage] = {}
        seen: dict[str, int] = {}
        for package in self.packages:
            name = names.canonical(package["name"])
            index = seen[name] = seen.get(name, -1) + 1
            group = self._group(package, markers) if has_groups else self._legacy_group(package, edge_ok)
            if group is False or group is True:
                continue
            locked = LockedPackage(
                name=package["name"],
                version=package.get("version") or "",
                line=first_line(self.lines, package["name"], index),
                origin=_origin(package.get("source")),
                url=_url(package.get("source")),
                group=group or None,
            )
            if name not in out or locked.required:
                out[name] = locked
        return tuple(sorted(out.values(), key=lambda p: p.canonical_name))

    def _group(self, package: Mapping[str, Any], markers: Mapping[str, str]) -> str | bool:
        """ "" for required, a group name for optional, False where it is not installed at all."""
        groups = [g for g in package.get("groups") or () if isinstance(g, str)] or ["main"]
        marker = package.get("markers")
        holding = []
        for group in groups:
            said = marker.get(group) if isinstance(marker, dict) else marker
            if holds(said if isinstance(said, str) else None, markers) is not False:
                holding.append(group)
        if package.get("optional") is True:  # an extra's: its marker says which (extra == "socks")
            for extra in self.extras:
                said = marker.get("main") if isinstance(marker, dict) else marker
                if holds(said if isinstance(said, str) else None, {**markers, "extra": extra}) is not False:
                    return f"optional:{extra}"
            return "optional:extra" if holding else False
        if not holding:
            return False
        return "" if "main" in holding else f"group:{holding[0]}"

    def _reachable(self, markers: Mapping[str, str]) -> set[str]:
        """Older locks: the packages that some dependency edge whose marker holds leads to, and those
        no edge leads to (the project's own requirements)."""
        incoming: dict[str, list[bool]] = {}
        for package in self.packages:
            deps = package.get("dependencies")
            for dep, spec in deps.items() if isinstance(deps, dict) else ():
                specs = spec if isinstance(spec, list) else [spec]
                for one in specs:
                    marker = one.get("markers") if isinstance(one, dict) else None
                    ok = holds(marker if isinstance(marker, str) else None, markers) is not False
                    incoming.setdefault(names.canonical(dep), []).append(ok)
        return {
            names.canonical(p["name"])
            for p in self.packages
            if any(incoming.get(names.canonical(p["name"]), [True]))
        }

    def _legacy_group(self, package: Mapping[str, Any], reachable: set[str] | None) -> str | bool:
        if reachable is not None and names.canonical(package["name"]) not in reachable:
            return False
        if package.get("category") == "dev":
            return "group:dev"
        return "optional:extra" if package.get("optional") is True else ""

    def staleness(self, pyproject: Mapping[str, Any] | None, project: Path) -> Staleness:
        recorded = self.metadata.get("content-hash")
        if not isinstance(recorded, str):
            return Staleness(None, "the lock records no content-hash")
        if pyproject is None:
            return Staleness(None, "no pyproject.toml beside it to compare with")
        if content_hash(pyproject) != recorded:
            return Staleness(True, "pyproject.toml changed since the lock was made (content-hash differs)")
        return Staleness(False, "content-hash matches pyproject.toml")


def content_hash(pyproject: Mapping[str, Any]) -> str:
    """Poetry's hash of the pyproject.toml content a lock depends on."""
    project = _dict(pyproject.get("project"))
    poetry = _dict(_dict(pyproject.get("tool")).get("poetry"))
    groups = pyproject.get("dependency-groups") or {}
    relevant_project = {k: project[k] for k in _PROJECT_KEYS if project.get(k) is not None}
    relevant_poetry = {}
    for key in _RELEVANT_KEYS:
        value = poetry.get(key)
        if value is None and (key not in _LEGACY_KEYS or relevant_project):
            continue
        relevant_poetry[key] = value
    content: dict[str, Any]
    if relevant_project:
        content = {"project": relevant_project, "tool": {"poetry": relevant_poetry}}
        if groups:
            content["dependency-groups"] = groups
    else:
        content = relevant_poetry  # Poetry 1's layout: the [tool.poetry] keys at the top level
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _origin(source: Any) -> OriginKind:
    kind = source.get("type") if isinstance(source, dict) else None
    return {
        "git": OriginKind.VCS,
        "directory": OriginKind.LOCAL,
        "file": OriginKind.ARCHIVE,
        "url": OriginKind.ARCHIVE,
    }.get(kind if isinstance(kind, str) else "", OriginKind.INDEX)


def _url(source: Any) -> str | None:
    if not isinstance(source, dict) or source.get("type") in (None, "legacy"):
        return None
    url = source.get("url")
    return url if isinstance(url, str) else None


def read(raw: bytes, display: str) -> PoetryLock:
    data = load_toml(raw, display)
    if "package" not in data and "metadata" not in data:
        raise InputError(display, "not a Poetry lock file (no [[package]] and no [metadata])")
    metadata = data.get("metadata")
    version = metadata.get("lock-version") if isinstance(metadata, dict) else None
    if isinstance(version, str) and version.split(".", 1)[0] not in ("1", "2"):
        raise InputError(
            display, f"lock-version {version[:20]!r} is newer than envaudit reads", tip="upgrade envaudit"
        )
    return PoetryLock(display, data, raw.decode("utf-8"))
