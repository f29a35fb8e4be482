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
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from envaudit.errors import InputError, UsageError
from envaudit.inprocess.scanner import canonical_name, egg_requires_to_requires_dist, parse_headers
from envaudit.targets import TargetKind, TargetSpec

MAX_FILE = 256 * 1024  # the most read of any one file: metadata headers come first and are small
MAX_JSON = 8 * 1024 * 1024  # manifests and configs
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


@dataclass(frozen=True)
class ImageConfig:
    id: str
    config: Mapping[str, Any]
    layers: tuple[tuple[str, str], ...]  # (digest, media type or "") bottom first
    repo_tags: tuple[str, ...] = ()


# --- reading the container format ------------------------------------------------------------------


class Blobs:
    """Files of an image container (an archive or a folder), by their path inside it."""

    def __init__(self, spec: TargetSpec) -> None:
        self.spec = spec
        self.where = spec.location
        path = Path(spec.location)
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}
        self._folder: Path | None = None
        if spec.kind is TargetKind.OCI:
            if not path.is_dir():
                raise InputError(str(path), "not a folder (an OCI image layout: index.json, blobs/)")
            self._folder = path
            return
        if not path.is_file():
            raise InputError(str(path), "no such image archive")
        try:
            self._tar = tarfile.open(path, "r:*")  # noqa: SIM115 - lives as long as the reader
            for member in self._tar.getmembers():
                self._members[_clean(member.name) or member.name] = member
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            problem = (
                "truncated" if "truncated" in str(exc) or isinstance(exc, EOFError) else "not a tar archive"
            )
            raise InputError(
                str(path), f"{problem}: expected `docker save` output or an OCI archive"
            ) from None

    def exists(self, name: str) -> bool:
        if self._folder is not None:
            return (self._folder / name).is_file()
        return name in self._members

    def open(self, name: str) -> IO[bytes]:
        clean = _clean(name)
        if clean is None:
            raise InputError(self.where, f"refusing a path that leaves the image: {name!r}")
        if self._folder is not None:
            target = (self._folder / clean).resolve()
            if not target.is_relative_to(self._folder.resolve()) or not target.is_file():
                raise InputError(self.where, f"{clean} is missing from the image layout")
            return target.open("rb")
        member = self._members.get(clean)
        if member is None or not member.isfile():
            raise InputError(self.where, f"{clean} is missing from the image archive")
        assert self._tar is not None
        handle = self._tar.extractfile(member)
        assert handle is not None
        return handle

    def json(self, name: str) -> Any:
        with self.open(name) as fh:
            raw = fh.read(MAX_JSON + 1)
        if len(raw) > MAX_JSON:
            raise InputError(self.where, f"{name} is larger than {MAX_JSON} bytes: not an image manifest")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise InputError(self.where, f"{name} is not valid JSON ({exc})") from None


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


def _wanted(path: str) -> bool:
    """Is this a file whose content we keep?"""
    parts = path.split("/")
    if len(parts) >= 3 and parts[-3] in SITE_DIRS and parts[-2].endswith((".dist-info", ".egg-info")):
        return parts[-1] in ("METADATA", "INSTALLER", "direct_url.json", "PKG-INFO", "requires.txt")
    if (
        len(parts) >= 2
        and parts[-2] in SITE_DIRS
        and (parts[-1].endswith(".egg-info") or parts[-1].endswith(".pth"))
    ):
        return True
    return path in (
        "etc/os-release",
        "usr/lib/os-release",
        "var/lib/dpkg/status",
        "lib/apk/db/installed",
    ) or (parts[-1] == "pyvenv.cfg")


def _noted(path: str) -> bool:
    """Files we only need to know exist (interpreters, libc loaders)."""
    return bool(_PYTHON_BIN.search(path)) or "/ld-musl-" in path or path.endswith(("libc.so.6",))


def _open_layer(raw: IO[bytes], media_type: str) -> Any:
    """A layer's tar stream, decompressed as its first bytes (or media type) say."""
    head = raw.read(4)
    rest = io.BufferedReader(_Prefixed(head, raw))
    if head[:2] == b"\x1f\x8b" or media_type.endswith("+gzip") or media_type.endswith(".gzip"):
        return gzip.GzipFile(fileobj=rest)
    if head == b"\x28\xb5\x2f\xfd" or media_type.endswith("+zstd") or media_type.endswith(".zstd"):
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(rest)
    return rest


