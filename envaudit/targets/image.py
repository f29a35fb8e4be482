"""Container images read statically: ``docker save`` archives (legacy and the OCI layout of Docker
25+), OCI layout folders and OCI archives. No engine, no code run in the image.

Each layer is read once, as a stream; only the small files that say what is installed are kept
(package metadata headers, pyvenv.cfg, os-release, the dpkg/apk records of libc, python
executables), with a cap on every read, so nothing is extracted to disk and a hostile archive
cannot exhaust memory. Whiteouts and opaque folders are applied as the OCI image spec says.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from envaudit.errors import InputError, UsageError
from envaudit.inprocess import metadata
from envaudit.targets import interpreters, tarwalk

if TYPE_CHECKING:
    from envaudit.model import Image

MAX_FILE = 256 * 1024  # the most read of any one file: metadata headers come first and are small
MAX_KEPT = 256 * 1024 * 1024  # all kept file contents of one image: more is hostile, not metadata
MAX_JSON = 8 * 1024 * 1024  # manifests and configs
# Files of a project folder in the image (--project /app) that may declare requirements or be included.
PROJECT_SUFFIXES = (".txt", ".in", ".toml")
SITE_DIRS = ("site-packages", "dist-packages")
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
_PYTHON_BIN = re.compile(r"(^|/)bin/python(3(\.\d+)?)?$")


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


@dataclass(frozen=True)
class ImageConfig:
    id: str
    config: Mapping[str, Any]
    layers: tuple[tuple[str, str], ...]  # (digest, media type or "") bottom first
    repo_tags: tuple[str, ...] = ()


# --- reading the container format ------------------------------------------------------------------


class Blobs:
    """The small files of an image container (manifests, configs, indexes) by their path inside it,
    and each layer as a change set. An archive (or the engine's `docker save` stream) is read in one
    forward pass: layers come before the manifest that orders them, so each is read into its own
    change set as it passes, and the change sets are applied in the manifest's order afterwards.
    An OCI layout folder is read blob by blob."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._json: dict[str, bytes] = {}
        self._layers: dict[str, LayerDelta] = {}
        self._bad_layers: dict[str, str] = {}  # blobs that were not tar layers: an error if one is used
        self._folder: Path | None = None

    @classmethod
    def from_location(cls, location: str, keep: Keep, *, layout: bool) -> Blobs:
        """An OCI layout folder (``layout``) or an archive file."""
        path = Path(location)
        if layout:
            if not path.is_dir():
                raise InputError(str(path), "not a folder (an OCI image layout: index.json, blobs/)")
            blobs = cls(location)
            blobs._folder = path
            return blobs
        if not path.is_file():
            raise InputError(str(path), "no such image archive")
        try:
            source, closer = tarwalk.open_source(str(path))
        except OSError as exc:
            raise InputError(str(path), f"cannot read: {exc.strerror}") from None
        try:
            return cls.from_source(location, source, keep)
        finally:
            closer.close()  # type: ignore[attr-defined]

    @classmethod
    def from_source(cls, where: str, source: tarwalk.Source, keep: Keep) -> Blobs:
        """One pass over a `docker save` or OCI archive (plain, or gzip/zstd as a whole)."""
        blobs = cls(where)
        head = source.peek(4)
        if _compression(head):  # a compressed archive: read through the decompressor
            source = tarwalk.StreamSource(_decompress(_SourceFile(source), head))
        walker = tarwalk.Walker(source)
        try:
            for member in walker:
                if not member.is_file:
                    continue
                name = _clean(member.name)
                if name is None:
                    continue  # outside the archive: never a file of ours
                peek = source.peek(min(member.size, 512))
                if peek[:1] in (b"{", b"[") and member.size <= MAX_JSON:
                    blobs._json[name] = walker.data(member, MAX_JSON)
                elif peek and (name.endswith(".tar") or name.startswith("blobs/")):
                    try:
                        blobs._layers[name] = read_layer(walker, member, keep)
                    except tarwalk.TarError as exc:
                        blobs._bad_layers[name] = str(exc)
                        # A broken layer in a forward-only stream leaves us inside its data: the rest of
                        # the outer archive can only be found by skipping exactly past it.
                    walker.done_nested(member)
                    if sum(d.kept for d in blobs._layers.values()) > MAX_KEPT:
                        raise tarwalk.TarError(
                            f"more than {MAX_KEPT >> 20} MiB of metadata files in all (hostile?)"
                        )
        except tarwalk.TarError as exc:
            raise InputError(where, f"{exc}: expected `docker save` output or an OCI archive") from None
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(where, f"truncated or corrupt ({exc}): expected `docker save` output") from None
        if not blobs._json:
            raise InputError(where, "not an image archive (no manifest in it): expected `docker save` output")
        return blobs

    def exists(self, name: str) -> bool:
        if self._folder is not None:
            return (self._folder / name).is_file()
        return name in self._json

    def json(self, name: str) -> Any:
        clean = _clean(name)
        if clean is None:
            raise InputError(self.where, f"refusing a path that leaves the image: {name!r}")
        if self._folder is not None:
            target = (self._folder / clean).resolve()
            if not target.is_relative_to(self._folder.resolve()) or not target.is_file():
                raise InputError(self.where, f"{clean} is missing from the image layout")
            with target.open("rb") as fh:
                raw = fh.read(MAX_JSON + 1)
        else:
            if clean not in self._json:
                raise InputError(self.where, f"{clean} is missing from the image archive")
            raw = self._json[clean]
        if len(raw) > MAX_JSON:
            raise InputError(self.where, f"{name} is larger than {MAX_JSON} bytes: not an image manifest")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise InputError(self.where, f"{name} is not valid JSON ({exc})") from None

    def layer(self, name: str, digest: str, keep: Keep) -> LayerDelta:
        clean = _clean(name) or name
        if clean in self._bad_layers:
            problem = self._bad_layers[clean]
            raise InputError(self.where, f"layer {digest[:19]} is truncated or corrupt ({problem})")
        if self._folder is not None:
            target = (self._folder / clean).resolve()
            if not target.is_relative_to(self._folder.resolve()) or not target.is_file():
                raise InputError(self.where, f"{clean} is missing from the image layout")
            source, closer = tarwalk.open_source(str(target))
            try:
                return read_layer_source(source, keep)
            except (tarwalk.TarError, OSError, EOFError, zlib.error) as exc:
                raise InputError(self.where, f"layer {digest[:19]} is truncated or corrupt ({exc})") from None
            finally:
                closer.close()  # type: ignore[attr-defined]
        delta = self._layers.get(clean)
        if delta is None:
            raise InputError(self.where, f"{clean} is missing from the image archive")
        return delta


def _clean(name: str) -> str | None:
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


def _platform_matches(entry: Mapping[str, Any], wanted: str) -> bool:
    platform = entry.get("platform") or {}
    os_, _, rest = wanted.partition("/")
    arch, _, variant = rest.partition("/")
    return (
        platform.get("os") == os_
        and platform.get("architecture") == arch
        and (not variant or platform.get("variant") == variant)
    )


_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


def _leaves(blobs: Blobs, index: Mapping[str, Any], depth: int = 0) -> list[Mapping[str, Any]]:
    """Every image manifest descriptor an index leads to, through nested indexes."""
    if depth > 4:
        raise InputError(blobs.where, "indexes nested too deeply")
    out: list[Mapping[str, Any]] = []
    for entry in index.get("manifests") or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("mediaType") in _INDEX_TYPES:
            out += _leaves(blobs, blobs.json(_blob_path(str(entry.get("digest", "")))), depth + 1)
        elif (entry.get("platform") or {}).get("architecture") != "unknown":  # not an attestation
            out.append(entry)
    return out


def _platform_of(entry: Mapping[str, Any]) -> str:
    platform = entry.get("platform") or {}
    return "/".join(
        str(p) for p in (platform.get("os"), platform.get("architecture"), platform.get("variant")) if p
    )


def _oci_manifest(blobs: Blobs, index: Mapping[str, Any], platform: str | None) -> Mapping[str, Any]:
    """The image manifest for the wanted platform (or the only one there is)."""
    leaves = _leaves(blobs, index)
    if not leaves:
        raise InputError(blobs.where, "its index lists no image (an empty or truncated archive?)")
    candidates = [m for m in leaves if _platform_matches(m, platform)] if platform else leaves
    found = ", ".join(sorted(_platform_of(m) for m in leaves if m.get("platform")))
    if not candidates:
        raise UsageError(
            f"{blobs.where}: no image for platform {platform or 'any'}"
            + (f"; it has {found}" if found else ""),
            tip="choose one with --platform OS/ARCH",
        )
    if len(candidates) > 1:
        raise UsageError(f"{blobs.where}: several images ({found})", tip="choose one with --platform OS/ARCH")
    document = blobs.json(_blob_path(str(candidates[0].get("digest", ""))))
    if not isinstance(document, dict) or "layers" not in document:
        raise InputError(blobs.where, "the index leads to something that is not an image manifest")
    return document


def _blob_path(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    if not algorithm or not re.fullmatch(r"[a-f0-9]{32,128}", hexdigest):
        raise InputError("image", f"not a content digest: {digest!r}")
    return f"blobs/{algorithm}/{hexdigest}"


def read_config(blobs: Blobs, platform: str | None) -> ImageConfig:
    if blobs.exists("manifest.json"):  # every `docker save`, legacy and Docker 25+
        manifest = blobs.json("manifest.json")
        if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
            raise InputError(blobs.where, "manifest.json is not a docker save manifest")
        if len(manifest) > 1:
            raise UsageError(f"{blobs.where}: holds {len(manifest)} images; save one image per archive")
        entry = manifest[0]
        config_path = str(entry.get("Config", ""))
        config = blobs.json(config_path)
        digest = "sha256:" + config_path.rsplit("/", 1)[-1].removesuffix(".json")
        layers = tuple((str(p), "") for p in entry.get("Layers") or [])
        return ImageConfig(digest, config, layers, tuple(entry.get("RepoTags") or ()))
    if blobs.exists("index.json"):  # an OCI layout
        manifest = _oci_manifest(blobs, blobs.json("index.json"), platform)
        config_ref = manifest.get("config") or {}
        config = blobs.json(_blob_path(str(config_ref.get("digest", ""))))
        layers = tuple(
            (_blob_path(str(layer.get("digest", ""))), str(layer.get("mediaType", "")))
            for layer in manifest.get("layers") or []
        )
        return ImageConfig(str(config_ref.get("digest", "")), config, layers)
    raise InputError(blobs.where, "neither manifest.json (docker save) nor index.json (OCI layout) in it")


# --- reading layers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keep:
    """Which files' contents to keep, beyond the package metadata: a project folder in the image."""

    project: str | None = None  # relative to the image root, e.g. "app"

    def project_file(self, path: str) -> bool:
        if not self.project or not path.startswith(self.project + "/"):
            return False
        rest = path[len(self.project) + 1 :]
        return rest.count("/") <= 1 and rest.endswith(PROJECT_SUFFIXES)


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
        path in ("etc/os-release", "usr/lib/os-release", "var/lib/dpkg/status", "lib/apk/db/installed")
        or parts[-1] == "pyvenv.cfg"
        or (parts[-1] == "patchlevel.h" and len(parts) >= 2 and parts[-2].startswith("python"))
        or keep.project_file(path)
    )


def _noted(path: str) -> bool:
    """Files we only need to know exist (interpreters, libc loaders)."""
    return bool(_PYTHON_BIN.search(path)) or "/ld-musl-" in path or path.endswith(("libc.so.6", ".egg"))


def _compression(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return ""


def _decompress(raw: IO[bytes] | io.RawIOBase, head: bytes) -> IO[bytes]:
    """The decompressed stream; corrupt compressed data raises TarError, whatever the codec."""
    kind = _compression(head)
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


class _SourceFile(io.RawIOBase):
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
    if _compression(head):
        return _walk_layer(tarwalk.StreamSource(_decompress(walker.stream(member), head)), keep)
    return _walk_layer(walker.nested(member), keep)


def read_layer_source(source: tarwalk.Source, keep: Keep) -> LayerDelta:
    """A layer that is a file of its own (an OCI layout's blob)."""
    head = source.peek(4)
    if _compression(head):
        return _walk_layer(tarwalk.StreamSource(_decompress(_SourceFile(source), head)), keep)
    return _walk_layer(source, keep)


# A cheap first look at every member: only paths that match can matter to us (see _wanted, _noted).
_MAYBE = re.compile(
    r"pyvenv\.cfg$|-packages/|\.dist-info/|\.egg-info|\.wh\.|python|ld-musl-|libc\.so\.6$|release$|dpkg/status$|apk/db/installed$"
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
                path = _clean(raw_name)
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
                path = _clean(raw_name)
            if not path:
                continue  # the layer's root folder, "./"
            if project is not None and (path + "/").startswith(project):
                delta.has_project = True
            folder, base = posixpath.split(path)
            if base.startswith(".wh."):
                if base == ".wh..wh..opq":
                    delta.opaque.append(folder)
                else:
                    delta.removed.append(posixpath.join(folder, base[4:]))
                continue
            if member.is_symlink:
                if _noted(path):
                    delta.added[path] = Entry("", link=member.linkname)
            elif member.is_hardlink:
                if _wanted(path, keep) or _noted(path):
                    delta.hardlinks[path] = _clean(member.linkname) or ""
            elif member.is_file:
                if _wanted(path, keep):
                    data = walker.data(member, MAX_FILE)
                    delta.kept += len(data)
                    if delta.kept > MAX_KEPT:
                        raise tarwalk.TarError(f"more than {MAX_KEPT >> 20} MiB of metadata files (hostile?)")
                    delta.added[path] = Entry("", data=data)
                elif _noted(path):
                    delta.added[path] = Entry("")
            # devices, fifos, folders and every other file: not our business
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise tarwalk.TarError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    return delta


def layer_ids(config: ImageConfig) -> list[str]:
    """Each layer's identity: its diff_id from the image config (the digest of the uncompressed
    layer), which is the same whether the image was saved legacy-style, as OCI, gzip or zstd."""
    diff_ids = [str(d) for d in ((config.config.get("rootfs") or {}).get("diff_ids") or [])]
    if len(diff_ids) == len(config.layers):
        return diff_ids
    return [path.removeprefix("blobs/").replace("/", ":", 1) for path, _ in config.layers]


def read_layers(blobs: Blobs, config: ImageConfig, keep: Keep) -> ImageFiles:
    files = ImageFiles()
    for (layer_path, _media_type), identity in zip(config.layers, layer_ids(config), strict=True):
        apply(files, blobs.layer(layer_path, identity, keep), identity)
    return files


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


# .pth files whose code is known to leave sys.path alone (setuptools' and virtualenv's distutils shims).
HARMLESS_PTH = frozenset({"distutils-precedence.pth", "_virtualenv.pth"})


def _pth_folders(files: ImageFiles, folder: str, name: str, search: list[str]) -> list[str]:
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
        extra = _clean(line if line.startswith("/") else f"{folder}/{line}")
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


def _distributions(
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
    return _resolve(files, _clean(target) or path, depth + 1)


def choose_python(files: ImageFiles, config: ImageConfig, requested: str | None) -> str:
    """The interpreter to read for, chosen as the engine scan chooses it (see interpreters.py), with
    names looked up on the image's PATH the way the container runtime does."""
    c = config.config.get("config") or {}
    env = dict(_env_pairs(config.config))
    folders = env.get("PATH", DEFAULT_PATH).split(":")
    for candidate in interpreters.candidates(c.get("Entrypoint") or (), c.get("Cmd") or (), requested):
        if "/" in candidate:
            path = _clean(candidate) or ""
            if path in files.entries:
                return path
            continue
        for folder in folders:
            path = _clean(f"{folder}/{candidate}") or ""
            if path in files.entries:
                return path
    if requested:
        raise UsageError(f"no {requested} in the image", tip="pick one the image has with --python PATH")
    pythons = sorted(p for p in files.entries if _PYTHON_BIN.search(p))
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
        home = _clean(values.get("home", "")) or ""
        base = posixpath.dirname(home) if home else prefix
        site = [f"{prefix}/lib/python{minor}/site-packages"]
        if values.get("include-system-site-packages", "false").lower() == "true":
            site += _system_site(base, minor)
        return prefix, base, True, site
    return prefix, prefix, False, _system_site(prefix, minor)


def _system_site(prefix: str, minor: str) -> list[str]:
    if prefix == "usr":  # Debian's and Ubuntu's system Python
        return [
            f"usr/local/lib/python{minor}/dist-packages",
            "usr/lib/python3/dist-packages",
            f"usr/lib/python{minor}/dist-packages",
        ]
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
        dists += _distributions(access, folder, names, files.issues)
        if folder in site:  # only site folders' .pth files are read
            added = [
                f
                for name in names
                if name.endswith(".pth")
                for f in _pth_folders(files, folder, name, search)
            ]
            search[position:position] = added
    site = search
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
    }


def scan_image(
    location: str, *, layout: bool, platform: str | None, python: str | None, project: str | None = None
) -> tuple[dict[str, Any], Image]:
    """Scanner facts and the Image record for an archive or layout; raises InputError for bad input."""
    keep = Keep(project=_clean(project) if project else None)
    return _scan(Blobs.from_location(location, keep, layout=layout), location, platform, python, keep)


def scan_saved_stream(
    where: str, stream: IO[bytes], *, python: str | None, project: str | None = None
) -> tuple[dict[str, Any], Image]:
    """The same from a `docker save` stream (the engine's, for docker:IMAGE --static), read once."""
    keep = Keep(project=_clean(project) if project else None)
    return _scan(Blobs.from_source(where, tarwalk.StreamSource(stream), keep), where, None, python, keep)


def _scan(
    blobs: Blobs, reference: str, platform: str | None, python: str | None, keep: Keep
) -> tuple[dict[str, Any], Image]:
    from envaudit.model import Image

    config = read_config(blobs, platform)
    files = read_layers(blobs, config, keep)
    raw = facts(config, files, python)
    if keep.project and files.has_project:
        prefix = keep.project + "/"
        raw["project_files"] = {
            path[len(prefix) :]: (entry.data or b"").decode("utf-8", "surrogateescape")
            for path, entry in files.entries.items()
            if keep.project_file(path) and entry.data is not None
        }
    c = config.config.get("config") or {}
    image = Image(
        reference=reference,
        id=config.id,
        read="static",
        os=str(config.config.get("os", "")),
        architecture=str(config.config.get("architecture", "")),
        repo_tags=config.repo_tags,
        cmd=tuple(str(x) for x in c.get("Cmd") or ()),
        entrypoint=tuple(str(x) for x in c.get("Entrypoint") or ()),
        user=str(c.get("User") or ""),
        working_dir=str(c.get("WorkingDir") or ""),
        labels=tuple(sorted((str(k), str(v)) for k, v in (c.get("Labels") or {}).items())),
        layers=tuple(layer_ids(config)),
    )
    return raw, image
