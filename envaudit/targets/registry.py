"""Every kind of target, one line each: how it is spelt, and the class that reaches it.

The classes are named, not imported: a scan imports only the kinds it meets, which keeps start-up
short. Adding a kind is one module with a ``Target`` subclass (see ``targets/base.py``) and one line
here; nothing else in envaudit decides by kind.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envaudit.project import LOCK_FORMATS

LOCK_FILE_NAMES = tuple(pattern for pattern, _ in LOCK_FORMATS)

if TYPE_CHECKING:
    from envaudit.targets.base import Target


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # what snapshots record as provenance.target_kind
    implementation: str  # "module:Class", imported when a target of this kind is scanned
    prefix: str = ""  # "docker:" spellings; the rest is the location
    keep_prefix: bool = False  # the prefix is part of the location (ssh://...)
    exact: str = ""  # the whole spelling ("local")
    suffix: str = ""  # a file name ending (".json")
    named_by_file: bool = False  # reports call it by its file name, not its spelling
    file_names: tuple[str, ...] = ()  # file name patterns (fnmatch) of the file it is, in any folder


KINDS = (
    Kind("local", "envaudit.targets.local:ActiveInterpreter", exact="local"),
    Kind("python", "envaudit.targets.local:PythonInterpreter", prefix="python:"),
    Kind("docker-archive", "envaudit.targets.archive:StaticImage", prefix="docker-archive:"),
    Kind("oci-archive", "envaudit.targets.archive:StaticImage", prefix="oci-archive:"),
    Kind("oci", "envaudit.targets.archive:OCILayout", prefix="oci:"),
    Kind("docker", "envaudit.targets.docker:EngineImage", prefix="docker:"),
    Kind("ssh", "envaudit.targets.ssh:SSHHost", prefix="ssh://", keep_prefix=True),
    Kind("snapshot", "envaudit.targets.saved:SavedSnapshot", suffix=".json", named_by_file=True),
    Kind("lock", "envaudit.targets.lockfile:LockFile", named_by_file=True, file_names=LOCK_FILE_NAMES),
)
BY_NAME = {kind.name: kind for kind in KINDS}
# A bare path that is neither a snapshot nor prefixed names an interpreter or a venv.
PATH_KIND = BY_NAME["python"]


def target_class(kind: str) -> type[Target]:
    """The class that reaches targets of ``kind``, imported on first use."""
    module, _, name = BY_NAME[kind].implementation.partition(":")
    cls: type[Target] = getattr(importlib.import_module(module), name)
    return cls
