"""``pin --format text``: the change as a unified diff (the notes go to stderr, from the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envaudit.verbs.pin import Pinned


def render(document: Pinned, *, compact: bool = False) -> str:
    return document.plan.unified_diff()
