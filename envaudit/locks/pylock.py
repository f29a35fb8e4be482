"""``pylock.toml`` (PEP 751), written by ``uv export``, ``uv pip compile``, ``pip lock``, pipenv.

Each package carries its own marker, so what an environment gets is every package whose marker
holds there. PEP 751 markers may ask for ``extras`` and ``dependency_groups``: a package is required
when its marker holds with the lock's ``default-groups`` and no extra, optional when it needs another
extra or group. A lock of a later major ``lock-version`` is refused, as the PEP asks of installers.
PEP 751 records nothing about the project a lock was made from, so staleness cannot be told.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envaudit.errors import InputError
from envaudit.locks import (
    Lock,
    LockedPackage,
    entry_lines,
    first_line,
    holds,
    load_toml,
    package_tables,
)
from envaudit.model import OriginKind


class PyLock(Lock):
    format = "pylock.toml"

    def __init__(self, display: str, data: dict[str, Any], text: str) -> None:
        super().__init__(display)
        self.packages = package_tables(data.get("packages"), display, "packages", "marker")
        self.extras = _strings(data.get("extras"), display, "extras")
        self.groups = _strings(data.get("dependency-groups"), display, "dependency-groups")
        self.default_groups = _strings(data.get("default-groups"), display, "default-groups")
        self.lines = entry_lines(text)

    def resolve(self, markers: Mapping[str, str]) -> tuple[LockedPackage, ...]:
        plain = {**markers, "extras": frozenset(), "dependency_groups": frozenset(self.default_groups)}
        everything = {
            **markers,
            "extras": frozenset(self.extras),
            "dependency_groups": frozenset(self.groups),
        }
        seen: dict[str, int] = {}
        out: dict[str, LockedPackage] = {}
        for package in self.packages:
            name = package["name"]
            index = seen[name] = seen.get(name, -1) + 1
            marker = package.get("marker")
            required = holds(marker, plain)
            if required is False and holds(marker, everything) is False:
                continue
            locked = _locked(package, self.lines, index, None if required else _needs(marker))
            if locked.canonical_name not in out or locked.required:
                out[locked.canonical_name] = locked
        return tuple(sorted(out.values(), key=lambda p: p.canonical_name))


def _needs(marker: Any) -> str:
    """What an optional package needs, as reports say it: its marker, shortened."""
    return f"when {str(marker)[:80]}"


def _locked(
    package: Mapping[str, Any], lines: dict[str, list[int]], index: int, group: str | None
) -> LockedPackage:
    origin, url = OriginKind.INDEX, None
    for key, kind in (
        ("vcs", OriginKind.VCS),
        ("directory", OriginKind.LOCAL),
        ("archive", OriginKind.ARCHIVE),
    ):
        table = package.get(key)
        if isinstance(table, dict):
            origin = kind
            if kind is OriginKind.LOCAL and table.get("editable") is True:
                origin = OriginKind.EDITABLE
            location = table.get("url", table.get("path"))
            url = location if isinstance(location, str) else None
            break
    return LockedPackage(
        name=package["name"],
        version=package.get("version") or "",
        line=first_line(lines, package["name"], index),
        origin=origin,
        url=url,
        group=group,
    )


def _strings(value: Any, display: str, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(display, f"{where} must be an array of strings")
    return value


def read(raw: bytes, display: str) -> PyLock:
    data = load_toml(raw, display)
    version = data.get("lock-version")
    if not isinstance(version, str):
        raise InputError(display, "not a PEP 751 lock file (no lock-version)")
    major = version.split(".", 1)[0]
    if major != "1":
        raise InputError(
            display,
            f"lock-version {version[:20]!r} is not one envaudit reads (1.x, PEP 751)",
            tip="upgrade envaudit",
        )
    return PyLock(display, data, raw.decode("utf-8"))
