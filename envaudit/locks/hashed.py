"""A requirements file in pip's hash-checking mode (``pip-compile --generate-hashes``, ``uv pip
compile --generate-hashes``, ``uv export``) is a lock: every line an exact pin with its hashes.
``pip install -r`` installs all of it, so every entry whose marker holds is required. It records
nothing about the input it was compiled from, so staleness cannot be told."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from envaudit.locks import Lock, LockedPackage, holds
from envaudit.model import OriginKind, PinKind, Requirement, RequirementKind


class HashedRequirements(Lock):
    format = "hashed requirements"

    def __init__(self, display: str, requirements: Sequence[Requirement]) -> None:
        super().__init__(display)
        self.requirements = tuple(requirements)

    def resolve(self, markers: Mapping[str, str]) -> tuple[LockedPackage, ...]:
        out: dict[str, LockedPackage] = {}
        for r in self.requirements:
            if holds(r.marker, markers) is False:
                continue
            out.setdefault(
                r.canonical_name,
                LockedPackage(
                    name=r.name,
                    version=_exact(r.specifier),
                    line=r.line,
                    origin=OriginKind.ARCHIVE if r.url else OriginKind.INDEX,
                    url=r.url,
                ),
            )
        return tuple(sorted(out.values(), key=lambda p: p.canonical_name))


def is_hashed_lock(requirements: Sequence[Requirement]) -> bool:
    """pip's rule: once one requirement has a hash, every one must, pinned with ``==``."""
    installed = [r for r in requirements if r.kind is RequirementKind.REQUIREMENT]
    return bool(installed) and all(r.hashes and r.pin is PinKind.PINNED for r in installed)


def _exact(specifier: str) -> str:
    """X of a lone ``==X`` or ``===X`` (what pip's hash-checking mode demands of every line)."""
    clause = specifier.strip()
    if "," in clause or "*" in clause:
        return ""
    return clause.lstrip("=").strip() if clause.startswith("==") else ""
