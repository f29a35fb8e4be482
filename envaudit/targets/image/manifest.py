"""The container formats around the layers: ``docker save`` archives (legacy and the OCI layout of
Docker 25+), OCI layout folders and OCI archives; their manifests, indexes and image configs."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envaudit.errors import InputError, UsageError
from envaudit.targets import tarwalk
from envaudit.targets.image.layers import (
    MAX_JSON,
    MAX_KEPT,
    ImageFiles,
    Keep,
    LayerDelta,
    SourceFile,
    apply,
    clean,
    compression_of,
    decompress,
    read_layer,
    read_layer_source,
)


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
        if compression_of(head):  # a compressed archive: read through the decompressor
            source = tarwalk.StreamSource(decompress(SourceFile(source), head))
        walker = tarwalk.Walker(source)
        try:
            for member in walker:
                if not member.is_file:
                    continue
                name = clean(member.name)
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
        path = clean(name)
        if path is None:
            raise InputError(self.where, f"refusing a path that leaves the image: {name!r}")
        if self._folder is not None:
            target = (self._folder / path).resolve()
            if not target.is_relative_to(self._folder.resolve()) or not target.is_file():
                raise InputError(self.where, f"{path} is missing from the image layout")
            with target.open("rb") as fh:
                raw = fh.read(MAX_JSON + 1)
        else:
            if path not in self._json:
                raise InputError(self.where, f"{path} is missing from the image archive")
            raw = self._json[path]
        if len(raw) > MAX_JSON:
            raise InputError(self.where, f"{name} is larger than {MAX_JSON} bytes: not an image manifest")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise InputError(self.where, f"{name} is not valid JSON ({exc})") from None

    def layer(self, name: str, digest: str, keep: Keep) -> LayerDelta:
        path = clean(name) or name
        if path in self._bad_layers:
            problem = self._bad_layers[path]
            raise InputError(self.where, f"layer {digest[:19]} is truncated or corrupt ({problem})")
        if self._folder is not None:
            target = (self._folder / path).resolve()
            if not target.is_relative_to(self._folder.resolve()) or not target.is_file():
                raise InputError(self.where, f"{path} is missing from the image layout")
            source, closer = tarwalk.open_source(str(target))
            try:
                return read_layer_source(source, keep)
            except (tarwalk.TarError, OSError, EOFError, zlib.error) as exc:
                raise InputError(self.where, f"layer {digest[:19]} is truncated or corrupt ({exc})") from None
            finally:
                closer.close()  # type: ignore[attr-defined]
        delta = self._layers.get(path)
        if delta is None:
            raise InputError(self.where, f"{path} is missing from the image archive")
        return delta


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
