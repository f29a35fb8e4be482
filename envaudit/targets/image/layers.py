"""Layers of an image, read as streams and laid over each other: what envaudit keeps of each file.

Each layer is read once, as a stream; only the small files that say what is installed are kept
(package metadata headers, pyvenv.cfg, os-release, the dpkg/apk records of libc, python
executables), with a cap on every read, so nothing is extracted to disk and a hostile archive
cannot exhaust memory. Whiteouts and opaque folders are applied as the OCI image spec says.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import re
import zlib
from dataclasses import dataclass, field
from typing import IO, Any, cast

from envaudit.inprocess import ospackages
from envaudit.targets import tarwalk

MAX_FILE = 256 * 1024  # the most read of any one file: metadata headers come first and are small
MAX_KEPT = 256 * 1024 * 1024  # all kept file contents of one image: more is hostile, not metadata
MAX_JSON = 8 * 1024 * 1024  # manifests and configs
# Files of a project folder in the image (--project /app) that may declare requirements or be included,
# and its lock files, which may be larger (a uv.lock of 300 packages with every wheel is ~2 MiB).
PROJECT_SUFFIXES = (".txt", ".in", ".toml", ".lock")
PROJECT_NAMES = ("Pipfile",)
MAX_PROJECT_FILE = 8 * 1024 * 1024
# The OS package databases that say which package owns a distribution, and the changelogs of the
# packages (their caps one byte above the OS package reader's, so it sees what is too large).
PACKAGE_DATABASES = ("var/lib/dpkg/status", "lib/apk/db/installed", "var/lib/rpm/rpmdb.sqlite")
MAX_DATABASE = ospackages.MAX_DATABASE + 1
MAX_PACKAGE_LIST = ospackages.MAX_LIST + 1
MAX_CHANGELOG = ospackages.MAX_CHANGELOG  # compressed: the reader reads at most this much of one
SITE_DIRS = ("site-packages", "dist-packages")
PYTHON_BIN = re.compile(r"(^|/)bin/python(3(\.\d+)?)?$")


@dataclass
class Entry:
    layer: str  # digest of the layer that wrote it
    data: bytes | None = None  # kept for files we read; None for the others we only note
    link: str | None = None  # symlink target


@dataclass
class ImageFiles:
    """The merged view of the files envaudit cares about, after every layer."""

    entries: dict[str, Entry] = field(default_factory=dict)
    issues: list[dict[str, str]] = field(default_factory=list)
    has_project: bool = False


def clean(name: str) -> str | None:
    """A member path relative to the image root, or None if it would leave it (.., absolute escapes)."""
    parts: list[str] = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


# --- reading layers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keep:
    """Which files' contents to keep, beyond the package metadata: a project folder in the image."""

    project: str | None = None  # relative to the image root, e.g. "app"

    def project_file(self, path: str) -> bool:
        if not self.project or not path.startswith(self.project + "/"):
            return False
        rest = path[len(self.project) + 1 :]
        return rest.count("/") <= 1 and (rest.endswith(PROJECT_SUFFIXES) or rest in PROJECT_NAMES)


@dataclass
class LayerDelta:
    """What one layer does to the file system, as far as envaudit cares."""

    added: dict[str, Entry] = field(default_factory=dict)
    hardlinks: dict[str, str] = field(default_factory=dict)  # path -> the path it links to
    removed: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    issues: list[dict[str, str]] = field(default_factory=list)
    has_project: bool = False  # the --project folder is in this layer
    kept: int = 0  # bytes of file contents kept


def _wanted(path: str, keep: Keep) -> bool:
    """Is this a file whose content we keep?"""
    parts = path.split("/")
    if len(parts) >= 2 and (
        parts[-2].endswith((".dist-info", ".egg-info"))
        or (parts[-2] == "EGG-INFO" and len(parts) >= 3 and parts[-3].endswith(".egg"))
    ):
        return parts[-1] in ("METADATA", "INSTALLER", "direct_url.json", "PKG-INFO", "requires.txt")
    if parts[-1].endswith(".egg-info") or (
        len(parts) >= 2 and parts[-2] in SITE_DIRS and parts[-1].endswith(".pth")
    ):
        return True
    return (
        path in ("etc/os-release", "usr/lib/os-release")
        or _limit(path) != MAX_FILE
        or parts[-1] == "pyvenv.cfg"
        or (parts[-1] == "patchlevel.h" and len(parts) >= 2 and parts[-2].startswith("python"))
        or keep.project_file(path)
    )


def _limit(path: str) -> int:
    """How much of a file to keep: package databases and changelogs are larger than metadata."""
    if path in PACKAGE_DATABASES:
        return MAX_DATABASE
    if (path.startswith("var/lib/dpkg/info/") and path.endswith(".list")) or path.startswith(
        "var/lib/dpkg/status.d/"
    ):
        return MAX_PACKAGE_LIST
    if path.startswith("usr/share/doc/") and "/changelog.Debian" in path and path.endswith(".gz"):
        return MAX_CHANGELOG
    return MAX_FILE


def _noted(path: str) -> bool:
    """Files we only need to know exist (interpreters, libc loaders)."""
    return bool(PYTHON_BIN.search(path)) or "/ld-musl-" in path or path.endswith(("libc.so.6", ".egg"))


