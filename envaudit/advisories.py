"""A local OSV advisory database: read once into an index, cached until the database changes.

Sources: a folder of OSV records in YAML or JSON (a checkout of the PyPA advisory database, for
one) or an OSV export zip. Semantics follow the OSV schema: ECOSYSTEM ranges with introduced,
fixed, last_affected and limit events, explicit version lists, withdrawn records skipped, names
compared in canonical form. GIT ranges name commits, not versions, and are left to the explicit
version lists that accompany them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from envaudit import osversions
from envaudit.errors import InputError

INDEX_FORMAT = 6  # bump when Advisory changes shape: old caches are then rebuilt
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
    severity: str = ""  # the record's own rating (GitHub's: low, moderate, high, critical), if any
    score: str = ""  # the CVSS base score of the record's vector ("9.8"), if it has one
    # "PyPI", or a distribution's release (osversions.ecosystem_key: "Debian:12", "Alpine:v3.20"),
    # whose records name OS source packages and versions in that distribution's own order.
    ecosystem: str = "PyPI"

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


# GitHub's advisory ratings, in order: what database_specific.severity holds in GHSA records.
SEVERITIES = ("low", "moderate", "medium", "high", "critical")


def cvss_score(severities: Any) -> str:
    """The highest base score of an OSV record's CVSS vectors (v4, v3, v2), as text; "" if none."""
    scores = []
    for entry in severities if isinstance(severities, list) else ():
        vector = entry.get("score") if isinstance(entry, dict) else None
        kind = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(vector, str) or kind not in ("CVSS_V2", "CVSS_V3", "CVSS_V4"):
            continue
        import cvss  # only for records that carry a vector

        try:
            if kind == "CVSS_V4":
                scores.append(float(cvss.CVSS4(vector).base_score))
            elif kind == "CVSS_V3":
                scores.append(float(cvss.CVSS3(vector).base_score))
            else:
                scores.append(float(cvss.CVSS2(vector).base_score))
        except (cvss.CVSSError, ValueError, TypeError):  # a malformed vector: no score, not an error
            continue
    return f"{max(scores):.1f}" if scores else ""


def parse_record(data: Any, source: str) -> list[Advisory]:
    """The advisories in one OSV record, one per affected PyPI package and per affected OS package
    of a distribution release envaudit can order versions for; none if it was withdrawn."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError("not an OSV record (no id)")
    if data.get("withdrawn"):
        return []
    aliases = tuple(a for a in data.get("aliases") or () if isinstance(a, str))
    summary = data.get("summary") or data.get("details") or ""
    summary = " ".join(str(summary).split())
    if len(summary) > 160:
        summary = summary[:157].rstrip() + "..."
    score = cvss_score(data.get("severity"))
    rated = (data.get("database_specific") or {}).get("severity")
    severity = rated.lower() if isinstance(rated, str) and rated.lower() in SEVERITIES else ""
    # Distributions' records name the CVE they restate as "upstream" (OSV 1.6), not as an alias.
    aliases += tuple(a for a in data.get("upstream") or () if isinstance(a, str) and a not in aliases)
    out: list[Advisory] = []
    for affected in data.get("affected") or ():
        package = (affected or {}).get("package") or {}
        name = package.get("name")
        if not name or not isinstance(name, str):
            continue
        ecosystem = str(package.get("ecosystem") or "")
        os_release = None if ecosystem == "PyPI" else osversions.ecosystem_key(ecosystem)
        if ecosystem != "PyPI" and os_release is None:
            continue
        ranges = tuple(
            tuple((k, str(v)) for event in r.get("events") or () for k, v in event.items())
            for r in affected.get("ranges") or ()
            if r.get("type") == "ECOSYSTEM"
        )
        if os_release is not None:  # a distribution's versions: kept as written, ordered later
            out.append(
                Advisory(
                    data["id"],
                    aliases,
                    summary,
                    name,
                    ranges,
                    frozenset(str(v) for v in affected.get("versions") or ()),
                    source,
                    severity,
                    score,
                    os_release,
                )
            )
            continue
        versions = frozenset(canonicalize_version(str(v)) for v in affected.get("versions") or ())
        out.append(
            Advisory(
                data["id"],
                aliases,
                summary,
                canonicalize_name(name),
                ranges,
                versions,
                source,
                severity,
                score,
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
    # Distributions' advisories, by (release, source package); and the releases the database covers.
    by_os_package: dict[tuple[str, str], list[Advisory]] = field(default_factory=dict)
    os_releases: set[str] = field(default_factory=set)

    def for_package(self, name: str) -> list[Advisory]:
        return self.by_package.get(name, [])

    def add(self, advisory: Advisory) -> None:
        if advisory.ecosystem == "PyPI":
            self.by_package.setdefault(advisory.package, []).append(advisory)
        else:
            self.by_os_package.setdefault((advisory.ecosystem, advisory.package), []).append(advisory)
            self.os_releases.add(advisory.ecosystem)

    def covers(self, release: str) -> bool:
        """Does the database hold this release's own advisories (Debian:12, Alpine:v3.20)?"""
        return release in self.os_releases

    def for_os_package(self, release: str, package: str) -> list[Advisory]:
        return self.by_os_package.get((release, package), [])

    def all(self) -> Iterator[Advisory]:
        for advisories in (*self.by_package.values(), *self.by_os_package.values()):
            yield from advisories


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
    return yaml.load(raw, Loader=loader)  # noqa: S506 - a SafeLoader, C or Python: never builds objects


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
            index.add(advisory)
    if not index.records:
        raise InputError(str(path), "no OSV records found (expected *.yaml or *.json files)")
    return index