class _Prefixed(io.RawIOBase):
    """A stream with some already-read bytes put back in front (for sniffing compression)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def layer_ids(config: ImageConfig) -> list[str]:
    """Each layer's identity: its diff_id from the image config (the digest of the uncompressed
    layer), which is the same whether the image was saved legacy-style, as OCI, gzip or zstd."""
    diff_ids = [str(d) for d in ((config.config.get("rootfs") or {}).get("diff_ids") or [])]
    if len(diff_ids) == len(config.layers):
        return diff_ids
    return [path.removeprefix("blobs/").replace("/", ":", 1) for path, _ in config.layers]


def read_layers(blobs: Blobs, config: ImageConfig) -> ImageFiles:
    files = ImageFiles()
    for (layer_path, media_type), identity in zip(config.layers, layer_ids(config), strict=True):
        _read_layer(blobs, layer_path, media_type, identity, files)
    return files


def _read_layer(blobs: Blobs, layer_path: str, media_type: str, digest: str, files: ImageFiles) -> None:
    added: dict[str, Entry] = {}
    removed: list[str] = []
    opaque: list[str] = []
    try:
        with blobs.open(layer_path) as raw:
            stream = _open_layer(raw, media_type)
            with tarfile.open(fileobj=stream, mode="r|") as layer:  # a stream: each member read once
                for member in layer:
                    path = _clean(member.name)
                    if path is None or path == "" or member.name.startswith("/"):
                        files.issues.append(
                            {
                                "code": "hostile-archive-member",
                                "path": member.name,
                                "message": f"layer {digest[:19]} has a member outside the image root",
                            }
                        )
                        continue
                    folder, base = posixpath.split(path)
                    if base == ".wh..wh..opq":
                        opaque.append(folder)
                        continue
                    if base.startswith(".wh."):
                        removed.append(posixpath.join(folder, base[4:]))
                        continue
                    if member.issym() and _noted(path):
                        added[path] = Entry(digest, link=member.linkname)
                    elif member.islnk() and (_wanted(path) or _noted(path)):
                        source = _clean(member.linkname) or ""
                        original = added.get(source) or files.entries.get(source)
                        added[path] = Entry(digest, data=original.data if original else None)
                    elif member.isfile() and _wanted(path):
                        handle = layer.extractfile(member)
                        added[path] = Entry(digest, data=handle.read(MAX_FILE) if handle else b"")
                    elif member.isfile() and _noted(path):
                        added[path] = Entry(digest)
                    # devices, fifos, folders and every other file: not our business
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(blobs.where, f"layer {digest[:19]} is truncated or corrupt ({detail})") from None
    except Exception as exc:  # zstandard raises its own error type for corrupt frames
        if type(exc).__module__.startswith("zstandard"):
            raise InputError(blobs.where, f"layer {digest[:19]} is not valid zstd ({exc})") from None
        raise
    # Whiteouts and opaque folders hide what lower layers put there, never what this layer adds.
    for folder in opaque:
        prefix = folder + "/"
        for path in [p for p in files.entries if p.startswith(prefix)]:
            del files.entries[path]
    for gone in removed:
        prefix = gone + "/"
        for path in [p for p in files.entries if p == gone or p.startswith(prefix)]:
            del files.entries[path]
    files.entries.update(added)


# --- from files to scanner facts ---------------------------------------------------------------------


def _text(entry: Entry | None) -> str | None:
    if entry is None or entry.data is None:
        return None
    return entry.data.decode("utf-8", errors="replace")


def _distribution(files: ImageFiles, location: str, name: str) -> dict[str, Any] | None:
    meta_dir = f"{location}/{name}"
    is_egg = name.endswith(".egg-info")
    meta_file = (
        meta_dir
        if is_egg and meta_dir in files.entries
        else f"{meta_dir}/{'PKG-INFO' if is_egg else 'METADATA'}"
    )
    entry = files.entries.get(meta_file)
    fields: dict[str, list[str]] = {}
    if entry is None or entry.data is None:
        files.issues.append(
            {"code": "missing-metadata", "path": "/" + meta_file, "message": "metadata file is missing"}
        )
    else:
        try:
            for key, value in parse_headers(entry.data.decode("utf-8").splitlines()):
                fields.setdefault(key.lower(), []).append(value)
        except UnicodeDecodeError as exc:
            files.issues.append(
                {
                    "code": "corrupt-metadata",
                    "path": "/" + meta_file,
                    "message": f"metadata is not UTF-8 (byte {exc.start})",
                }
            )
        except ValueError as exc:
            files.issues.append({"code": "corrupt-metadata", "path": "/" + meta_file, "message": str(exc)})
    stem = name.rsplit(".", 1)[0]
    fallback_name, _, rest = stem.partition("-")
    dist_name = (fields.get("name") or [fallback_name])[0]
    version = (fields.get("version") or [rest.split("-", 1)[0]])[0]
    if not dist_name:
        return None
    requires = fields.get("requires-dist", [])
    if is_egg and not requires:
        requires = egg_requires_to_requires_dist(_text(files.entries.get(f"{meta_dir}/requires.txt")) or "")
    direct_url = None
    raw_direct = _text(files.entries.get(f"{meta_dir}/direct_url.json"))
    if raw_direct:
        try:
            direct_url = json.loads(raw_direct)
        except ValueError:
            files.issues.append(
                {
                    "code": "corrupt-direct-url",
                    "path": f"/{meta_dir}/direct_url.json",
                    "message": "not valid JSON",
                }
            )
    installer = (_text(files.entries.get(f"{meta_dir}/INSTALLER")) or "").strip() or None
    return {
        "name": dist_name,
        "canonical_name": canonical_name(dist_name),
        "version": version,
        "location": "/" + location,
        "metadata_path": "/" + meta_dir,
        "metadata_format": "egg-info" if is_egg else "dist-info",
        "installer": installer,
        "direct_url": direct_url,
        "requires_dist": requires,
        "requires_python": fields["requires-python"][0] if fields.get("requires-python") else None,
        "layer": (entry.layer if entry else None),
    }


def _resolve(files: ImageFiles, path: str, depth: int = 0) -> str:
    entry = files.entries.get(path)
    if entry is None or entry.link is None or depth > 8:
        return path
    target = entry.link if entry.link.startswith("/") else posixpath.join(posixpath.dirname(path), entry.link)
    return _resolve(files, _clean(target) or path, depth + 1)


def choose_python(files: ImageFiles, config: ImageConfig, requested: str | None) -> str:
    """The interpreter the image would run as ``python3``: --python, else the first one on its PATH."""
    if requested:
        path = _clean(requested) or ""
        if path not in files.entries:
            raise UsageError(f"no {requested} in the image", tip="pick one the image has with --python PATH")
        return path
    env = dict(_env_pairs(config.config))
    for folder in env.get("PATH", DEFAULT_PATH).split(":"):
        for name in ("python3", "python"):
            candidate = _clean(f"{folder}/{name}") or ""
            if candidate in files.entries:
                return candidate
    pythons = sorted(p for p in files.entries if _PYTHON_BIN.search(p))
    if not pythons:
        raise UsageError("no Python interpreter found in the image (no bin/python3 on PATH or elsewhere)")
    return pythons[0]


def _env_pairs(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    env = ((config.get("config") or {}).get("Env")) or []
    pairs = []
    for item in env:
        name, sep, value = str(item).partition("=")
        if sep:
            pairs.append((name, value))
    return pairs


def _python_version(files: ImageFiles, executable: str, prefix: str, env: Mapping[str, str]) -> str:
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
    full = env.get("PYTHON_VERSION", "")
    return full if full.startswith(minor + ".") and minor else minor


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


def facts(spec: TargetSpec, config: ImageConfig, files: ImageFiles, python: str | None) -> dict[str, Any]:
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
    present = set()
    for folder in site:
        prefix_ = folder + "/"
        names = sorted({p[len(prefix_) :].split("/", 1)[0] for p in files.entries if p.startswith(prefix_)})
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                dist = _distribution(files, folder, name)
                if dist is not None:
                    dists.append(dist)
                    present.add(folder)
            elif name.endswith(".pth"):
                files.issues.append(
                    {
                        "code": "static-pth",
                        "path": f"/{folder}/{name}",
                        "message": "a .pth file may add folders to sys.path that only the running "
                        "interpreter sees; scan through the engine (docker:IMAGE) to include them",
                    }
                )
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
        "issues": files.issues,
        "environ": dict(env),
    }


def scan_image(spec: TargetSpec, *, platform: str | None, python: str | None) -> tuple[dict[str, Any], Any]:
    """Scanner facts and the Image record for an archive or layout; raises InputError for bad input."""
    from envaudit.model import Image

    blobs = Blobs(spec)
    config = read_config(blobs, platform)
    files = read_layers(blobs, config)
    raw = facts(spec, config, files, python)
    c = config.config.get("config") or {}
    image = Image(
        reference=spec.location,
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
