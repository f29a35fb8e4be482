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
_SPLICE_LINE = re.compile(r"# envaudit: splice(-lazy)? (\S+\.py)\s*$", re.MULTILINE)
# "# envaudit: splice-lazy NAME.py" instead puts the module's text in SUITE_SOURCES["NAME"], as a
# string the script compiles only if it needs it: compiling code costs, and a target asked for the
# numpy suite alone should not compile pandas' and scikit-learn's.


def splice(script: Path, modules: tuple[str, ...]) -> str:
    """``script`` with each of ``modules`` spliced in at its first import (see SPLICE)."""
    text = script.read_text(encoding="utf-8")
    included: set[str] = set()
    while (found := _SPLICE_LINE.search(text)) is not None:
        lazy, name = found.group(1), found.group(2)
        if name not in modules:  # a module nobody listed would fail in every target
            raise AssertionError(f"{script} splices {name}, which is not in its list {modules}")
        start = text.rfind("\n", 0, found.start()) + 1
        end = found.end() + 1
        module = ""
        if lazy:
            module = f"SUITE_SOURCES[{name[:-3]!r}] = {_lazy(name, included)!r}\n"
        elif name not in included:
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


def _lazy(name: str, included: set[str]) -> str:
    """A module's text to compile later in the script's namespace: its own imports of modules the
    script already holds dropped (it keeps its ``from __future__`` line: it is compiled alone)."""
    lines = []
    for line in (INPROCESS / name).read_text(encoding="utf-8").splitlines(keepends=True):
        found = _SPLICE_LINE.search(line)
        if found is not None:
            if found.group(2) not in included:
                raise AssertionError(f"{name} needs {found.group(2)} spliced before it")
            continue
        lines.append(line)
    return "".join(lines)


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
