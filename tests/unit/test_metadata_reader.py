"""One metadata reader: a live folder and an image's layers give the same result, and both agree
with ``importlib.metadata`` on what it reports (name and version) and on what it cannot."""

from __future__ import annotations

import importlib.metadata
import zipfile
from pathlib import Path
from typing import Any

import pytest

from envaudit.inprocess import metadata
from envaudit.targets import image

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metadata"

# The odd cases beside the fixtures: (path in the site folder, bytes), several files per case.
ODD: dict[str, dict[str, bytes]] = {
    "empty egg-info file": {"empty-1.0.0-py3.8.egg-info": b""},
    "egg-info file without Version": {"no-version-py3.8.egg-info": b"Metadata-Version: 1.1\nName: nover\n"},
    "egg-info folder, Debian style (no version in the name)": {
        "debianised.egg-info/PKG-INFO": b"Metadata-Version: 1.1\nName: debianised\nVersion: 2.0.1\n",
        "debianised.egg-info/requires.txt": b"six\n[tests]\npytest\n",
    },
    "METADATA starting with a blank line": {
        "blank_first-1.0.dist-info/METADATA": b"\nName: x\nVersion: 1.0\n"
    },
    "duplicate Version headers": {
        "twice-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: twice\nVersion: 1.0\nVersion: 9.9\n"
    },
    "CRLF and a folded header": {
        "crlf-1.0.dist-info/METADATA": b"Name: crlf\r\nVersion: 1.0\r\nSummary: a\r\n  b\r\n\r\nbody\r\n"
    },
    "Latin-1 only in the body": {
        "body_latin1-1.0.dist-info/METADATA": b"Name: body-latin1\nVersion: 1.0\n\ncaf\xe9\n"
    },
    "missing METADATA": {"ghost-2.0.dist-info/INSTALLER": b"pip\n"},
    "direct_url.json and INSTALLER": {
        "vcs_thing-0.1.dist-info/METADATA": b"Name: vcs-thing\nVersion: 0.1\n",
        "vcs_thing-0.1.dist-info/INSTALLER": b"uv\n",
        "vcs_thing-0.1.dist-info/direct_url.json": b'{"url": "file:///src", "dir_info": {"editable": true}}',
    },
    "unzipped egg folder": {
        "old_egg-0.3-py3.8.egg/EGG-INFO/PKG-INFO": b"Metadata-Version: 1.1\nName: old-egg\nVersion: 0.3\n"
    },
}


def fixture_files() -> dict[str, dict[str, bytes]]:
    cases: dict[str, dict[str, bytes]] = {}
    for entry in sorted(FIXTURES.iterdir()):
        if entry.name == "README.md":
            continue
        if entry.is_file():
            cases[entry.name] = {entry.name: entry.read_bytes()}
        else:
            cases[entry.name] = {
                f"{entry.name}/{f.name}": f.read_bytes() for f in sorted(entry.iterdir()) if f.is_file()
            }
    return cases


CASES = {**fixture_files(), **ODD}


def write_site(root: Path, files: dict[str, bytes]) -> Path:
    site = root / "site"
    for rel, data in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    site.mkdir(exist_ok=True)
    return site


