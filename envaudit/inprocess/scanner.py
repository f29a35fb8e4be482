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

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs start-up time in every target; annotations are never evaluated
    from typing import Any, Dict, Iterable, List, Optional, Tuple

MARKER = "\n@@envaudit-scanner-output@@\n"
# Said last: the result is complete. Over SSH the script's exit cannot be seen while a process the
# target started (a .pth's child) keeps the session open; this tells envaudit it need not wait.
DONE = "\n@@envaudit-done@@\n"
WANTED_HEADERS = ("name", "version", "requires-dist", "requires-python", "metadata-version")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation (``re.sub(r"[-_.]+", "-", name).lower()``, as packaging does it),
    computed here so neither side needs ``re`` or ``packaging`` on the fast path."""
    out = []  # type: List[str]
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out)


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
    import json  # only for direct_url.json files and options, which most scans never read

    return json.loads(text)


def read_headers(path: str) -> List[Tuple[str, str]]:
    """Header fields of an RFC 822 style metadata file, stopping at the blank line before the body.

    Folded continuation lines (starting with a space or tab) are joined to the field before them.
    Raises ValueError for a line that is neither a field nor a continuation, and
    UnicodeDecodeError for bytes that are not UTF-8.
    """
    with open(path, "r", encoding="utf-8", newline=None) as fh:
        return parse_headers(fh)


def parse_headers(lines: Iterable[str]) -> List[Tuple[str, str]]:
    """``read_headers`` on lines already read (envaudit's static image reader uses it too)."""
    headers = []  # type: List[Tuple[str, str]]
    for lineno, line in enumerate(lines, 1):
        stripped = line.rstrip("\r\n")
        if not stripped:
            break  # end of the header block; the body is a description we do not need
        if stripped[0] in " \t":
            if not headers:
                raise ValueError("line %d: continuation line before any field" % lineno)
            name, value = headers[-1]
            headers[-1] = (name, value + " " + stripped.strip())
            continue
        name, sep, value = stripped.partition(":")
        if not sep or not name.strip():
            raise ValueError("line %d: not a 'Field: value' line: %r" % (lineno, stripped[:80]))
        headers.append((name.strip(), value.strip()))
    return headers


def egg_requires_to_requires_dist(text: str) -> List[str]:
    """Convert an egg-info ``requires.txt`` into Requires-Dist strings.

    Sections look like ``[extra]``, ``[:marker]`` or ``[extra:marker]``.
    """
    out = []  # type: List[str]
    extra = ""
    marker = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            extra, _, marker = section.partition(":")
            extra = extra.strip()
            marker = marker.strip()
            continue
        conditions = []
        if marker:
            conditions.append("(%s)" % marker if extra else marker)
        if extra:
            conditions.append('extra == "%s"' % extra)
        out.append(line + ("; " + " and ".join(conditions) if conditions else ""))
    return out


def _read_small(path: str) -> Optional[str]:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            return fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _name_version_from_filename(filename: str) -> Tuple[str, str]:
    stem = filename.rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    version = rest.split("-", 1)[0] if rest else ""
    return name, version


def read_distribution(location: str, filename: str, issues: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """One distribution from a ``.dist-info`` or ``.egg-info`` entry (or an ``EGG-INFO`` folder)."""
    meta_dir = os.path.join(location, filename)
    lower = filename.lower()
    if lower.endswith(".dist-info"):
        fmt = "dist-info"
        meta_file = os.path.join(meta_dir, "METADATA")
        is_dir = True
    else:
        fmt = "egg-info"
        is_dir = os.path.isdir(meta_dir)
        meta_file = os.path.join(meta_dir, "PKG-INFO") if is_dir else meta_dir

    fields = {}  # type: Dict[str, List[str]]
    try:
        for header, value in read_headers(meta_file):
            key = header.lower()
            if key in WANTED_HEADERS:
                fields.setdefault(key, []).append(value)
    except FileNotFoundError:
        issues.append({"code": "missing-metadata", "path": meta_file, "message": "metadata file is missing"})
    except UnicodeDecodeError as exc:
        issues.append(
            {
                "code": "corrupt-metadata",
                "path": meta_file,
                "message": "metadata is not UTF-8 (byte %d)" % exc.start,
            }
        )
    except ValueError as exc:
        issues.append({"code": "corrupt-metadata", "path": meta_file, "message": str(exc)})
    except OSError as exc:
        issues.append({"code": "unreadable-metadata", "path": meta_file, "message": exc.strerror or str(exc)})

    name = (fields.get("name") or [""])[0]
    version = (fields.get("version") or [""])[0]
    if not name or not version:
        fallback_name, fallback_version = _name_version_from_filename(filename)
        if fields:
            missing = "Name" if not name else "Version"
            issues.append(
                {
                    "code": "incomplete-metadata",
                    "path": meta_file,
                    "message": "metadata has no %s field" % missing,
                }
            )
        name = name or fallback_name
        version = version or fallback_version
    if not name:
        return None

    requires_dist = fields.get("requires-dist", [])
    installer = None
    direct_url = None
    if is_dir:
        installer_text = _read_small(os.path.join(meta_dir, "INSTALLER"))
        installer = installer_text.strip() or None if installer_text else None
        if fmt == "dist-info":
            direct_url_text = _read_small(os.path.join(meta_dir, "direct_url.json"))
            if direct_url_text is not None:
                try:
                    direct_url = from_json(direct_url_text)
                except ValueError as exc:
                    issues.append(
                        {
                            "code": "corrupt-direct-url",
                            "path": os.path.join(meta_dir, "direct_url.json"),
                            "message": "not valid JSON: %s" % exc,
                        }
                    )
        elif not requires_dist:
            requires_text = _read_small(os.path.join(meta_dir, "requires.txt"))
            if requires_text:
                requires_dist = egg_requires_to_requires_dist(requires_text)

    return {
        "name": name,
        "canonical_name": canonical_name(name),
        "version": version,
        "location": location,
        "metadata_path": meta_dir,
        "metadata_format": fmt,
        "installer": installer,
        "direct_url": direct_url,
        "requires_dist": requires_dist,
        "requires_python": fields["requires-python"][0] if "requires-python" in fields else None,
    }


def scan_distributions(
    paths: List[str], issues: List[Dict[str, Any]]
) -> Tuple[List[Dict[str, Any]], List[str]]:
    """Every distribution on ``paths``, in path order then file name order; and legacy editable targets."""
    dists = []  # type: List[Dict[str, Any]]
    editable_locations = []  # type: List[str]
    seen = set()
    for entry in paths:
        if not entry:
            continue
        real = os.path.realpath(entry)
        if real in seen or not os.path.isdir(entry):
            continue  # zip files on sys.path hold the stdlib, not distributions
        seen.add(real)
        try:
            names = sorted(os.listdir(entry))
        except OSError as exc:
            issues.append({"code": "unreadable-path", "path": entry, "message": exc.strerror or str(exc)})
            continue
        for filename in names:
            lower = filename.lower()
            if lower.endswith(".dist-info") or lower.endswith(".egg-info"):
                dist = read_distribution(entry, filename, issues)
                if dist is not None:
                    dists.append(dist)
            elif lower.endswith(".egg-link"):
                # ``setup.py develop`` leaves NAME.egg-link naming the source folder.
                text = _read_small(os.path.join(entry, filename)) or ""
                first = text.splitlines()[0].strip() if text.strip() else ""
                if first:
                    editable_locations.append(os.path.normpath(os.path.join(entry, first)))
        if entry.lower().endswith(".egg") and os.path.isdir(os.path.join(entry, "EGG-INFO")):
            dist = read_distribution(entry, "EGG-INFO", issues)
            if dist is not None:
                dists.append(dist)
    return dists, editable_locations


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


PROJECT_SUFFIXES = (".txt", ".in", ".toml")
MAX_PROJECT_FILE = 256 * 1024


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
            if name.endswith(PROJECT_SUFFIXES) and os.path.isfile(path) and len(found) < 200:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_PROJECT_FILE)
                found[os.path.relpath(path, folder)] = data.decode("utf-8", "surrogateescape")
    return found


def main(argv: List[str]) -> int:
    options = from_json(argv[1]) if len(argv) > 1 else {}
    issues = []  # type: List[Dict[str, Any]]
    facts = interpreter()
    dists, editable_locations = scan_distributions(facts["sys_path"], issues)
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
    }
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
