"""``pin --format json``: every proposal, the unified diff and the files it changes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envaudit.snapshot_io import to_jsonable

if TYPE_CHECKING:
    from envaudit.verbs.pin import Pinned


def render(document: Pinned, *, compact: bool = False) -> str:
    plan = document.plan
    data = {
        "reference": document.reference,
        "proposals": [
            {
                "requirement": p.requirement.text,
                "where": p.where,
                "action": p.action.value,
                "reason": p.reason,
                "new": p.new_text,
                "hashes_removed": p.hashes_removed,
            }
            for p in plan.proposals
        ],
        "diff": plan.unified_diff(),
        "files": [to_jsonable(str(e.path)) for e in plan.edits],
    }
    return json.dumps(data, indent=None if compact else 2) + "\n"
