"""The in-target scanner as it is sent to targets: read once, the metadata reader spliced in.

Its own module, importing nothing of envaudit's model: local targets are launched with it before
envaudit imports the rest of itself, so their start-up overlaps envaudit's.
"""

from __future__ import annotations

import functools
from pathlib import Path

INPROCESS = Path(__file__).resolve().parents[1] / "inprocess"
SCANNER_SCRIPT = INPROCESS / "scanner.py"


METADATA_READER = INPROCESS / "metadata.py"
SPLICE = "  # envaudit: splice metadata.py"


@functools.cache
def scanner_script() -> str:
    """The scanner as sent to targets: one self-contained script, the metadata reader spliced in
    where the scanner imports it (targets have no envaudit to import from)."""
    scanner = SCANNER_SCRIPT.read_text(encoding="utf-8")
    reader = METADATA_READER.read_text(encoding="utf-8")
    # The reader's own ``from __future__`` line may only come first in a file: the scanner has one.
    body = reader.replace("from __future__ import annotations\n", "", 1)
    lines = scanner.splitlines(keepends=True)
    spliced = [i for i, line in enumerate(lines) if line.rstrip().endswith(SPLICE)]
    if len(spliced) != 1:  # the scanner was edited: it would fail in every target
        raise AssertionError(
            f"{SCANNER_SCRIPT} must import metadata.py on exactly one line ending {SPLICE!r}"
        )
    lines[spliced[0]] = body + "\n"
    return "".join(lines)