def live(site: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    issues: list[dict[str, Any]] = []
    dists, _ = metadata.scan_distributions([str(site), *egg_folders(site)], issues)
    return dists, issues


def egg_folders(site: Path) -> list[str]:
    """What easy-install.pth would add to sys.path: the eggs in the site folder."""
    return [str(p) for p in sorted(site.glob("*.egg"))]


def layered(site: Path, files: dict[str, bytes]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The same files as an image's merged layers (absolute paths under the same folder)."""
    root = str(site).lstrip("/")
    merged = image.ImageFiles()
    for rel, data in files.items():
        merged.entries[f"{root}/{rel}"] = image.Entry("sha256:layer", data=data)
    access = image.LayerFiles(merged)
    issues: list[dict[str, Any]] = []
    dists: list[dict[str, Any]] = []
    for folder in [root, *(p.lstrip("/") for p in egg_folders(site))]:
        dists += image.distributions_of(access, folder, access.listdir("/" + folder), issues)
    for dist in dists:
        assert dist.pop("layer") == "sha256:layer"
    return dists, issues


def importlib_view(site: Path) -> dict[str, str | None]:
    """Name -> Version as importlib reports them; a file it cannot decode at all is left out."""
    found: dict[str, str | None] = {}
    for dist in importlib.metadata.distributions(path=[str(site), *egg_folders(site)]):
        try:
            # get_all, not [...]: a missing header is None, without 3.12's deprecation warning
            name = (dist.metadata.get_all("Name") or [None])[0]
            version = (dist.metadata.get_all("Version") or [None])[0]
        except UnicodeDecodeError:
            continue  # importlib decodes the whole file; envaudit only the headers (see below)
        if name:
            found[name] = version
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_live_and_static_readers_agree(case: str, tmp_path: Path) -> None:
    site = write_site(tmp_path, CASES[case])
    assert live(site) == layered(site, CASES[case])


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_reader_agrees_with_importlib(case: str, tmp_path: Path) -> None:
    site = write_site(tmp_path, CASES[case])
    dists, issues = live(site)
    ours = {d["name"]: d["version"] for d in dists}
    theirs = importlib_view(site)
    # What importlib reports with a name and a version, we report the same; nothing more, except a
    # file whose headers are UTF-8 and whose description is not, which importlib cannot read at all.
    if case == "Latin-1 only in the body":
        assert theirs == {} and ours == {"body-latin1": "1.0"}
        return
    assert ours == {n: v for n, v in theirs.items() if v}
    # What it reports without one (no Version, a blank first line) is an issue here, not a guess.
    for name, version in theirs.items():
        if not version:
            assert any(i["code"] == "incomplete-metadata" for i in issues), (name, issues)


def test_what_was_made_up_before_is_now_an_issue(tmp_path: Path) -> None:
    site = write_site(tmp_path, {**ODD["empty egg-info file"], **ODD["egg-info file without Version"]})
    dists, issues = live(site)
    assert dists == []
    assert sorted((Path(i["path"]).name, i["code"], i["message"]) for i in issues) == [
        ("empty-1.0.0-py3.8.egg-info", "incomplete-metadata", "metadata has no Name field"),
        ("no-version-py3.8.egg-info", "incomplete-metadata", "metadata has no Version field"),
    ]


def test_first_of_duplicate_headers_wins_as_in_importlib(tmp_path: Path) -> None:
    site = write_site(tmp_path, ODD["duplicate Version headers"])
    assert [d["version"] for d in live(site)[0]] == ["1.0"] == [importlib_view(site)["twice"]]


def test_a_bad_byte_in_the_body_is_never_decoded(tmp_path: Path) -> None:
    site = write_site(tmp_path, ODD["Latin-1 only in the body"])
    dists, issues = live(site)
    assert [d["name"] for d in dists] == ["body-latin1"] and issues == []


def test_a_zipped_egg_on_sys_path_is_read_as_importlib_reads_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    egg = site / "zipped-1.5-py3.8.egg"
    with zipfile.ZipFile(egg, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.1\nName: zipped\nVersion: 1.5\n")
        zf.writestr("EGG-INFO/requires.txt", "six\n")
        zf.writestr("zipped/__init__.py", "")
    dists, issues = live(site)
    assert [(d["name"], d["version"], d["requires_dist"]) for d in dists] == [("zipped", "1.5", ["six"])]
    assert issues == [] and importlib_view(site) == {"zipped": "1.5"}
    assert dists[0]["metadata_path"] == f"{egg}/EGG-INFO"


def test_a_zipped_egg_is_named_as_the_limit_of_a_static_read(tmp_path: Path) -> None:
    merged = image.ImageFiles()
    merged.entries["usr/lib/python3/site-packages/easy-install.pth"] = image.Entry(
        "l", data=b"./zipped-1.5-py3.8.egg\n"
    )
    merged.entries["usr/lib/python3/site-packages/zipped-1.5-py3.8.egg"] = image.Entry("l")
    assert image.pth_folders(merged, "usr/lib/python3/site-packages", "easy-install.pth", []) == []
    assert [i["code"] for i in merged.issues] == ["static-zipped-egg"]


def test_a_corrupt_zipped_egg_is_an_issue(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "broken-1.0.egg").write_bytes(b"not a zip")
    dists, issues = live(site)
    assert dists == [] and [i["code"] for i in issues] == ["corrupt-metadata"]


def test_every_fixture_is_covered() -> None:
    on_disk = {p.name for p in FIXTURES.iterdir() if p.name != "README.md"}
    assert on_disk and on_disk <= set(CASES)  # the parity tests above run each of them
