"""The in-target scripts as they are sent to targets: read once, the modules they import spliced in.

Its own module, importing nothing of envaudit's model: local targets are launched with the scanner
before envaudit imports the rest of itself, so their start-up overlaps envaudit's.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

INPROCESS = Path(__file__).resolve().parents[1] / "inprocess"
SCANNER_SCRIPT = INPROCESS / "scanner.py"
PROBE_SCRIPT = INPROCESS / "probe_runner.py"

# Modules of envaudit a script imports, each on a line ending "# envaudit: splice NAME.py", replaced
# by the module's text in the script sent (targets have no envaudit to import from). A module is
# spliced where it is first imported; later imports of it (a suite importing the case registry the
# runner already holds) are dropped, since everything then shares one namespace.
SPLICED = ("metadata.py", "ospackages.py", "modules.py", "runtime.py")
PROBE_SPLICED = (
    "probe_cases.py",
    "probe_render.py",
    "probe_pandas.py",
    "probe_numpy.py",
    "probe_sklearn.py",
    "probe_user.py",
)
SPLICE = "  # envaudit: splice {}"
_SPLICE_LINE = re.compile(r"# envaudit: splice (\S+\.py)\s*$", re.MULTILINE)


def splice(script: Path, modules: tuple[str, ...]) -> str:
    """``script`` with each of ``modules`` spliced in at its first import (see SPLICE)."""
    text = script.read_text(encoding="utf-8")
    included: set[str] = set()
    while (found := _SPLICE_LINE.search(text)) is not None:
        name = found.group(1)
        if name not in modules:  # a module nobody listed would fail in every target
            raise AssertionError(f"{script} splices {name}, which is not in its list {modules}")
        start = text.rfind("\n", 0, found.start()) + 1
        end = found.end() + 1
        module = ""
        if name not in included:
            # A module's own ``from __future__`` line may only come first in a file: the script has one.
            module = (INPROCESS / name).read_text(encoding="utf-8")
            module = module.replace("from __future__ import annotations\n", "", 1) + "\n"
            included.add(name)
        text = text[:start] + module + text[end:]
    if missing := [m for m in modules if m not in included]:  # the script was edited
        raise AssertionError(
            f"{script} must import {missing[0]} on a line ending {SPLICE.format(missing[0])!r}"
        )
    return text


@functools.cache
def scanner_script() -> str:
    """The scanner as sent to targets: one self-contained script, the metadata reader and the OS
    package reader spliced in where the scanner imports them."""
    return splice(SCANNER_SCRIPT, SPLICED)


@functools.cache
def probe_script() -> str:
    """The probe runner as sent to targets: the case registry, the suites and the user-probe
    runner spliced in."""
    return splice(PROBE_SCRIPT, PROBE_SPLICED)
