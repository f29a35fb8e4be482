"""The in-target scanner: collects raw facts about the interpreter that runs it.

Runs as ``python -I - OPTIONS_JSON`` with this file on stdin, inside local venvs, containers and SSH
hosts alike. Constraints, because it runs in environments we do not control:
- standard library only, and Python 3.8 syntax and APIs (no walrus-free guarantees needed, but no
  ``match``, no ``str.removeprefix``, no PEP 604 unions at runtime);
- never crash on one bad file: every problem becomes an entry in ``issues`` and the scan goes on;
- read only metadata headers, never long descriptions (speed on environments with hundreds of dists);
- import as little as possible: start-up is most of its cost. ``json``, ``re`` and ``platform``
  (which imports ``re``) are left out of the common path; ``_json``'s C string encoder and
  ``os.uname()`` give the same results.
Classification (origins, shadowing, redaction) happens on the envaudit side, where it can be typed
and tested; this script reports what it finds as plainly as it can.
"""

from __future__ import annotations

import os
import sys

# The metadata and OS package readers, shared with envaudit's static image reader. envaudit sends this
# script with their text in place of the next lines (targets/scripts.py), so targets need no envaudit.
from envaudit.inprocess.metadata import OSFiles, scan_distributions  # envaudit: splice metadata.py
from envaudit.inprocess.modules import module_facts  # envaudit: splice modules.py
from envaudit.inprocess.ospackages import attribute_os_packages  # envaudit: splice ospackages.py
from envaudit.inprocess.runtime import runtime_facts  # envaudit: splice runtime.py

__all__ = ["OSFiles", "attribute_os_packages", "module_facts", "runtime_facts", "scan_distributions"]

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every target; annotations are never evaluated
    from typing import Any, Dict, List, Tuple

MARKER = "\n@@envaudit-scanner-output@@\n"
# Said last: the result is complete. Over SSH the script's exit cannot be seen while a process the
# target started (a .pth's child) keeps the session open; this tells envaudit it need not wait.
DONE = "\n@@envaudit-done@@\n"
try:
    from _json import encode_basestring_ascii as _encode_string
except ImportError:  # not CPython: the json module it is
    from json import dumps as _encode_string


def to_json(value: Any) -> str:
    """JSON text for the plain data this script produces (dicts, lists, str, int, bool, None)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ",".join(_encode_string(str(k)) + ":" + to_json(v) for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return _encode_string(str(value))


def from_json(text: str) -> Any:
    import json  # only for the options, which most scans do not pass

    return json.loads(text)


def _version_string(info: Any) -> str:
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython", "jython": "Jython"}


def _uname() -> Tuple[str, str, str, str]:
    """(system, release, version, machine) as ``platform`` reports them, without importing it on POSIX."""
    if hasattr(os, "uname"):
        u = os.uname()
        return u.sysname, u.release, u.version, u.machine
    import platform

    return platform.system(), platform.release(), platform.version(), platform.machine()


def python_version() -> str:
    # What platform.python_version() returns: the first word of sys.version, e.g. "3.13.0rc1".
    return sys.version.split()[0]


def marker_environment() -> Dict[str, str]:
    """The PEP 508 marker environment, computed as ``packaging.markers.default_environment`` does."""
    system, release, version, machine = _uname()
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _version_string(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": machine,
        "platform_release": release,
        "platform_system": system,
        "platform_version": version,
        "python_full_version": python_version(),
        "platform_python_implementation": _IMPLEMENTATIONS.get(
            sys.implementation.name, sys.implementation.name
        ),
        "python_version": "%d.%d" % sys.version_info[:2],
        "sys_platform": sys.platform,
    }


def libc() -> Tuple[str, str]:
    try:
        # Instant on glibc, unlike platform.libc_ver() which greps the interpreter binary.
        value = os.confstr("CS_GNU_LIBC_VERSION")  # e.g. "glibc 2.36"
    except (AttributeError, ValueError, OSError):
        value = None
    if value:
        name, _, version = value.partition(" ")
        return name, version
    for folder in ("/lib", "/usr/lib", "/lib64"):
        try:
            for filename in os.listdir(folder):
                if filename.startswith("ld-musl-"):
                    return "musl", ""
        except OSError:
            continue
    import platform  # last resort: it greps the interpreter binary

    name, version = platform.libc_ver()
    return name or "", version or ""


def interpreter() -> Dict[str, Any]:
    base_prefix = getattr(sys, "base_prefix", None) or getattr(sys, "real_prefix", sys.prefix)
    libc_name, libc_version = libc()
    markers = marker_environment()
    return {
        "executable": sys.executable,
        "resolved_executable": os.path.realpath(sys.executable) if sys.executable else "",
        "version": python_version(),
        "implementation": sys.implementation.name,
        "prefix": sys.prefix,
        "base_prefix": base_prefix,
        "is_venv": sys.prefix != base_prefix,
        "os": markers["platform_system"],
        "os_release": markers["platform_release"],
        "machine": markers["platform_machine"],
        "libc": libc_name,
        "libc_version": libc_version,
        "markers": markers,
        "sys_path": [p for p in sys.path if p],
    }


PROJECT_SUFFIXES = (".txt", ".in", ".toml", ".lock")
PROJECT_NAMES = ("Pipfile",)
MAX_PROJECT_FILE = 8 * 1024 * 1024  # lock files included: a uv.lock of 300 packages is ~2 MiB


def project_files(folder: str) -> Dict[str, str]:
    """The files of a project folder in the target that may declare requirements (two levels deep,
    capped in size), for envaudit to parse: ``--project /app`` of an image scanned through the engine."""
    found = {}  # type: Dict[str, str]
    for root, dirs, files in os.walk(folder):
        depth = root[len(folder) :].count(os.sep)
        if depth >= 1:
            dirs[:] = []
        for name in sorted(files):
            path = os.path.join(root, name)
            wanted = name.endswith(PROJECT_SUFFIXES) or name in PROJECT_NAMES
            if wanted and os.path.isfile(path) and len(found) < 200:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_PROJECT_FILE)
                found[os.path.relpath(path, folder)] = data.decode("utf-8", "surrogateescape")
    return found


def main(argv: List[str]) -> int:
    options = from_json(argv[1]) if len(argv) > 1 else {}
    issues = []  # type: List[Dict[str, Any]]
    facts = interpreter()
    dists, editable_locations = scan_distributions(facts["sys_path"], issues)
    distro = attribute_os_packages(OSFiles(), dists, issues)
    for path in options.get("look_for") or ():  # other Python environments an image may hold
        prefix = os.path.dirname(os.path.dirname(path))  # a venv's python shares a binary, not a prefix
        if os.path.isfile(path) and os.access(path, os.X_OK) and prefix != sys.prefix:
            issues.append({"code": "other-interpreter", "path": path, "message": options["look_for"][path]})
    result = {
        "scanner_protocol": 1,
        "interpreter": facts,
        "distributions": dists,
        "editable_locations": editable_locations,
        "issues": issues,
        "environ": dict(os.environ) if options.get("environ") else None,
        "distro": distro,
    }
    if options.get("modules"):  # scan --project: which distribution provides each module here
        result["modules"] = module_facts(OSFiles(), dists, facts["sys_path"], issues)
    if options.get("runtime"):  # scan --runtime: what changes numbers without a version change
        result["runtime"] = runtime_facts(options["runtime"], issues)
    if options.get("project"):
        result["project_files"] = (
            project_files(options["project"]) if os.path.isdir(options["project"]) else None
        )
    # The marker lets envaudit find the JSON even when a remote login shell printed something first.
    sys.stdout.write(MARKER + to_json(result) + DONE)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
