"""Which distribution provides each top-level module, and which modules are the standard library.

What ``importlib.metadata.packages_distributions()`` computes, through the metadata reader's file
access so that a live target and a static image agree: a distribution's ``top_level.txt``, or,
for the many builds that write none (hatchling, flit, poetry, meson-python, maturin), the first
path segment of each file its ``RECORD`` lists. Also the top-level names importable from each
``sys.path`` folder, so a module no distribution owns (copied by hand, put on PYTHONPATH) is told
apart from one that is not there at all.

Runs inside targets, spliced into the scanner like ``metadata.py``: standard library only, Python
3.8 syntax and APIs, and only when envaudit asks (``scan --project``).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every target; annotations are never evaluated
    from typing import Any, Dict, List, Optional, Set

MAX_RECORD = 8 * 1024 * 1024  # a RECORD of a large package (tensorflow) is a few MiB
EXTENSION_SUFFIXES = (".so", ".pyd")
NOT_MODULES = ("__pycache__", "..", ".", "bin", "share", "include", "lib", "scripts", "etc")


def _identifier(name: str) -> bool:
    return name.isidentifier() and not name.startswith("__")


def module_of(segment: str) -> Optional[str]:
    """The top-level module a path segment of a RECORD or a folder listing makes importable."""
    if segment.endswith(".py"):
        name = segment[:-3]
    elif segment.endswith(EXTENSION_SUFFIXES):
        name = segment.split(".", 1)[0]  # numpy_core.cpython-311-x86_64-linux-gnu.so
    elif "." in segment:
        return None  # a .dist-info, .data, .pth, .egg-link: not a module
    else:
        name = segment
    return name if _identifier(name) and name not in NOT_MODULES else None


def provided_modules(files: Any, meta_dir: str, issues: List[Dict[str, Any]]) -> List[str]:
    """The top-level modules one distribution installs."""
    found = []  # type: List[str]
    try:
        top = files.read(files.join(meta_dir, "top_level.txt"), 64 * 1024)
        if top is not None:
            for line in top.decode("utf-8", "replace").splitlines():
                name = line.strip().replace("/", ".").split(".", 1)[0]
                if _identifier(name) and name not in found:
                    found.append(name)
            if found:
                return found
        record = files.read(files.join(meta_dir, "RECORD"), MAX_RECORD)
        if record is None:  # an egg-info: installed-files.txt names files relative to it
            record = files.read(files.join(meta_dir, "installed-files.txt"), MAX_RECORD)
            prefix = "../"
        else:
            prefix = ""
    except OSError as exc:
        issues.append({"code": "unreadable-record", "path": meta_dir, "message": str(exc)[:200]})
        return found
    if record is None:
        return found
    seen = set()  # type: Set[str]
    for line in record.decode("utf-8", "replace").splitlines():
        path = line.split(",", 1)[0].strip('"')
        if prefix:
            if not path.startswith(prefix):
                continue
            path = path[len(prefix) :]
        segment, slash, _ = path.partition("/")
        if segment in seen:
            continue
        seen.add(segment)
        if not slash and not segment.endswith((".py", *EXTENSION_SUFFIXES)):
            continue
        name = module_of(segment)
        if name is not None and name not in found:
            found.append(name)
    return found


def stdlib_names() -> List[str]:
    """The standard library's top-level modules for this interpreter: ``sys.stdlib_module_names``
    (Python 3.10+), else the stdlib folder and the built-in modules."""
    names = getattr(sys, "stdlib_module_names", None)
    if names:
        return sorted(names)
    found = set(sys.builtin_module_names)
    folder = os.path.dirname(os.__file__)
    for where in (folder, os.path.join(folder, "lib-dynload")):
        try:
            entries = os.listdir(where)
        except OSError:
            continue
        for entry in entries:
            if entry in ("site-packages", "dist-packages", "test"):
                continue
            name = module_of(entry)
            if name is not None:
                found.add(name)
    return sorted(found)


def importable(paths: List[str], stdlib_folders: Set[str]) -> List[str]:
    """Top-level names importable from the sys.path folders that are not the standard library's."""
    found = set()  # type: Set[str]
    for entry in paths:
        if not entry or os.path.realpath(entry) in stdlib_folders or not os.path.isdir(entry):
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        for name in names:
            module = module_of(name)
            if module is None:
                continue
            if "." in name or os.path.isdir(os.path.join(entry, name)):
                found.add(module)
    return sorted(found)


def module_facts(
    files: Any, dists: List[Dict[str, Any]], paths: List[str], issues: List[Dict[str, Any]]
) -> Dict[str, Any]:
    """What the scanner reports for ``--project``: modules by providing distribution, the standard
    library, and the names importable here (``files``: the metadata reader's file access)."""
    providers = {}  # type: Dict[str, List[str]]
    for dist in dists:
        for module in provided_modules(files, dist["metadata_path"], issues):
            owners = providers.setdefault(module, [])
            if dist["canonical_name"] not in owners:
                owners.append(dist["canonical_name"])
    folder = os.path.dirname(os.__file__)
    stdlib_folders = {os.path.realpath(p) for p in (folder, os.path.join(folder, "lib-dynload"))}
    return {"providers": providers, "stdlib": stdlib_names(), "importable": importable(paths, stdlib_folders)}
