"""``Pipfile.lock``: pipenv's lock (JSON), resolved for one environment as ``pipenv sync`` would.

``default`` is what ``pipenv sync`` installs (required), ``develop`` what ``--dev`` adds (optional);
each entry may carry a marker. Staleness: pipenv records the sha256 of the Pipfile's content in
``_meta.hash``, computed here as pipenv (plette) computes it and compared with the Pipfile beside it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envaudit import names
from envaudit.errors import InputError
from envaudit.locks import Lock, LockedPackage, Staleness, holds, text_of
from envaudit.model import OriginKind

SECTIONS = (("default", None), ("develop", "group:develop"))
# Pipfile sections plette leaves out of the hash (the others are hashed under their own name).
_PIPFILE_SECTIONS = frozenset(
    {"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"}
)
_DEFAULT_SOURCE = [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]


class PipfileLock(Lock):
    format = "Pipfile.lock"

    def __init__(self, display: str, data: dict[str, Any], text: str) -> None:
        super().__init__(display)
        self.data = data
        self.text = text

    def resolve(self, markers: Mapping[str, str]) -> tuple[LockedPackage, ...]:
        out: dict[str, LockedPackage] = {}
        for section, group in SECTIONS:
            entries = self.data.get(section) or {}
            if not isinstance(entries, dict):
                raise InputError(self.display, f"{section} must be a table of packages")
            start = self.text.find(f'"{section}"')
            for name, entry in entries.items():
                if not names.is_valid(name) or not isinstance(entry, dict):
                    raise InputError(self.display, f"{section}: {name[:100]!r} is not a package entry")
                marker = text_of(
                    entry.get("markers"), self.display, f"{section}.{name}.markers", optional=True
                )
                if holds(marker, markers) is False:
                    continue
                locked = LockedPackage(
                    name=name,
                    version=_version(
                        text_of(entry.get("version"), self.display, f"{section}.{name}", optional=True)
                    ),
                    line=self._line(start, name),
                    origin=_origin(entry),
                    url=_url(entry),
                    group=group,
                )
                key = locked.canonical_name
                if key not in out or locked.required:
                    out[key] = locked
        return tuple(sorted(out.values(), key=lambda p: p.canonical_name))

    def _line(self, start: int, name: str) -> int | None:
        match = re.compile(rf'^\s*"{re.escape(name)}"\s*:', re.MULTILINE).search(self.text, max(start, 0))
        return self.text.count("\n", 0, match.start()) + 1 if match else None

    def staleness(self, pyproject: Mapping[str, Any] | None, project: Path) -> Staleness:
        meta = self.data.get("_meta")
        recorded = (
            meta.get("hash", {}).get("sha256")
            if isinstance(meta, dict) and isinstance(meta.get("hash"), dict)
            else None
        )
        if not isinstance(recorded, str):
            return Staleness(None, "the lock records no Pipfile hash")
        pipfile = project / "Pipfile"
        try:
            from envaudit.requirements import read_declared_file

            content = read_declared_file(pipfile)
        except FileNotFoundError:
            return Staleness(None, "no Pipfile beside it to compare with")
        except Exception as exc:  # unreadable or refused: said, never a crash
            return Staleness(None, f"the Pipfile could not be read ({exc.__class__.__name__})")
        import tomllib

        try:
            parsed = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return Staleness(None, "the Pipfile is not valid TOML")
        if pipfile_hash(parsed) != recorded:
            return Staleness(True, "the Pipfile changed since the lock was made (_meta.hash differs)")
        return Staleness(False, "_meta.hash matches the Pipfile")


def pipfile_hash(pipfile: Mapping[str, Any]) -> str:
    """pipenv's hash of a parsed Pipfile (plette's ``Pipfile.get_hash``)."""
    data: dict[str, Any] = {
        "_meta": {"sources": pipfile.get("source", _DEFAULT_SOURCE), "requires": pipfile.get("requires", {})},
        "default": pipfile.get("packages", {}),
        "develop": pipfile.get("dev-packages", {}),
    }
    for category, values in pipfile.items():
        if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
            continue
        data[category] = values
    content = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _version(spec: str) -> str:
    """X of ``==X`` (or ``===X``); pipenv writes ``*`` for an entry whose marker excluded it."""
    return spec.lstrip("=") if spec.startswith("==") else ""


def _origin(entry: Mapping[str, Any]) -> OriginKind:
    if any(k in entry for k in ("git", "hg", "svn", "bzr")):
        return OriginKind.VCS
    if entry.get("editable") is True:
        return OriginKind.EDITABLE
    if "path" in entry:
        return OriginKind.LOCAL
    if "file" in entry:
        return OriginKind.ARCHIVE
    return OriginKind.INDEX


def _url(entry: Mapping[str, Any]) -> str | None:
    for key in ("git", "hg", "svn", "bzr", "path", "file"):
        if isinstance(entry.get(key), str):
            return str(entry[key])
    return None


def read(raw: bytes, display: str) -> PipfileLock:
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise InputError(display, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(display, f"not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict) or not any(k in data for k in ("_meta", "default", "develop")):
        raise InputError(display, "not a Pipfile.lock (no _meta, default or develop)")
    return PipfileLock(display, data, text)
