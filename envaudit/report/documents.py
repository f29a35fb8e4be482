"""The documents the formats render, other than a findings ``Report`` (``findings.py``) and a pin
plan (``verbs/pin.Pinned``). Kept apart so that format modules never import the family's index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.model import Snapshot


@dataclass(frozen=True, slots=True)
class Scanned:
    """What ``scan`` prints: each (label, snapshot), and whether one target was asked for (JSON then
    prints the snapshot itself rather than a list)."""

    snapshots: Sequence[tuple[str, Snapshot]]
    single: bool
