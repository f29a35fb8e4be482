"""``scan --format json``: the snapshot (one target) or a list of them, in the saved-snapshot format."""

from __future__ import annotations

import json

from envaudit.report.documents import Scanned
from envaudit.snapshot_io import to_jsonable


def render(document: Scanned, *, compact: bool = False) -> str:
    data = [to_jsonable(snapshot) for _, snapshot in document.snapshots]
    # dumps, not dump: only dumps uses the C encoder.
    text = json.dumps(data[0] if document.single else data, indent=None if compact else 2, ensure_ascii=False)
    return text + "\n"
