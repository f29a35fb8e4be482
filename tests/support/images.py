"""Image archives in the real formats, built in memory for the static reader's tests:
``docker save`` (legacy, and Docker 25+'s OCI layout with manifest.json), OCI layout folders with
nested multi-platform indexes, and OCI archives; layers plain, gzip or zstd."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A layer is {path: content}: bytes for a file, ("symlink", target), ("whiteout",) for .wh.NAME,
# ("opaque",) for the folder's .wh..wh..opq, ("device",) for a character device.
Layer = Mapping[str, Any]


def layer_tar(files: Layer) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, content in files.items():
            name = path
            info = tarfile.TarInfo(name)
            if isinstance(content, bytes):
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
                continue
            kind = content[0]
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
            elif kind == "whiteout":
                folder, _, base = path.rpartition("/")
                info.name = f"{folder}/.wh.{base}" if folder else f".wh.{base}"
            elif kind == "opaque":
                info.name = f"{path}/.wh..wh..opq"
            elif kind == "device":
                info.type = tarfile.CHRTYPE
            tar.addfile(info)
    return buffer.getvalue()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MEDIA = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}


@dataclass
class Image:
    layers: list[Layer]
    env: list[str]
    architecture: str = "amd64"
    compression: str = "gzip"
    cmd: tuple[str, ...] = ("python3", "-m", "app")

    def config(self, diff_ids: list[str]) -> bytes:
        return json.dumps(
            {
                "architecture": self.architecture,
                "os": "linux",
                "config": {
                    "Env": self.env,
                    "Cmd": list(self.cmd),
                    "User": "app",
                    "WorkingDir": "/app",
                    "Labels": {"org.opencontainers.image.title": "fixture"},
                },
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            },
            sort_keys=True,
        ).encode()


def _blobs(image: Image) -> tuple[dict[str, bytes], list[tuple[str, str]], str]:
    blobs: dict[str, bytes] = {}
    layers = []
    diff_ids = []
    for files in image.layers:
        raw = layer_tar(files)
        data = compress(raw, image.compression)
        blobs[sha(data)] = data
        layers.append((sha(data), MEDIA[image.compression]))
        diff_ids.append("sha256:" + sha(raw))
    config = image.config(diff_ids)
    blobs[sha(config)] = config
    return blobs, layers, sha(config)


def _manifest(layers: list[tuple[str, str]], config: str, size: int) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": f"sha256:{config}",
                "size": size,
            },
            "layers": [{"mediaType": m, "digest": f"sha256:{d}", "size": 0} for d, m in layers],
        }
    ).encode()


def oci_layout(folder: Path, images: list[Image], *, nested: bool = True) -> None:
    """An OCI layout; several images become a multi-platform index (nested one level, as buildx does)."""
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    entries = []
    for image in images:
        blobs, layers, config = _blobs(image)
        manifest = _manifest(layers, config, len(blobs[config]))
        blobs[sha(manifest)] = manifest
        for digest, data in blobs.items():
            (folder / "blobs" / "sha256" / digest).write_bytes(data)
        entries.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": f"sha256:{sha(manifest)}",
                "size": len(manifest),
                "platform": {"os": "linux", "architecture": image.architecture},
            }
        )
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
    if nested:
        inner = json.dumps(index).encode()
        (folder / "blobs" / "sha256" / sha(inner)).write_bytes(inner)
        index = {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "digest": f"sha256:{sha(inner)}",
                    "size": len(inner),
                }
            ],
        }
    (folder / "index.json").write_text(json.dumps(index))
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


def tar_folder(folder: Path, archive: Path) -> None:
    with tarfile.open(archive, "w") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False)


def docker_save(archive: Path, image: Image, *, legacy: bool) -> None:
    """`docker save` output: legacy (one folder per layer) or Docker 25+ (OCI blobs and manifest.json)."""
    blobs, layers, config = _blobs(image)
    with tarfile.open(archive, "w") as tar:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        if legacy:
            paths = []
            for digest, _ in layers:
                add(f"{digest}/layer.tar", blobs[digest])
                paths.append(f"{digest}/layer.tar")
            add(f"{config}.json", blobs[config])
            manifest = [{"Config": f"{config}.json", "RepoTags": ["fixture:latest"], "Layers": paths}]
        else:
            for digest, data in blobs.items():
                add(f"blobs/sha256/{digest}", data)
            manifest = [
                {
                    "Config": f"blobs/sha256/{config}",
                    "RepoTags": ["fixture:latest"],
                    "Layers": [f"blobs/sha256/{d}" for d, _ in layers],
                }
            ]
            add("index.json", b'{"schemaVersion": 2, "manifests": []}')
            add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("manifest.json", json.dumps(manifest).encode())


def metadata(name: str, version: str, *requires: str) -> bytes:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    return ("\n".join(lines) + "\n\nA description.\n").encode()


SITE = "opt/venv/lib/python3.11/site-packages"
BASE_SITE = "usr/local/lib/python3.11/site-packages"


def app_image(**kwargs: Any) -> Image:
    """Python from /usr/local, an app venv in /opt/venv, a package removed in a later layer, a secret."""
    base = {
        "usr/local/bin/python3.11": b"\x7fELF",
        "usr/local/bin/python3": ("symlink", "python3.11"),
        f"{BASE_SITE}/pip-23.2.1.dist-info/METADATA": metadata("pip", "23.2.1"),
        f"{BASE_SITE}/pip-23.2.1.dist-info/INSTALLER": b"pip\n",
        "etc/os-release": b'ID=debian\nVERSION_ID="12"\n',
        "lib/x86_64-linux-gnu/libc.so.6": b"\x7fELF",
        "var/lib/dpkg/status": b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\n\n",
        "../../escape-attempt": b"evil",
        "/abs/path": b"evil",
        "dev/null-ish": ("device",),
    }
    app = {
        "opt/venv/pyvenv.cfg": (
            b"home = /usr/local/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
        ),
        "opt/venv/bin/python3": ("symlink", "/usr/local/bin/python3"),
        f"{SITE}/six-1.16.0.dist-info/METADATA": metadata("six", "1.16.0"),
        f"{SITE}/six-1.16.0.dist-info/INSTALLER": b"pip\n",
        f"{SITE}/attrs-23.2.0.dist-info/METADATA": metadata(
            "attrs", "23.2.0", 'importlib-metadata; python_version < "3.8"'
        ),
        f"{SITE}/Removed_Pkg-1.0.dist-info/METADATA": metadata("Removed_Pkg", "1.0"),
        f"{SITE}/zz-extra.pth": b"/srv/extra\n/srv/missing\nimport sys; sys.path.append('/srv/hidden')\n",
        "srv/extra/extra_pkg-2.0.dist-info/METADATA": metadata("extra-pkg", "2.0"),
    }
    remove = {f"{SITE}/Removed_Pkg-1.0.dist-info": ("whiteout",)}
    env = [
        "PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PYTHON_VERSION=3.11.7",
        "API_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "LANG=C.UTF-8",
    ]
    return Image(layers=[base, app, remove], env=env, **kwargs)