def cache_dir() -> Path:
    explicit = os.environ.get("ENVAUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envaudit"


def load(path: Path) -> AdvisoryIndex:
    """The index of ``path``, from the cache when the database has not changed since it was built.

    The cache folder is writable by whoever restores a CI cache, so what is read from it is data
    only (JSON, never pickle: nothing in it can run) and is used only when its MAC verifies: an
    HMAC, under this user's secret key, over the fingerprint of the database it was built from and
    the index itself. A forged or stale cache is rebuilt from the database, never trusted."""
    print_ = fingerprint(path) if path.exists() else ""
    cached = cache_dir() / f"advisories-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}.json"
    key = _cache_key()
    if key is not None:
        index = _read_cache(cached, key, print_)
        if index is not None:
            return index
    index = build(path, print_)
    if key is not None:
        try:
            from envaudit.files import write_atomic

            write_atomic(cached, _cache_text(index, key))
        except OSError:
            pass  # a read-only cache folder costs speed, not correctness
    return index


def _cache_key() -> bytes | None:
    """A key for the cache's MAC, derived from the user's fingerprint key; None when that key is
    made for this run only (a cache written now could never be verified later)."""
    from envaudit.envvars import FingerprintKey

    key = FingerprintKey.load()
    if key.key_id.startswith("ephemeral-"):
        return None
    return hmac.new(key.secret, b"envaudit advisory cache", hashlib.sha256).digest()


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _cache_text(index: AdvisoryIndex, key: bytes) -> str:
    payload = json.dumps(
        {
            "format": INDEX_FORMAT,
            "source": index.source,
            "fingerprint": index.fingerprint,
            "records": index.records,
            "withdrawn": index.withdrawn,
            "advisories": [
                [
                    a.id,
                    a.aliases,
                    a.summary,
                    a.package,
                    a.ranges,
                    sorted(a.versions),
                    a.source,
                    a.severity,
                    a.score,
                    a.ecosystem,
                ]
                for a in index.all()
            ],
        },
        separators=(",", ":"),
    )
    return json.dumps({"mac": _mac(key, payload.encode()), "payload": payload})


def _read_cache(cached: Path, key: bytes, print_: str) -> AdvisoryIndex | None:
    """The cached index if it verifies and was built from the database as it is now; else None."""
    try:
        envelope = json.loads(cached.read_bytes())
        payload = envelope["payload"]
        if not hmac.compare_digest(_mac(key, payload.encode()), str(envelope["mac"])):
            return None  # forged, or written under another key
        data = json.loads(payload)
        if data["format"] != INDEX_FORMAT or data["fingerprint"] != print_:
            return None  # another shape, or the database changed since
        index = AdvisoryIndex(
            source=str(data["source"]),
            fingerprint=print_,
            records=int(data["records"]),
            withdrawn=int(data["withdrawn"]),
            from_cache=True,
        )
        for id_, aliases, summary, package, ranges, versions, source, severity, score, eco in data[
            "advisories"
        ]:
            advisory = Advisory(
                id_,
                tuple(aliases),
                summary,
                package,
                tuple(tuple((k, v) for k, v in events) for events in ranges),
                frozenset(versions),
                source,
                str(severity),
                str(score),
                str(eco),
            )
            index.add(advisory)
        return index
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache, or an unreadable one: build it again
