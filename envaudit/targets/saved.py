"""``FILE.json``: a snapshot saved earlier with ``scan -o``, loaded as it was taken."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit.targets.base import Started, Target

if TYPE_CHECKING:
    from envaudit.model import Snapshot
    from envaudit.scan import ScanContext


class SavedSnapshot(Target):
    is_saved = True

    def snapshot(self, started: Started | None, context: ScanContext | None) -> Snapshot:
        from envaudit import snapshot_io

        snapshot = snapshot_io.load(Path(self.spec.location))
        if context is not None and self.options.recheck_requirements:
            from envaudit.scan import checked

            markers = dict(snapshot.interpreter.markers)
            # The project's own issues (an unnamed requirement, a stale lock) too, as a live scan has them.
            issues = (*snapshot.issues, *(i for i in context.requirement_issues if i not in snapshot.issues))
            snapshot = replace(
                snapshot, requirements=checked(context, snapshot.distributions, markers), issues=issues
            )
        return snapshot
