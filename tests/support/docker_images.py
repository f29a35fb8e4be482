"""Fixture images for the Docker tests, built locally from the recipes in fixtures/images/.

There is no registry on these machines, so the base is made with debootstrap and ``docker import``,
and the others are built FROM it with wheels downloaded on the host into the build context. Each
image's tag carries a hash of its recipe (and of the image it is built from), so a changed recipe
builds afresh; each built image is also saved under $ENVAUDIT_TEST_CACHE/images/, so an engine that
has never seen it (a new CI machine with a warm cache) loads it in seconds instead of rebuilding.
"""

from __future__ import annotations

import fcntl
import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.venvs import FIXTURES, cache_root

if TYPE_CHECKING:
    import docker

RECIPES = FIXTURES / "images"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PREFIX = "envaudit-fixture"


@dataclass(frozen=True)
class FixtureImage:
    name: str
    tag: str  # envaudit-fixture/NAME:HASH, in the engine
    archive: Path  # its `docker save` output, for the static scans

    @property
    def target(self) -> str:
        return f"docker:{self.tag}"

    @property
    def archive_target(self) -> str:
        return f"docker-archive:{self.archive}"


def engine_problem() -> str | None:
    """Why the Docker tests cannot run here, or None if an engine answers."""
    try:
        import docker

        docker.from_env(timeout=10).ping()
    except Exception as exc:  # any failure to reach it is a reason to skip (or fail under CI)
        return f"no Docker engine answers ({exc}); `make test` starts one when run as root"
    return None


def _hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _folder_bytes(folder: Path) -> bytes:
    out = b""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        out += str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes()
    return out


@contextmanager
def _lock(name: str) -> Iterator[None]:
    path = cache_root() / "images" / f".{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(cmd: list[str], **kwargs: object) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def _present(client: docker.DockerClient, tag: str) -> bool:
    import docker

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def _ensure(client: docker.DockerClient, name: str, key: str, build: object) -> FixtureImage:
    """The image NAME:KEY in the engine: already there, loaded from the cache, or built and saved."""
    tag = f"{PREFIX}/{name}:{key}"
    archive = cache_root() / "images" / f"{name}-{key}.tar"
    saved_id = archive.with_suffix(".id")  # the image ID the archive holds
    with _lock(name):
        if not _present(client, tag):
            if archive.is_file() and saved_id.is_file():
                with archive.open("rb") as fh:
                    client.images.load(fh.read())
            else:
                assert callable(build)
                build(tag)
        image_id = str(client.images.get(tag).id)
        # The engine may hold a build of the same recipe that is not the one saved (debootstrap is not
        # byte-reproducible): the archive must be of the very image the engine runs.
        if not archive.is_file() or not saved_id.is_file() or saved_id.read_text().strip() != image_id:
            partial = archive.with_suffix(".tar.partial")
            with partial.open("wb") as fh:
                for chunk in client.images.get(tag).save(named=True):
                    fh.write(chunk)
            partial.replace(archive)
            saved_id.write_text(image_id + "\n")
    return FixtureImage(name, tag, archive)


def _build_base(tag: str) -> None:
    packages = [
        line.strip()
        for line in (RECIPES / "base" / "packages.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    with tempfile.TemporaryDirectory(dir=cache_root()) as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(packages)}",
                SUITE,
                str(rootfs),
                MIRROR,
            ]
        )
        # debootstrap leaves the packages it installed in apt's cache: 100 MB no image should carry.
        for deb in (rootfs / "var" / "cache" / "apt" / "archives").glob("*.deb"):
            deb.unlink()
        # docker import takes the root file system as one layer; --change sets what a base would.
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        _run(
            [
                "docker",
                "import",
                "--change",
                "ENV PATH=" + "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "-",
                tag,
            ],
            stdin=tar.stdout,
        )
        tar.wait()


def _docker_build(
    client: docker.DockerClient, recipe: Path, tag: str, context_extra: dict[str, Path], **fill: str
) -> None:
    import docker

    with tempfile.TemporaryDirectory(dir=cache_root()) as tmp:
        context = Path(tmp)
        if (recipe / "context").is_dir():
            shutil.copytree(recipe / "context", context, dirs_exist_ok=True)
        for name, source in context_extra.items():
            if source.is_dir():
                shutil.copytree(source, context / name)
            else:
                shutil.copy2(source, context / name)
        (context / "Dockerfile").write_text((recipe / "Dockerfile").read_text().format(**fill))
        try:
            client.images.build(path=str(context), tag=tag, network_mode="host", rm=True, forcerm=True)
        except docker.errors.BuildError as exc:
            log = "".join(str(item.get("stream", item.get("error", ""))) for item in exc.build_log)
            raise RuntimeError(f"building {tag} failed: {exc}\n{log[-3000:]}") from None


def _wheels(requirements: Path) -> Path:
    """Wheels for the image's Python (CPython 3.11, manylinux), downloaded once on the host."""
    key = _hash(requirements.read_bytes(), platform.machine())
    folder = cache_root() / "wheels" / key
    if not folder.is_dir():
        partial = folder.with_name(key + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        machine = platform.machine()
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--implementation",
                "cp",
                "--python-version",
                "3.11",
                "--abi",
                "cp311",
                "--abi",
                "none",
                "--platform",
                f"manylinux_2_17_{machine}",
                "--platform",
                f"manylinux2014_{machine}",
                "--platform",
                "any",
                "-d",
                str(partial),
                "-r",
                str(requirements),
            ]
        )
        shutil.copy2(requirements, partial / "wheels.txt")
        partial.replace(folder)
    return folder


def _one_wheel(spec: str) -> Path:
    folder = cache_root() / "wheels" / _hash(spec)
    if not folder.is_dir():
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(partial), spec])
        partial.replace(folder)
    return next(folder.glob("*.whl"))


@cache
def fixture_images() -> dict[str, FixtureImage]:
    """Every fixture image, by name; built on first use (minutes), then cached (seconds)."""
    import docker

    client = docker.from_env(timeout=600)
    base_key = _hash(_folder_bytes(RECIPES / "base"), SUITE)
    base = _ensure(client, "base", base_key, _build_base)

    recipe = RECIPES / "debian-pandas"
    debian = _ensure(
        client,
        "debian-pandas",
        _hash(_folder_bytes(recipe), base_key),
        lambda tag: _docker_build(client, recipe, tag, {}, base=base.tag),
    )

    recipe = RECIPES / "app"
    app = _ensure(
        client,
        "app",
        _hash(_folder_bytes(recipe), base_key),
        lambda tag: _docker_build(
            client, recipe, tag, {"wheels": _wheels(recipe / "wheels.txt")}, base=base.tag
        ),
    )

    recipe = RECIPES / "multilayer"
    six = "six==1.17.0"
    multilayer = _ensure(
        client,
        "multilayer",
        _hash(_folder_bytes(recipe), app.tag, six),
        lambda tag: _docker_build(client, recipe, tag, {_one_wheel(six).name: _one_wheel(six)}, app=app.tag),
    )
    return {image.name: image for image in (base, debian, app, multilayer)}


if __name__ == "__main__":  # `python -m tests.support.docker_images`: build them now, print where
    for image in fixture_images().values():
        size = image.archive.stat().st_size >> 20
        print(f"{image.name:14} {image.tag:45} {image.archive} ({size} MiB)")
