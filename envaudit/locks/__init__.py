"""Lock files as the declared truth: what a lock says each environment should hold.

Every lock format is one module here with a ``read(raw, display) -> Lock`` function and one line in
``FORMATS``. A ``Lock`` answers one question for an environment's PEP 508 markers: which packages,
at which versions, it locks there (``resolve``), each marked required (installed by the plain sync
or install) or optional (only with an extra or a dependency group, so its absence is no error).
Whether a lock is stale against the project file it was made from is the format's own question
(``staleness``), answered only where the lock records enough to tell.

Everything in a lock is untrusted data: values are type-checked, sizes bounded by the reader of
declared files, and a file that is not what its name says is an ``InputError`` naming it.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envaudit import names
from envaudit.errors import InputError
from envaudit.model import OriginKind
from envaudit.project import LOCK_FORMATS as FORMATS
from envaudit.project import lock_files as discover

__all__ = ["FORMATS", "Lock", "LockedPackage", "Staleness", "discover", "read"]


@dataclass(frozen=True, slots=True)
class LockedPackage:
    """One package a lock installs in an environment."""

    name: str
    version: str  # "" when the lock names no version (a directory or VCS entry may not)
    line: int | None  # where its entry starts in the lock file
    origin: OriginKind = OriginKind.INDEX
    url: str | None = None  # where it comes from, when not an index
    group: str | None = None  # None: installed by a plain sync; else the extra or group it needs

    @property
    def canonical_name(self) -> str:
        return names.canonical(self.name)

    @property
    def required(self) -> bool:
        return self.group is None


@dataclass(frozen=True, slots=True)
class Staleness:
    """Whether a lock still matches its project file: ``stale`` True/False, or None (cannot tell)."""

    stale: bool | None
    reason: str


class Lock:
    """A lock file's contents; each format's reader returns a subclass."""

    format = ""

    def __init__(self, display: str) -> None:
        self.display = display  # the lock's path as reports show it

    def resolve(self, markers: Mapping[str, str]) -> tuple[LockedPackage, ...]:
        """The packages this lock installs where ``markers`` hold, one entry per name."""
        raise NotImplementedError

    def staleness(self, pyproject: Mapping[str, Any] | None, project: Path) -> Staleness:
        """Whether the lock is stale against the project (its parsed pyproject.toml, if any)."""
        return Staleness(None, f"{self.format} records nothing to compare with the project file")


def read(raw: bytes, display: str, name: str) -> Lock:
    """The lock in ``raw`` (the bytes of a file called ``name``); InputError if it is not one."""
    for pattern, implementation in FORMATS:
        if fnmatch.fnmatchcase(name, pattern):
            module, _, function = implementation.partition(":")
            reader = getattr(importlib.import_module(module), function)
            lock: Lock = reader(raw, display)
            return lock
    raise InputError(
        display, "not a lock file envaudit reads (uv.lock, poetry.lock, pylock.toml, Pipfile.lock)"
    )


# --- helpers the formats share ------------------------------------------------------------------


def load_toml(raw: bytes, display: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(display, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(display, f"TOML syntax error: {exc}") from None


def text_of(value: Any, display: str, where: str, *, optional: bool = False) -> str:
    """A string field of the lock, checked; bounded so that a hostile lock cannot flood a report."""
    if value is None and optional:
        return ""
    if not isinstance(value, str) or len(value) > 4096:
        raise InputError(display, f"{where} must be a string")
    return value


def package_tables(value: Any, display: str, where: str, *fields: str) -> list[dict[str, Any]]:
    """A lock's array of package tables, each with a valid ``name`` and string ``version`` (and
    ``fields``, strings where present): checked once, so the format's code can trust them."""
    packages = table_list(value, display, where)
    for i, package in enumerate(packages):
        name_of(package.get("name"), display, f"{where}[{i}].name")
        for key in ("version", *fields):
            text_of(package.get(key), display, f"{where}[{i}].{key}", optional=True)
    return packages


def name_of(value: Any, display: str, where: str) -> str:
    name = text_of(value, display, where)
    if not names.is_valid(name):
        raise InputError(display, f"{where}: {name[:100]!r} is not a valid package name")
    return name


def table_list(value: Any, display: str, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(display, f"{where} must be an array of tables")
    return value


def holds(marker: str | None, markers: Mapping[str, Any]) -> bool | None:
    """Whether a PEP 508 marker holds in ``markers``; None if it cannot be evaluated there (a
    variable this packaging does not know, such as PEP 751's ``dependency_groups`` before 25.0)."""
    if not marker:
        return True
    from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName

    environment = {"extra": "", **markers}
    try:
        return bool(Marker(marker).evaluate(environment))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, KeyError, TypeError, ValueError):
        return None


_ENTRY_NAME = re.compile(r'^name\s*=\s*"([^"\n]{1,300})"\s*$', re.MULTILINE)


def entry_lines(text: str) -> dict[str, list[int]]:
    """Line numbers of the ``name = "X"`` lines of a TOML lock's package entries, by canonical name
    (in order, for names locked at several versions)."""
    lines: dict[str, list[int]] = {}
    for match in _ENTRY_NAME.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        lines.setdefault(names.canonical(match.group(1)), []).append(line)
    return lines


def first_line(lines: dict[str, list[int]], name: str, index: int = 0) -> int | None:
    found = lines.get(names.canonical(name), [])
    return found[index] if index < len(found) else (found[0] if found else None)
