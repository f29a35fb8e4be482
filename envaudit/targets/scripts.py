"""The in-target scanner as it is sent to targets: read once, the modules it imports spliced in.

Its own module, importing nothing of envaudit's model: local targets are launched with it before
envaudit imports the rest of itself, so their start-up overlaps envaudit's.
"""

from __future__ import annotations

import functools
from pathlib import Path

INPROCESS = Path(__file__).resolve().parents[1] / "inprocess"
SCANNER_SCRIPT = INPROCESS / "scanner.py"


# Modules of envaudit the scanner imports, each on one line ending "# envaudit: splice NAME.py",
# replaced by the module's text in the script sent (targets have no envaudit to import from).
SPLICED = ("metadata.py", "ospackages.py", "modules.py", "runtime.py")
SPLICE = "  # envaudit: splice {}"


@functools.cache
def scanner_script() -> str:
    """The scanner as sent to targets: one self-contained script, the metadata reader and the OS
    package reader spliced in where the scanner imports them."""
    lines = SCANNER_SCRIPT.read_text(encoding="utf-8").splitlines(keepends=True)
    for module in SPLICED:
        marker = SPLICE.format(module)
        spliced = [i for i, line in enumerate(lines) if line.rstrip().endswith(marker)]
        if len(spliced) != 1:  # the scanner was edited: it would fail in every target
            raise AssertionError(
                f"{SCANNER_SCRIPT} must import {module} on exactly one line ending {marker!r}"
            )
        text = (INPROCESS / module).read_text(encoding="utf-8")
        # A module's own ``from __future__`` line may only come first in a file: the scanner has one.
        lines[spliced[0]] = text.replace("from __future__ import annotations\n", "", 1) + "\n"
    return "".join(lines)
