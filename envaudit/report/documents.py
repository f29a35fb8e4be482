"""The documents the formats render, other than a findings ``Report`` (``findings.py``) and a pin
plan (``verbs/pin.Pinned``). Kept apart so that format modules never import the family's index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envaudit.model import PinKind, RequirementStatus

if TYPE_CHECKING:
    from envaudit.model import Snapshot

# What a scan report calls out in declared requirements, in every scan format.
LOOSE = (PinKind.UNPINNED, PinKind.LOWER_BOUND_ONLY)
UNSATISFIED = (RequirementStatus.MISSING, RequirementStatus.WRONG_VERSION, RequirementStatus.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Scanned:
    """What ``scan`` prints: each (label, snapshot), and whether one target was asked for (JSON then
    prints the snapshot itself rather than a list)."""

    snapshots: Sequence[tuple[str, Snapshot]]
    single: bool
