"""Image facts from its merged files alone: which Python, its sys.path and version, the libc, and
the installed distributions (through the one metadata reader), as the in-target scanner reports them."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from envaudit.errors import UsageError
from envaudit.inprocess import metadata, ospackages
from envaudit.targets import interpreters
from envaudit.targets.image.layers import PYTHON_BIN, Entry, ImageFiles, clean
from envaudit.targets.image.manifest import ImageConfig

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ARCH_TO_MACHINE = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "386": "i686",
    "arm": "armv7l",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}

# .pth files whose code is known to leave sys.path alone (setuptools' and virtualenv's distutils shims).
HARMLESS_PTH = frozenset({"distutils-precedence.pth", "_virtualenv.pth"})


def pth_folders(files: ImageFiles, folder: str, name: str, search: list[str]) -> list[str]:
    """Folders a .pth file adds to sys.path, as site.addpackage reads it; code lines cannot be
    followed without running the interpreter, and are reported as the limit of a static scan."""
    text = _text(files.entries.get(f"{folder}/{name}")) or ""
    added: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("import ", "import\t")):
            if name not in HARMLESS_PTH:
                files.issues.append(
                    {
                        "code": "static-pth",
                        "path": f"/{folder}/{name}",
                        "message": "runs code at start-up that may change sys.path, which only the running "
                        "interpreter sees: scan through the engine (docker:IMAGE) to include its effect",
                    }
                )
            continue
        extra = clean(line if line.startswith("/") else f"{folder}/{line}")
        if extra and extra.endswith(".egg") and extra in files.entries:  # a file: a zipped egg
            files.issues.append(
                {
                    "code": "static-zipped-egg",
                    "path": f"/{extra}",
                    "message": "a zipped egg on sys.path is not read statically: scan through the "
                    "engine (docker:IMAGE) to include it",
                }
            )
            continue
        # site.py adds only folders that exist; the ones that matter here hold metadata we kept.
        if (
            extra
            and extra not in search
            and extra not in added
            and any(p.startswith(extra + "/") for p in files.entries)
        ):
            added.append(extra)
    return added


# --- from files to scanner facts ---------------------------------------------------------------------


def _text(entry: Entry | None) -> str | None:
    if entry is None or entry.data is None:
        return None
    return entry.data.decode("utf-8", errors="replace")


class LayerFiles:
    """The merged layers as the metadata reader's file access (``inprocess/metadata.py``): paths
    are absolute in the image, so what the reader reports reads like a live scan's."""

    def __init__(self, files: ImageFiles) -> None:
        self.entries = files.entries
        self.children: dict[str, set[str]] = {}
        for path in files.entries:
            parent, _, name = path.rpartition("/")
            while True:
                siblings = self.children.setdefault("/" + parent if parent else "/", set())
                if name in siblings:
                    break  # the folders above are indexed already
                siblings.add(name)
                if not parent:
                    break
                parent, _, name = parent.rpartition("/")

    def read(self, path: str, limit: int) -> bytes | None:
        entry = self.entries.get(path.lstrip("/"))
        return None if entry is None or entry.data is None else entry.data[:limit]

    def listdir(self, folder: str) -> list[str]:
        return sorted(self.children.get(folder, ()))

    def is_dir(self, path: str) -> bool:
        return path in self.children

    def join(self, folder: str, name: str) -> str:
        return f"{folder}/{name}"

    def layer_of(self, path: str) -> str | None:
        entry = self.entries.get(path.lstrip("/"))
        return entry.layer if entry is not None else None


