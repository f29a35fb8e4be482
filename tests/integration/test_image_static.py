"""Static image reading: docker save archives (legacy and Docker 25+), OCI layouts and archives."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner
from tests.support import images
from tests.support.images import BASE_SITE, SITE, Image, app_image, metadata

pytestmark = pytest.mark.integration


def scan(envaudit: Runner, target: str, *extra: str) -> tuple[int, Any, str]:
    result = envaudit("scan", target, "--format", "json", *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def check_app(snapshot: dict[str, Any]) -> None:
    dists = {d["canonical_name"]: d for d in snapshot["distributions"]}
    # removed-pkg was whited out in a later layer; pip is outside the venv; extra-pkg is in a folder
    # that a .pth file adds (and /srv/missing, which does not exist, is not added)
    assert set(dists) == {"six", "attrs", "extra-pkg"}
    interp = snapshot["interpreter"]
    assert (interp["executable"], interp["resolved_executable"]) == (
        "/opt/venv/bin/python3",
        "/usr/local/bin/python3.11",
    )
    assert interp["is_venv"] and interp["version"] == "3.11.7" and interp["prefix"] == "/opt/venv"
    assert (interp["libc"], interp["libc_version"], interp["machine"]) == ("glibc", "2.36", "x86_64")
    assert interp["sys_path"] == [f"/{SITE}", "/srv/extra"]
    env = {v["name"]: v for v in snapshot["environment"]}
    assert env["API_TOKEN"]["redacted"] and "ghp_" not in json.dumps(snapshot)
    image = snapshot["image"]
    assert image["read"] == "static" and image["cmd"] == ["python3", "-m", "app"] and image["user"] == "app"
    assert dists["six"]["layer"] == image["layers"][1]  # the layer that introduced it
    codes = {i["code"] for i in snapshot["issues"]}
    assert {"static-pth", "hostile-archive-member"} <= codes


@pytest.mark.parametrize("legacy", [True, False], ids=["docker-save-legacy", "docker-save-25"])
@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_docker_save_archives(envaudit: Runner, tmp_path: Path, legacy: bool, compression: str) -> None:
    archive = tmp_path / "app.tar"
    images.docker_save(archive, app_image(compression=compression), legacy=legacy)
    code, snapshot, err = scan(envaudit, f"docker-archive:{archive}")
    assert code == 0, err
    check_app(snapshot)
    assert snapshot["image"]["repo_tags"] == ["fixture:latest"]


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_oci_layout_and_archive(envaudit: Runner, tmp_path: Path, compression: str) -> None:
    layout = tmp_path / "layout"
    images.oci_layout(layout, [app_image(compression=compression)])
    code, snapshot, err = scan(envaudit, f"oci:{layout}")
    assert code == 0, err
    check_app(snapshot)
    archive = tmp_path / "layout.tar"
    images.tar_folder(layout, archive)
    code, again, err = scan(envaudit, f"oci-archive:{archive}")
    assert code == 0, err
    assert again["distributions"] == snapshot["distributions"]


def test_multi_platform_index_needs_a_choice(envaudit: Runner, tmp_path: Path) -> None:
    amd, arm = app_image(), app_image(architecture="arm64")
    arm.layers = [*arm.layers, {f"{SITE}/arm-only-1.0.dist-info/METADATA": metadata("arm-only", "1.0")}]
    images.oci_layout(tmp_path / "multi", [amd, arm])
    code, _, err = scan(envaudit, f"oci:{tmp_path / 'multi'}")
    assert code == 2 and "several images (linux/amd64, linux/arm64)" in err and "--platform" in err
    code, snapshot, err = scan(envaudit, f"oci:{tmp_path / 'multi'}", "--platform", "linux/arm64")
    assert code == 0, err
    assert "arm-only" in {d["canonical_name"] for d in snapshot["distributions"]}
    assert snapshot["interpreter"]["machine"] == "aarch64"


def test_opaque_folder_hides_lower_layers(envaudit: Runner, tmp_path: Path) -> None:
    image = app_image()
    image.layers = [
        *image.layers,
        {SITE: ("opaque",), f"{SITE}/fresh-2.0.dist-info/METADATA": metadata("fresh", "2.0")},
    ]
    images.oci_layout(tmp_path / "opaque", [image])
    code, snapshot, err = scan(envaudit, f"oci:{tmp_path / 'opaque'}")
    assert code == 0, err
    assert [d["canonical_name"] for d in snapshot["distributions"]] == ["fresh"]


def test_debian_system_python_with_egg_info(envaudit: Runner, tmp_path: Path) -> None:
    debian = Image(
        layers=[
            {
                "usr/bin/python3.11": b"\x7fELF",
                "usr/bin/python3": ("symlink", "python3.11"),
                "usr/lib/python3/dist-packages/numpy-1.24.2.egg-info/PKG-INFO": metadata("numpy", "1.24.2"),
                "usr/lib/python3/dist-packages/pandas-1.5.3.egg-info/PKG-INFO": metadata("pandas", "1.5.3"),
                "usr/lib/python3/dist-packages/pandas-1.5.3.egg-info/requires.txt": (
                    b"numpy>=1.21\n\n[test]\npytest\n"
                ),
                "usr/lib/python3/dist-packages/six-1.16.0.egg-info": metadata("six", "1.16.0"),
                "lib/ld-musl-x86_64.so.1": b"\x7fELF",
            }
        ],
        env=["PATH=/usr/bin:/bin"],
    )
    images.oci_layout(tmp_path / "deb", [debian], nested=False)
    code, snapshot, err = scan(envaudit, f"oci:{tmp_path / 'deb'}")
    assert code == 0, err
    dists = {d["canonical_name"]: d for d in snapshot["distributions"]}
    assert {k: d["version"] for k, d in dists.items()} == {
        "numpy": "1.24.2",
        "pandas": "1.5.3",
        "six": "1.16.0",
    }
    assert dists["pandas"]["requires_dist"] == ["numpy>=1.21", 'pytest; extra == "test"']
    assert dists["pandas"]["metadata_format"] == "egg-info"
    assert snapshot["interpreter"]["version"] == "3.11" and snapshot["interpreter"]["libc"] == "musl"


def test_a_huge_member_is_read_only_as_far_as_needed(envaudit: Runner, tmp_path: Path) -> None:
    huge = metadata("big", "1.0") + b"x" * (64 * 1024 * 1024)  # a 64 MiB description
    image = app_image()
    image.layers = [*image.layers, {f"{SITE}/big-1.0.dist-info/METADATA": huge}]
    images.oci_layout(tmp_path / "huge", [image])
    code, snapshot, err = scan(envaudit, f"oci:{tmp_path / 'huge'}")
    assert code == 0, err
    assert "big" in {d["canonical_name"] for d in snapshot["distributions"]}


@pytest.mark.parametrize(
    "damage",
    ["truncated", "not-a-tar", "no-manifest", "bad-json", "corrupt-gzip", "corrupt-zstd", "corrupt-layer"],
)
def test_broken_archives_get_one_clear_line(envaudit: Runner, tmp_path: Path, damage: str) -> None:
    archive = tmp_path / "app.tar"
    images.docker_save(archive, app_image(), legacy=False)
    data = archive.read_bytes()
    if damage == "truncated":
        archive.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "not-a-tar":
        archive.write_bytes(b"hello, I am not an image")
    elif damage == "no-manifest":
        with tarfile.open(archive, "w") as tar:
            tar.add(Path(__file__), arcname="README")
    elif damage == "corrupt-gzip":  # a compressed archive whose stream breaks off into garbage
        archive.write_bytes(images.compress(data, "gzip")[:200] + bytes(range(256)) * 8)
    elif damage == "corrupt-zstd":
        archive.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 8)
    elif damage == "corrupt-layer":  # an OCI layout whose zstd layer blob is garbage
        image = app_image(compression="zstd")
        images.oci_layout(tmp_path / "layout", [image])
        folder = tmp_path / "layout" / "blobs" / "sha256"
        layer = next(p for p in sorted(folder.iterdir()) if p.read_bytes()[:4] == b"\x28\xb5\x2f\xfd")
        layer.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 8)
        code, _, err = scan(envaudit, f"oci:{tmp_path / 'layout'}")
        assert code == 2, err
        assert "zstd data is corrupt" in err and len(err.strip().splitlines()) == 1
        return
    else:
        with tarfile.open(archive, "w") as tar:
            info = tarfile.TarInfo("manifest.json")
            info.size = 3
            tar.addfile(info, __import__("io").BytesIO(b"{x]"))
    code, _, err = scan(envaudit, f"docker-archive:{archive}")
    assert code == 2, err
    assert err.startswith(f"error: {archive}: ") and len(err.strip().splitlines()) == 1


def test_static_and_pip_agree_on_a_copy_of_a_real_venv(envaudit: Runner, tmp_path: Path) -> None:
    """A layer made from a real venv's site-packages lists what pip lists there."""
    from tests.support import recipes

    venv = recipes.pinned()
    files: dict[str, Any] = {}
    for path in venv.site_packages.rglob("*"):
        if path.is_file() and ".dist-info" in str(path):
            files[f"{SITE}/{path.relative_to(venv.site_packages)}"] = path.read_bytes()
    files["opt/venv/bin/python3"] = b"\x7fELF"
    files["opt/venv/pyvenv.cfg"] = b"home = /usr/local/bin\n"
    images.oci_layout(tmp_path / "real", [Image(layers=[files], env=["PATH=/opt/venv/bin:/usr/bin"])])
    code, snapshot, err = scan(envaudit, f"oci:{tmp_path / 'real'}")
    assert code == 0, err
    assert {d["canonical_name"]: d["version"] for d in snapshot["distributions"]} == venv.pip_list()
    assert BASE_SITE not in snapshot["interpreter"]["sys_path"]


def test_the_same_image_in_every_format_reads_the_same(envaudit: Runner, tmp_path: Path) -> None:
    """Layer identities are diff_ids: legacy docker save, Docker 25+ and OCI (gzip, zstd) agree."""
    images.docker_save(tmp_path / "legacy.tar", app_image(compression="none"), legacy=True)
    images.docker_save(tmp_path / "docker25.tar", app_image(compression="gzip"), legacy=False)
    images.oci_layout(tmp_path / "zstd", [app_image(compression="zstd")])
    seen = []
    for target in (
        f"docker-archive:{tmp_path / 'legacy.tar'}",
        f"docker-archive:{tmp_path / 'docker25.tar'}",
        f"oci:{tmp_path / 'zstd'}",
    ):
        code, snapshot, err = scan(envaudit, target)
        assert code == 0, err
        dists = [(d["name"], d["version"], d["layer"]) for d in snapshot["distributions"]]
        seen.append((dists, snapshot["image"]["layers"]))
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][1][0].startswith("sha256:")
