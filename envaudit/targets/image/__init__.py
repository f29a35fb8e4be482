"""Container images read statically: no engine, no code run in the image.

Three steps, one module each: ``manifest`` reads the container format (archive or layout, index,
manifest, config), ``layers`` reads each layer as a stream and lays them over each other, ``facts``
turns the merged files into what the in-target scanner would have reported.
"""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from envaudit.targets import tarwalk
from envaudit.targets.image.facts import LayerFiles, distributions_of, facts, pth_folders
from envaudit.targets.image.layers import Entry, ImageFiles, Keep, clean
from envaudit.targets.image.manifest import Blobs, layer_ids, read_config, read_layers

if TYPE_CHECKING:
    from envaudit.model import Image

__all__ = [
    "Entry",
    "ImageFiles",
    "LayerFiles",
    "distributions_of",
    "pth_folders",
    "scan_image",
    "scan_saved_stream",
]


def scan_image(
    location: str, *, layout: bool, platform: str | None, python: str | None, project: str | None = None
) -> tuple[dict[str, Any], Image]:
    """Scanner facts and the Image record for an archive or layout; raises InputError for bad input."""
    keep = Keep(project=clean(project) if project else None)
    return _scan(Blobs.from_location(location, keep, layout=layout), location, platform, python, keep)


def scan_saved_stream(
    where: str, stream: IO[bytes], *, python: str | None, project: str | None = None
) -> tuple[dict[str, Any], Image]:
    """The same from a `docker save` stream (the engine's, for docker:IMAGE --static), read once."""
    keep = Keep(project=clean(project) if project else None)
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
