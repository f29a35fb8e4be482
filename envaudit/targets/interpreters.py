"""Which Python in an image to scan, decided the same way for the engine and the static reader, so
that the two ways of scanning an image look at the same interpreter."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

# Where images commonly keep a Python besides the one on PATH: a venv, conda, the system's.
COMMON = (
    "/opt/venv/bin/python3",
    "/venv/bin/python3",
    "/app/.venv/bin/python3",
    "/opt/conda/bin/python3",
    "/usr/local/bin/python3",
    "/usr/bin/python3",
)
_PYTHON_NAME = re.compile(r"^python(3(\.\d+)?)?$")


def candidates(entrypoint: Sequence[str], cmd: Sequence[str], requested: str | None) -> list[str]:
    """Interpreters to try, in order: ``--python``; the Python the image's own command runs (what
    the app really uses, e.g. ``CMD ["/opt/venv/bin/python", "app.py"]``); python3, then python, as
    the image's PATH finds them."""
    if requested:
        return [requested]
    argv = list(entrypoint) or list(cmd)
    found = [argv[0]] if argv and _PYTHON_NAME.match(posixpath.basename(argv[0])) else []
    return list(dict.fromkeys([*found, "python3", "python"]))


def others_message(path: str) -> str:
    return (
        f"{path} is another Python in this image; its packages are not in this scan "
        f"(scan it with --python {path})"
    )
