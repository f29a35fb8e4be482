"""Which installed distributions require a given one: the reverse of Requires-Dist, as the diff's
root causes ("required by requests") and the lock checks ("pulled in by pydantic") name it."""

from __future__ import annotations

import re

from envaudit.model import Snapshot

_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")  # the name a Requires-Dist line starts with
_EXTRA_ONLY = re.compile(r"extra\s*==")  # a requirement that applies only when an extra is asked for
_SEPARATORS = re.compile(r"[-_.]+")


class ReverseDependencies:
    """Which distributions require each of ``names`` (not only under an extra), found on first use.

    Only the names asked about are looked for: a snapshot of thousands of distributions has tens of
    thousands of Requires-Dist lines, and indexing all of them would cost more than the whole diff.
    """

    def __init__(self, snapshot: Snapshot, names: frozenset[str]) -> None:
        self._snapshot = snapshot
        self._names = names
        self._parents: dict[str, list[str]] | None = None

    def of(self, name: str) -> list[str]:
        if self._parents is None:
            parents: dict[str, list[str]] = {}
            names = self._names
            for dist in self._snapshot.distributions:
                for req in dist.requires_dist:
                    match = _NAME.match(req)  # anchored: tries one position, unlike a search
                    if match is None:
                        continue
                    key = match.group(1).lower()
                    if "_" in key or "." in key:
                        key = _SEPARATORS.sub("-", key)
                    if key in names and not _EXTRA_ONLY.search(req):
                        found = parents.setdefault(key, [])
                        if not found or found[-1] != dist.name:
                            found.append(dist.name)
            self._parents = parents
        return self._parents.get(name, [])