def compression_of(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return ""


def decompress(raw: IO[bytes] | io.RawIOBase, head: bytes) -> IO[bytes]:
    """The decompressed stream; corrupt compressed data raises TarError, whatever the codec."""
    kind = compression_of(head)
    if kind == "gzip":
        inner = cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    else:
        import zstandard

        inner = cast(IO[bytes], zstandard.ZstdDecompressor().stream_reader(cast(IO[bytes], raw)))
    return cast(IO[bytes], io.BufferedReader(_Checked(inner, kind), 1 << 16))


class _Checked(io.RawIOBase):
    """A decompressor's output, with its errors (zlib's, zstandard's own type) made TarError."""

    def __init__(self, inner: IO[bytes], kind: str) -> None:
        self._inner = inner
        self._kind = kind

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        try:
            data = self._inner.read(len(target))
        except (tarwalk.TarError, tarwalk.ReadTimeout):
            raise
        except Exception as exc:  # zlib.error, EOFError, OSError, zstandard.ZstdError, ...
            raise tarwalk.TarError(f"{self._kind} data is corrupt or truncated ({exc})") from None
        target[: len(data)] = data
        return len(data)


class SourceFile(io.RawIOBase):
    """A source read as a file object (for a decompressor of a whole compressed archive)."""

    def __init__(self, source: tarwalk.Source) -> None:
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        data = self._source.read(len(target))
        target[: len(data)] = data
        return len(data)


def read_layer(walker: tarwalk.Walker, member: tarwalk.Member, keep: Keep) -> LayerDelta:
    """A layer that is a member of the outer archive: read in place, decompressed as its bytes say."""
    head = walker.source.peek(4)
    if compression_of(head):
        return _walk_layer(tarwalk.StreamSource(decompress(walker.stream(member), head)), keep)
    return _walk_layer(walker.nested(member), keep)


def read_layer_source(source: tarwalk.Source, keep: Keep) -> LayerDelta:
    """A layer that is a file of its own (an OCI layout's blob)."""
    head = source.peek(4)
    if compression_of(head):
        return _walk_layer(tarwalk.StreamSource(decompress(SourceFile(source), head)), keep)
    return _walk_layer(source, keep)


# A cheap first look at every member: only paths that match can matter to us (see _wanted, _noted).
_MAYBE = re.compile(
    r"pyvenv\.cfg$|-packages/|\.dist-info/|\.egg-info|\.wh\.|python|ld-musl-|libc\.so\.6$|release$|dpkg/status"
    r"|dpkg/info/[^/]*\.list$|apk/db/installed$|rpm/rpmdb\.sqlite$|/changelog\.Debian[^/]*\.gz$"
)


def _walk_layer(source: tarwalk.Source, keep: Keep) -> LayerDelta:
    delta = LayerDelta()
    walker = tarwalk.Walker(source)
    maybe = _MAYBE.search
    project = keep.project + "/" if keep.project else None
    try:
        for member in walker:
            raw_name = member.name
            if raw_name.startswith("/") or ".." in raw_name:
                path = clean(raw_name)
                if path is None or raw_name.startswith("/"):
                    delta.issues.append(
                        {
                            "code": "hostile-archive-member",
                            "path": raw_name,
                            "message": "a layer has a member outside the image root (ignored)",
                        }
                    )
                    continue
            elif maybe(raw_name) is None and (project is None or project not in raw_name):
                continue
            else:
                path = clean(raw_name)
            if not path:
                continue  # the layer's root folder, "./"
            if project is not None and (path + "/").startswith(project):
                delta.has_project = True
            _record(delta, walker, member, path, keep)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise tarwalk.TarError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return delta


def _record(delta: LayerDelta, walker: tarwalk.Walker, member: tarwalk.Member, path: str, keep: Keep) -> None:
    """What one member of a layer does to the files envaudit cares about."""
    folder, base = posixpath.split(path)
    if base.startswith(".wh."):
        if base == ".wh..wh..opq":
            delta.opaque.append(folder)
        else:
            delta.removed.append(posixpath.join(folder, base[4:]))
    elif member.is_symlink:
        if _noted(path):
            delta.added[path] = Entry("", link=member.linkname)
    elif member.is_hardlink:
        if _wanted(path, keep) or _noted(path):
            delta.hardlinks[path] = clean(member.linkname) or ""
    elif member.is_file:
        if _wanted(path, keep):
            data = walker.data(member, MAX_PROJECT_FILE if keep.project_file(path) else _limit(path))
            delta.kept += len(data)
            if delta.kept > MAX_KEPT:
                raise tarwalk.TarError(f"more than {MAX_KEPT >> 20} MiB of metadata files (hostile?)")
            delta.added[path] = Entry("", data=data)
        elif _noted(path):
            delta.added[path] = Entry("")
    # devices, fifos, folders and every other file: not our business


def apply(files: ImageFiles, delta: LayerDelta, identity: str) -> None:
    """Lay one layer over the ones below it, as the OCI image spec says."""
    files.has_project = files.has_project or delta.has_project
    for issue in delta.issues:
        files.issues.append({**issue, "message": f"layer {identity[:19]}: {issue['message']}"})
    # Whiteouts and opaque folders hide what lower layers put there, never what this layer adds.
    for folder in delta.opaque:
        prefix = folder + "/"
        for path in [p for p in files.entries if p.startswith(prefix)]:
            del files.entries[path]
    for gone in delta.removed:
        prefix = gone + "/"
        for path in [p for p in files.entries if p == gone or p.startswith(prefix)]:
            del files.entries[path]
    for path, entry in delta.added.items():
        files.entries[path] = Entry(identity, data=entry.data, link=entry.link)
    for path, source in delta.hardlinks.items():
        original = delta.added.get(source) or files.entries.get(source)
        files.entries[path] = Entry(identity, data=original.data if original else None)
