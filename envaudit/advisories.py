"""A local OSV advisory database: read once into an index, cached until the database changes.

Sources: a folder of OSV records in YAML or JSON (a checkout of the PyPA advisory database, for
one) or an OSV export zip. Semantics follow the OSV schema: ECOSYSTEM ranges with introduced,
fixed, last_affected and limit events, explicit version lists, withdrawn records skipped, names
compared in canonical form. GIT ranges name commits, not versions, and are left to the explicit
version lists that accompany them.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from envaudit.errors import InputError

INDEX_FORMAT = 2  # bump when Advisory changes shape: old caches are then rebuilt
Event = tuple[str, str]  # ("introduced" | "fixed" | "last_affected" | "limit", version)


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    package: str  # canonical name
    ranges: tuple[tuple[Event, ...], ...]  # ECOSYSTEM ranges only
    versions: frozenset[str]  # explicitly affected versions, canonical (1.0 and 1.0.0 are one version)
    source: str  # the record's file, for the user who wants to read it

    def affects(self, version: Version) -> bool:
        if canonicalize_version(version) in self.versions:
            return True
        return any(_in_range(events, version) for events in self.ranges)

    def fixed_after(self, version: Version) -> Version | None:
        """The smallest fixed version above ``version`` among the ranges that contain it."""
        fixes: list[Version] = []
        for events in self.ranges:
            if not _in_range(events, version):
                continue
            for kind, value in events:
                parsed = _version(value)
                if kind == "fixed" and parsed is not None and parsed > version:
                    fixes.append(parsed)
        return min(fixes) if fixes else None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def _in_range(events: tuple[Event, ...], version: Version) -> bool:
    """OSV's evaluation: walk the events in version order; the last one at or below decides."""
    parsed: list[tuple[Version, int, str]] = []
    for kind, value in events:
        v = Version("0") if kind == "introduced" and value == "0" else _version(value)
        if v is not None:
            parsed.append((v, _ORDER.get(kind, 9), kind))
    affected = False
    for v, _, kind in sorted(parsed):
        if kind == "introduced" and version >= v:
            affected = True
        elif (kind == "fixed" and version >= v) or (kind == "last_affected" and version > v):
            affected = False
        elif kind == "limit" and version >= v:
            return False
    return affected


def parse_record(data: Any, source: str) -> list[Advisory]:
    """The advisories in one OSV record, one per affected PyPI package; none if it was withdrawn."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError("not an OSV record (no id)")
    if data.get("withdrawn"):
        return []
    aliases = tuple(a for a in data.get("aliases") or () if isinstance(a, str))
    summary = data.get("summary") or data.get("details") or ""
    summary = " ".join(str(summary).split())
    if len(summary) > 160:
        summary = summary[:157].rstrip() + "..."
    out: list[Advisory] = []
    for affected in data.get("affected") or ():
        package = (affected or {}).get("package") or {}
        if package.get("ecosystem") != "PyPI" or not package.get("name"):
            continue
        ranges = tuple(
            tuple((k, str(v)) for event in r.get("events") or () for k, v in event.items())
            for r in affected.get("ranges") or ()
            if r.get("type") == "ECOSYSTEM"
        )
        versions = frozenset(canonicalize_version(str(v)) for v in affected.get("versions") or ())
        out.append(
            Advisory(
                data["id"], aliases, summary, canonicalize_name(package["name"]), ranges, versions, source
            )
        )
    return out


@dataclass
class AdvisoryIndex:
    source: str
    fingerprint: str
    by_package: dict[str, list[Advisory]] = field(default_factory=dict)
    records: int = 0
    withdrawn: int = 0
    from_cache: bool = False

    def for_package(self, name: str) -> list[Advisory]:
        return self.by_package.get(name, [])


# --- reading a database ---------------------------------------------------------------------------


def _records_in_folder(root: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file() and not path.name.startswith("."):
            yield str(path.relative_to(root)), path.read_bytes()


def _records_in_zip(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.endswith((".json", ".yaml", ".yml")) and not info.is_dir():
                    yield info.filename, archive.read(info)
    except zipfile.BadZipFile:
        raise InputError(str(path), "not a zip file (expected an OSV export such as all.zip)") from None


def _load(name: str, raw: bytes) -> Any:
    if name.endswith(".json"):
        return json.loads(raw)
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
    return yaml.load(raw, Loader=loader)


def fingerprint(path: Path) -> str:
    """Changes whenever a record is added, removed or modified (names, sizes, mtimes)."""
    digest = hashlib.sha256(f"{INDEX_FORMAT}\0{path.resolve()}".encode())
    if path.is_dir():
        for entry in sorted(path.rglob("*")):
            if entry.is_file():
                st = entry.stat()
                digest.update(f"{entry.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    else:
        st = path.stat()
        digest.update(f"{st.st_size}\0{st.st_mtime_ns}".encode())
    return digest.hexdigest()


def build(path: Path, print_fingerprint: str) -> AdvisoryIndex:
    if path.is_dir():
        records = _records_in_folder(path)
    elif path.is_file():
        records = _records_in_zip(path)
    else:
        raise InputError(str(path), "no such advisory database (a folder of OSV records, or an OSV zip)")
    index = AdvisoryIndex(source=str(path), fingerprint=print_fingerprint)
    for name, raw in records:
        try:
            advisories = parse_record(_load(name, raw), name)
        except Exception as exc:
            raise InputError(f"{path}/{name}", f"not a readable OSV record: {exc}") from None
        index.records += 1
        if not advisories:
            index.withdrawn += 1
        for advisory in advisories:
            index.by_package.setdefault(advisory.package, []).append(advisory)
    if not index.records:
        raise InputError(str(path), "no OSV records found (expected *.yaml or *.json files)")
    return index


def cache_dir() -> Path:
    explicit = os.environ.get("ENVAUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envaudit"


def load(path: Path) -> AdvisoryIndex:
    """The index of ``path``, from the cache when the database has not changed since it was built."""
    print_ = fingerprint(path) if path.exists() else ""
    cached = (
        cache_dir() / f"advisories-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}.pickle"
    )
    try:
        with cached.open("rb") as fh:
            index = pickle.load(fh)
        if isinstance(index, AdvisoryIndex) and index.fingerprint == print_:
            index.from_cache = True
            return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        pass  # no cache, or one from another version: build it again
    index = build(path, print_)
    try:
        from envaudit.files import write_atomic

        write_atomic(cached, pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only cache folder costs speed, not correctness
    return index
