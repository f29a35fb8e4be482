"""Which installed distributions require a given one: the reverse of Requires-Dist, as the diff's
root causes ("required by requests") and the lock checks ("pulled in by pydantic") name it."""

from __future__ import annotations

import functools
import re

from envaudit.model import Snapshot

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")  # the name a Requires-Dist line starts with
_EXTRA_ONLY = re.compile(r"extra\s*==")  # a requirement that applies only when an extra is asked for
_SEPARATORS = re.compile(r"[-_.]+")


class ReverseDependencies:
    """Which distributions require each of ``names`` (not only under an extra), found on first use:
    most diffs never ask."""

    def __init__(self, snapshot: Snapshot, names: frozenset[str]) -> None:
        self._snapshot = snapshot
        self._names = names
        self._parents: dict[str, list[str]] | None = None

    def of(self, name: str) -> list[str]:
        if self._parents is None:
            parents: dict[str, list[str]] = {}
            names = self._names
            for dist in self._snapshot.distributions:
                for key in required(dist.requires_dist) & names:
                    parents.setdefault(key, []).append(dist.name)
            self._parents = parents
        return self._parents.get(name, [])


@functools.lru_cache(maxsize=16384)
def required(requires_dist: tuple[str, ...]) -> frozenset[str]:
    """The canonical names a distribution requires (not only under an extra). Remembered: the
    snapshots of a fleet repeat the same Requires-Dist lists thousands of times."""
    found: set[str] = set()
    for req in requires_dist:
        match = _NAME.match(req)  # anchored: tries one position, unlike a search
        if match is None or _EXTRA_ONLY.search(req):
            continue
        key = match.group(1).lower()
        found.add(_SEPARATORS.sub("-", key) if "_" in key or "." in key else key)
    return frozenset(found)