def distributions_of(
    access: LayerFiles, folder: str, names: list[str], issues: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """The distributions of one site folder, read as a live scan reads them, with their layers."""
    dists, _ = metadata.read_folder(access, "/" + folder, names, issues)
    for dist in dists:
        location, name = dist["location"], posixpath.basename(dist["metadata_path"])
        dist["layer"] = access.layer_of(metadata.metadata_file(access, location, name)[1])
    return dists


def _resolve(files: ImageFiles, path: str, depth: int = 0) -> str:
    entry = files.entries.get(path)
    if entry is None or entry.link is None or depth > 8:
        return path
    target = entry.link if entry.link.startswith("/") else posixpath.join(posixpath.dirname(path), entry.link)
    return _resolve(files, clean(target) or path, depth + 1)


def choose_python(files: ImageFiles, config: ImageConfig, requested: str | None) -> str:
    """The interpreter to read for, chosen as the engine scan chooses it (see interpreters.py), with
    names looked up on the image's PATH the way the container runtime does."""
    c = config.config.get("config") or {}
    env = dict(_env_pairs(config.config))
    folders = env.get("PATH", DEFAULT_PATH).split(":")
    for candidate in interpreters.candidates(c.get("Entrypoint") or (), c.get("Cmd") or (), requested):
        if "/" in candidate:
            path = clean(candidate) or ""
            if path in files.entries:
                return path
            continue
        for folder in folders:
            path = clean(f"{folder}/{candidate}") or ""
            if path in files.entries:
                return path
    if requested:
        raise UsageError(f"no {requested} in the image", tip="pick one the image has with --python PATH")
    pythons = sorted(p for p in files.entries if PYTHON_BIN.search(p))
    if not pythons:
        raise UsageError("no Python interpreter found in the image (no bin/python3 on PATH or elsewhere)")
    return pythons[0]


def _other_pythons(files: ImageFiles, executable: str) -> list[dict[str, str]]:
    chosen = posixpath.dirname(posixpath.dirname(executable))  # a venv's python shares a binary, not a prefix
    issues = []
    for path in interpreters.COMMON:
        clean = path.lstrip("/")
        if clean in files.entries and posixpath.dirname(posixpath.dirname(clean)) != chosen:
            message = interpreters.others_message(path)
            issues.append({"code": "other-interpreter", "path": path, "message": message})
    return issues


def _env_pairs(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    env = ((config.get("config") or {}).get("Env")) or []
    pairs = []
    for item in env:
        name, sep, value = str(item).partition("=")
        if sep:
            pairs.append((name, value))
    return pairs


def _python_version(files: ImageFiles, executable: str, prefix: str, env: Mapping[str, str]) -> str:
    """X.Y.Z where the image says it (PYTHON_VERSION of the official images, the dpkg or apk record,
    patchlevel.h), else X.Y from the interpreter's name or its lib/pythonX.Y folder."""
    resolved = _resolve(files, executable)
    match = re.search(r"python(\d+\.\d+)$", resolved) or re.search(r"python(\d+\.\d+)$", executable)
    if match is None:
        libs = sorted(
            {
                m.group(1)
                for p in files.entries
                for m in [re.match(rf"{re.escape(prefix)}/lib/python(\d+\.\d+)/", p)]
                if m
            }
        )
        minor = libs[-1] if libs else ""
    else:
        minor = match.group(1)
    if not minor:
        return ""
    full = env.get("PYTHON_VERSION", "")
    if full.startswith(minor + "."):
        return full
    cfg = _text(files.entries.get(f"{prefix}/pyvenv.cfg")) or ""  # venv records its base's version
    found = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+\.\d+)", cfg, re.MULTILINE)
    if found and found.group(1).startswith(minor + "."):
        return found.group(1)
    header = _text(files.entries.get(f"{prefix}/include/python{minor}/patchlevel.h")) or ""
    found = re.search(r'#define PY_VERSION\s+"(\d+\.\d+\.\d+)', header)
    if found and found.group(1).startswith(minor + "."):
        return found.group(1)
    if prefix == "usr":  # a distribution's Python: its package record has the version
        status = _text(files.entries.get("var/lib/dpkg/status")) or ""
        found = re.search(
            rf"^Package: (?:lib)?python{re.escape(minor)}(?:-minimal)?\n(?:[^\n]+\n)*?Version: ([\d.]+)",
            status,
            re.MULTILINE,
        )
        if found is None:
            installed = _text(files.entries.get("lib/apk/db/installed")) or ""
            found = re.search(r"^P:python3\nV:([\d.]+)", installed, re.MULTILINE)
        if found and found.group(1).startswith(minor + "."):
            return found.group(1)
    return minor


def sys_path(files: ImageFiles, executable: str, minor: str) -> tuple[str, str, bool, list[str]]:
    """(prefix, base_prefix, is_venv, site folders) for ``executable``, as its site module would set them."""
    prefix = posixpath.dirname(posixpath.dirname(executable))
    cfg = _text(files.entries.get(f"{prefix}/pyvenv.cfg")) if prefix else None
    if cfg is not None:
        pairs = (line.partition("=") for line in cfg.splitlines())
        values = {k.strip(): v.strip() for k, _, v in pairs if k.strip()}
        home = clean(values.get("home", "")) or ""
        base = posixpath.dirname(home) if home else prefix
        site = [f"{prefix}/lib/python{minor}/site-packages"]
        if values.get("include-system-site-packages", "false").lower() == "true":
            site += _system_site(files, base, minor)
        return prefix, base, True, site
    return prefix, prefix, False, _system_site(files, prefix, minor)


def _system_site(files: ImageFiles, prefix: str, minor: str) -> list[str]:
    if prefix == "usr" and (
        "var/lib/dpkg/status" in files.entries
        or any(p.startswith("usr/lib/python3/dist-packages/") for p in files.entries)
    ):  # Debian's and Ubuntu's system Python
        return [
            f"usr/local/lib/python{minor}/dist-packages",
            "usr/lib/python3/dist-packages",
            f"usr/lib/python{minor}/dist-packages",
        ]
    if prefix == "usr":  # Alpine's, Fedora's and others': site-packages, those the image has (as site.py)
        folders = [f"usr/local/lib/python{minor}/site-packages", f"usr/lib64/python{minor}/site-packages"]
        present = [f for f in folders if any(p.startswith(f + "/") for p in files.entries)]
        return [*present, f"usr/lib/python{minor}/site-packages"]
    return [f"{prefix}/lib/python{minor}/site-packages"]


def _libc(files: ImageFiles) -> tuple[str, str]:
    if any("/ld-musl-" in p for p in files.entries):
        installed = _text(files.entries.get("lib/apk/db/installed")) or ""
        match = re.search(r"^P:musl\nV:([^\n-]+)", installed, re.MULTILINE)
        return "musl", match.group(1) if match else ""
    status = _text(files.entries.get("var/lib/dpkg/status")) or ""
    match = re.search(r"^Package: libc6\n(?:[^\n]+\n)*?Version: ([\d.]+)", status, re.MULTILINE)
    if match or any(p.endswith("libc.so.6") for p in files.entries):
        return "glibc", match.group(1) if match else ""
    return "", ""


def facts(config: ImageConfig, files: ImageFiles, python: str | None) -> dict[str, Any]:
    """What the in-target scanner would have reported, from files alone (see README for the limits)."""
    executable = choose_python(files, config, python)
    env = dict(_env_pairs(config.config))
    prefix, base_prefix, is_venv, site = sys_path(files, executable, "")  # prefix first, to find the version
    minor_version = _python_version(files, executable, prefix, env)
    minor = ".".join(minor_version.split(".")[:2])
    prefix, base_prefix, is_venv, site = sys_path(files, executable, minor)
    machine = ARCH_TO_MACHINE.get(
        str(config.config.get("architecture", "")), str(config.config.get("architecture", ""))
    )
    libc, libc_version = _libc(files)
    markers = {
        "implementation_name": "cpython",
        "implementation_version": minor_version,
        "os_name": "posix",
        "platform_machine": machine,
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": minor_version,
        "platform_python_implementation": "CPython",
        "python_version": minor,
        "sys_platform": "linux",
    }
    dists = []
    access = LayerFiles(files)
    search = list(site)  # sys.path as site.py builds it: each site folder, then what its .pth files add
    position = 0
    while position < len(search):
        folder = search[position]
        position += 1
        names = access.listdir("/" + folder)
        dists += distributions_of(access, folder, names, files.issues)
        if folder in site:  # only site folders' .pth files are read
            added = [
                f for name in names if name.endswith(".pth") for f in pth_folders(files, folder, name, search)
            ]
            search[position:position] = added
    site = search
    distro = ospackages.attribute_os_packages(access, dists, files.issues)
    return {
        "scanner_protocol": 1,
        "interpreter": {
            "executable": "/" + executable,
            "resolved_executable": "/" + _resolve(files, executable),
            "version": minor_version,
            "implementation": "cpython",
            "prefix": "/" + prefix,
            "base_prefix": "/" + base_prefix,
            "is_venv": is_venv,
            "os": "Linux",
            "os_release": "",
            "machine": machine,
            "libc": libc,
            "libc_version": libc_version,
            "markers": markers,
            "sys_path": ["/" + f for f in site],
        },
        "distributions": dists,
        "editable_locations": [],
        "issues": files.issues + _other_pythons(files, executable),
        "environ": dict(env),
        "distro": distro,
    }
