"""pip's own reading of a requirements file, as the oracle envaudit's reader is held to.

pip has no public API for this; its internal parser is what ``pip install -r`` runs, so the tests
call it directly (pinned by constraints.txt). Each requirement becomes (name, specifier, extras,
marker, url, editable); a file pip refuses is the error's first line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name


@dataclass(frozen=True, order=True)
class Read:
    name: str  # canonical; "" when pip cannot tell before building it
    specifier: str
    extras: tuple[str, ...]
    marker: str
    url: str
    editable: bool
    constraint: bool


def pip_reads(path: Path) -> list[Read] | str:
    """What pip makes of ``path``: its requirements, or why it refuses the file."""
    os.environ.setdefault("PIP_NO_INPUT", "1")
    from pip._internal.exceptions import DiagnosticPipError, InstallationError
    from pip._internal.network.session import PipSession
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import parse_requirements

    out = []
    here = Path.cwd()
    os.chdir(path.parent)  # pip resolves a line's relative paths against where it runs: run it there
    try:
        for parsed in parse_requirements(path.name, PipSession(), constraint=False):
            ireq = install_req_from_parsed_requirement(parsed)
            url = ireq.link.url if ireq.link is not None and ireq.original_link is not None else ""
            out.append(
                Read(
                    name=canonicalize_name(ireq.name) if ireq.name else "",
                    specifier=str(ireq.req.specifier) if ireq.req is not None else "",
                    extras=tuple(sorted(ireq.extras)),
                    marker=str(ireq.markers) if ireq.markers else "",
                    url=url,
                    editable=ireq.editable,
                    constraint=parsed.constraint,
                )
            )
    except (InstallationError, DiagnosticPipError, ValueError, OSError) as exc:  # what pip exits with
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    finally:
        os.chdir(here)
    return sorted(out)
