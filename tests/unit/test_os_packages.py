"""OS packages: who owns a distribution (dpkg, distroless status.d, apk, rpm headers), the security
ids a Debian changelog names, the version orders of dpkg and apk against their own tools' verdicts,
distribution advisories in the index, and the verdicts on OS-owned distributions."""

from __future__ import annotations

import gzip
import itertools
import random
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from envaudit import advisories, osversions
from envaudit.audit import audit_offline, findings
from envaudit.backports import judge
from envaudit.inprocess import ospackages
from envaudit.inprocess.metadata import OSFiles
from envaudit.model import ChangelogFix, Distro, OSPackage
from envaudit.rules import FIXED_BY_DISTRIBUTION, NOT_DECIDED, VULNERABILITY
from envaudit.vulnerability import Verdict, Vulnerability
from tests.conftest import require
from tests.unit.test_snapshot_io import make_snapshot

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "osversions"


class Rooted(OSFiles):
    """The OS file access, under a folder standing for /: what a target's files look like."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)

    def read(self, path: str, limit: int) -> bytes | None:
        return super().read(self.root + path, limit)

    def listdir(self, folder: str) -> list[str]:
        return super().listdir(self.root + folder)

    def is_dir(self, path: str) -> bool:
        return super().is_dir(self.root + path)


URLLIB3_CHANGELOG = """\
python-urllib3 (1.26.12-1+deb12u2) bookworm-security; urgency=high

  * Non-maintainer upload by the Security Team.
  * Unbounded number of links in the decompression chain (CVE-2025-66418)
    (Closes: #1122030)

 -- Salvatore Bonaccorso <carnil@debian.org>  Mon, 12 Jan 2026 22:53:55 +0100

python-urllib3 (1.26.12-1+deb12u1) bookworm; urgency=medium

  * Non-maintainer upload.
  * Fix CVE-2023-43804: Cookie request header isn't stripped during
    cross-origin redirects. (Closes: #1053626)
  * Fix CVE-2024-6345:
    - Replace the unsafe use of os.system

 -- Guilhem Moulin <guilhem@debian.org>  Sat, 21 Dec 2024 15:28:17 +0100
"""


def debian_root(root: Path) -> None:
    site = root / "usr/lib/python3/dist-packages"
    (site / "urllib3-1.26.12.egg-info").mkdir(parents=True)
    (site / "urllib3-1.26.12.egg-info/PKG-INFO").write_text("Name: urllib3\nVersion: 1.26.12\n")
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(
        "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\n"
        "Package: python3-urllib3\nStatus: install ok installed\nArchitecture: all\n"
        "Source: python-urllib3\nVersion: 1.26.12-1+deb12u2\nDepends: python3:any\n"
        "Description: HTTP library\n with a continuation line: not a field\n\n"
        "Package: python3-gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
    )
    (info / "libc6:amd64.list").write_text("/lib/x86_64-linux-gnu/libc.so.6\n")
    (info / "python3-urllib3.list").write_text(
        "/usr/lib/python3/dist-packages\n/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info\n"
        "/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO\n"
    )
    doc = root / "usr/share/doc/python3-urllib3"
    doc.mkdir(parents=True)
    (doc / "changelog.Debian.gz").write_bytes(gzip.compress(URLLIB3_CHANGELOG.encode()))
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
    )


def dist(path: str, name: str = "urllib3") -> dict[str, Any]:
    return {"name": name, "metadata_path": path}


def test_dpkg_owns_a_distribution_with_its_source_and_changelog_fixes(tmp_path: Path) -> None:
    debian_root(tmp_path)
    dists = [
        dist("/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info"),
        dist("/usr/local/lib/python3.11/dist-packages/six-1.16.0.dist-info", "six"),  # pip's: never owned
    ]
    issues: list[dict[str, str]] = []
    distro = ospackages.attribute_os_packages(Rooted(tmp_path), dists, issues)
    assert distro == {"pretty_name": "Debian GNU/Linux 12 (bookworm)", "id": "debian", "version_id": "12"}
    owned = dists[0]["os_package"]
    assert (owned["name"], owned["version"], owned["source"], owned["manager"]) == (
        "python3-urllib3",
        "1.26.12-1+deb12u2",
        "python-urllib3",
        "dpkg",
    )
    fixes = {(f["id"], f["version"]): f["text"] for f in owned["fixes"]}
    assert fixes[("CVE-2023-43804", "1.26.12-1+deb12u1")] == (
        "Fix CVE-2023-43804: Cookie request header isn't stripped during cross-origin redirects. "
        "(Closes: #1053626)"
    )
    # A sub-item belongs to its item; the id is found in either.
    assert fixes[("CVE-2024-6345", "1.26.12-1+deb12u1")] == (
        "Fix CVE-2024-6345: Replace the unsafe use of os.system"
    )
    assert ("CVE-2025-66418", "1.26.12-1+deb12u2") in fixes
    assert "os_package" not in dists[1] and issues == []


def test_merged_usr_and_distroless_status_d(tmp_path: Path) -> None:
    folder = tmp_path / "var/lib/dpkg/status.d"
    folder.mkdir(parents=True)
    (folder / "python3-idna").write_text(
        "Package: python3-idna\nVersion: 3.3-1+deb12u1\nSource: python-idna (3.3-1+deb12u1)\n"
        "Architecture: all\n"
    )
    # distroless keeps md5sums (files, not folders, relative to /) instead of .list files.
    (folder / "python3-idna.md5sums").write_text(
        "0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/idna-3.3.egg-info/PKG-INFO\n"
    )
    dists = [dist("/lib/python3/dist-packages/idna-3.3.egg-info", "idna")]  # seen through /lib -> /usr/lib
    assert ospackages.attribute_os_packages(Rooted(tmp_path), dists, []) == {}  # owned, no os-release
    assert dists[0]["os_package"]["source"] == "python-idna"
    assert dists[0]["os_package"]["source_version"] == "3.3-1+deb12u1"


APK_DB = """\
C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
o:musl

C:Q1def=
P:py3-idna
V:3.6-r0
A:noarch
o:py3-idna
F:usr/lib/python3.12/site-packages/idna
R:__init__.py
F:usr/lib/python3.12/site-packages/idna-3.6.dist-info
R:METADATA

C:Q1ghi=
P:py3-six
V:1.16.0-r9
A:noarch
o:py3-six-src
F:usr/lib/python3.12/site-packages
R:six-1.16.0.egg-info
"""


def test_apk_owns_folders_and_files(tmp_path: Path) -> None:
    (tmp_path / "lib/apk/db").mkdir(parents=True)
    (tmp_path / "lib/apk/db/installed").write_text(APK_DB)
    site = "/usr/lib/python3.12/site-packages"
    dists = [dist(f"{site}/idna-3.6.dist-info", "idna"), dist(f"{site}/six-1.16.0.egg-info", "six")]
    ospackages.attribute_os_packages(Rooted(tmp_path), dists, [])
    assert [
        (d["os_package"]["name"], d["os_package"]["version"], d["os_package"]["source"]) for d in dists
    ] == [
        ("py3-idna", "3.6-r0", "py3-idna"),
        ("py3-six", "1.16.0-r9", "py3-six-src"),
    ]
    assert dists[0]["os_package"]["fixes"] == []  # apk keeps no changelog in the image


def rpm_blob(tags: dict[int, Any]) -> bytes:
    """An rpm header blob as rpmdb.sqlite's Packages table stores it."""
    index, data = b"", b""
    for tag, value in tags.items():
        if isinstance(value, list) and value and isinstance(value[0], int):
            while len(data) % 4:
                data += b"\0"
            index += struct.pack(">iiii", tag, 4, len(data), len(value))
            data += b"".join(struct.pack(">i", v) for v in value)
        else:
            values = value if isinstance(value, list) else [value]
            index += struct.pack(">iiii", tag, 8 if isinstance(value, list) else 6, len(data), len(values))
            data += b"".join(v.encode() + b"\0" for v in values)
    return struct.pack(">ii", len(tags), len(data)) + index + data


def test_rpm_sqlite_database(tmp_path: Path) -> None:
    import sqlite3

    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    db = sqlite3.connect(tmp_path / "var/lib/rpm/rpmdb.sqlite")
    db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
    blob = rpm_blob(
        {
            1000: "python3-urllib3",
            1001: "1.26.5",
            1002: "3.el9",
            1022: "noarch",
            1044: "python-urllib3-1.26.5-3.el9.src.rpm",
            1116: [0, 0],
            1117: ["urllib3-1.26.5-py3.9.egg-info", "urllib3"],
            1118: ["/usr/lib/python3.9/site-packages/"],
        }
    )
    db.execute("INSERT INTO Packages VALUES (1, ?)", (blob,))
    db.commit()
    db.close()
    dists = [dist("/usr/lib/python3.9/site-packages/urllib3-1.26.5-py3.9.egg-info")]
    ospackages.attribute_os_packages(Rooted(tmp_path), dists, [])
    owned = dists[0]["os_package"]
    assert (owned["name"], owned["version"], owned["source"], owned["manager"]) == (
        "python3-urllib3",
        "1.26.5-3.el9",
        "python-urllib3",
        "rpm",
    )


def test_hostile_package_databases_are_issues_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    (tmp_path / "var/lib/rpm/rpmdb.sqlite").write_bytes(b"not a database" * 100)
    doc = tmp_path / "usr/share/doc/python3-x"
    doc.mkdir(parents=True)
    (doc / "changelog.Debian.gz").write_bytes(b"\x1f\x8bgarbage")
    info = tmp_path / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text(
        "Package: python3-x\nStatus: install ok installed\nVersion: 1\n"
    )
    (info / "python3-x.list").write_text("/usr/lib/python3/dist-packages/x-1.dist-info\n")
    dists = [
        dist("/usr/lib/python3/dist-packages/x-1.dist-info", "x"),
        dist("/usr/lib/python3/y-1.dist-info", "y"),
    ]
    issues: list[dict[str, str]] = []
    ospackages.attribute_os_packages(Rooted(tmp_path), dists, issues)
    assert dists[0]["os_package"]["fixes"] == []
    assert {i["path"] for i in issues} == {
        "/var/lib/rpm/rpmdb.sqlite",
        "/usr/share/doc/python3-x/changelog.Debian.gz",
    }
    with pytest.raises(ValueError, match="malformed"):
        ospackages.rpm_header(struct.pack(">ii", 5, 10**9))


def test_a_gzip_bomb_changelog_is_read_only_up_to_its_cap(tmp_path: Path) -> None:
    text = "x (1-1) unstable; urgency=low\n\n  * CVE-2020-1111\n" + " " * (ospackages.MAX_CHANGELOG * 4)
    text += "\n  * CVE-2020-2222\n"
    fixes = ospackages.debian_changelog_fixes(text[: ospackages.MAX_CHANGELOG])
    assert [f["id"] for f in fixes] == ["CVE-2020-1111"]
    doc = tmp_path / "usr/share/doc/p"
    doc.mkdir(parents=True)
    (doc / "changelog.Debian.gz").write_bytes(gzip.compress(text.encode()))
    package = {"manager": "dpkg", "name": "p", "architecture": "all"}
    assert [f["id"] for f in ospackages.changelog_fixes(Rooted(tmp_path), package, [])] == ["CVE-2020-1111"]


# --- version orders -----------------------------------------------------------------------------------


def apk_cases() -> list[str]:
    lines = (FIXTURES / "apk-version.data").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_apk_order_agrees_with_apk_tools_own_test_data() -> None:
    checked = 0
    for case in apk_cases():
        parts = case.split()
        if len(parts) == 3:
            a, op, b = parts
            invert = op.startswith("!")
            op = op.lstrip("!")
            if "~" in op:
                continue  # fuzzy matching: a dependency operator, not an order
            result = osversions.apk_compare(a, b)
            ok = {"<": result < 0, ">": result > 0, "=": result == 0, "<=": result <= 0, ">=": result >= 0}[
                op
            ]
            assert osversions.apk_compare(b, a) == -result, case
        else:
            invert = parts[0].startswith("!")
            ok = osversions.apk_valid(parts[0].lstrip("!"))
        assert ok != invert, case
        checked += 1
    assert checked > 700


def test_dpkg_order_agrees_with_dpkg_compare_versions() -> None:
    dpkg = shutil.which("dpkg")
    require(dpkg is not None, "no dpkg on this machine (the oracle of Debian's version order)")
    assert dpkg is not None
    lines = (FIXTURES / "debian-versions.txt").read_text().splitlines()
    versions = [v for v in lines if v and not v.startswith("#")]
    rng = random.Random(16)
    pairs = [tuple(rng.sample(versions, 2)) for _ in range(400)]
    # Near neighbours too: the same upstream version with different revisions, tildes and epochs.
    ordered = sorted(versions)
    pairs += list(itertools.pairwise(ordered))[:400]
    pairs += [
        ("1.0~rc1", "1.0"),
        ("1:1.0", "2.0"),
        ("1.26.12-1+deb12u1", "1.26.12-1+deb12u4"),
        ("1.0", "1.0-0"),
    ]
    for a, b in pairs:
        less = subprocess.run([dpkg, "--compare-versions", a, "lt", b], check=False).returncode == 0
        equal = subprocess.run([dpkg, "--compare-versions", a, "eq", b], check=False).returncode == 0
        expected = -1 if less else 0 if equal else 1
        assert osversions.dpkg_compare(a, b) == expected, (a, b)


@pytest.mark.parametrize(
    ("manager", "events", "version", "affected"),
    [
        ("dpkg", [("introduced", "0"), ("fixed", "1.26.12-1+deb12u1")], "1.26.12-1", True),
        ("dpkg", [("introduced", "0"), ("fixed", "1.26.12-1+deb12u1")], "1.26.12-1+deb12u4", False),
        ("dpkg", [("introduced", "0"), ("fixed", "2.0-1")], "2.0~rc1-1", True),  # ~ sorts first
        ("dpkg", [("introduced", "0"), ("fixed", "1:1.0-1")], "9.9-1", True),  # an epoch outranks all
        ("dpkg", [("introduced", "0")], "1.0-1", True),  # no fix in this release
        ("apk", [("introduced", "0"), ("fixed", "3.7-r0")], "3.6-r0", True),
        ("apk", [("introduced", "0"), ("fixed", "3.7-r0")], "3.7-r1", False),
        ("apk", [("introduced", "0"), ("fixed", "3.7_rc1-r0")], "3.7_beta2-r0", True),
        ("apk", [("introduced", "3.0"), ("last_affected", "3.5")], "3.5", True),
        ("apk", [("introduced", "3.0"), ("last_affected", "3.5")], "3.5-r1", False),  # -r1 is later
    ],
)
def test_osv_ranges_in_the_distribution_s_order(
    manager: str, events: list[tuple[str, str]], version: str, affected: bool
) -> None:
    assert osversions.in_range(manager, events, version) is affected


@pytest.mark.parametrize(
    ("distro", "key"),
    [
        (Distro("debian", "12"), "Debian:12"),
        (Distro("ubuntu", "22.04"), "Ubuntu:22.04"),
        (Distro("alpine", "3.20.3"), "Alpine:v3.20"),
        (Distro("fedora", "40"), None),
        (Distro("debian", ""), None),  # testing/sid: no release to name
    ],
)
def test_ecosystems_of_distributions(distro: Distro, key: str | None) -> None:
    assert osversions.distro_key(distro) == key


def test_ecosystem_names_of_records() -> None:
    assert osversions.ecosystem_key("Debian:12") == "Debian:12"
    assert osversions.ecosystem_key("Ubuntu:22.04:LTS") == "Ubuntu:22.04"
    assert osversions.ecosystem_key("Ubuntu:Pro:22.04:LTS") is None  # a paid stream's versions
    assert osversions.ecosystem_key("Alpine:v3.20") == "Alpine:v3.20"
    assert osversions.ecosystem_key("npm") is None


# --- advisories and verdicts --------------------------------------------------------------------------


def record(id_: str, ecosystem: str, name: str, fixed: str | None, upstream: str) -> dict[str, Any]:
    events: list[dict[str, str]] = [{"introduced": "0"}, *([{"fixed": fixed}] if fixed else [])]
    return {
        "id": id_,
        "upstream": [upstream],
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


def pypi(id_: str, cve: str, fixed: str) -> dict[str, Any]:
    """A PyPA-style record of urllib3."""
    events = [{"introduced": "0"}, {"fixed": fixed}]
    return {
        "id": id_,
        "aliases": [cve],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "urllib3"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


def index_of(*records: dict[str, Any]) -> advisories.AdvisoryIndex:
    index = advisories.AdvisoryIndex("t", "x")
    for data in records:
        for advisory in advisories.parse_record(data, "r.json"):
            index.add(advisory)
    return index


def test_distribution_records_are_indexed_by_release_and_source_package() -> None:
    index = index_of(
        record("DEBIAN-CVE-2023-43804", "Debian:12", "python-urllib3", "1.26.12-1+deb12u1", "CVE-2023-43804"),
        record(
            "DEBIAN-CVE-2023-43804", "Debian:11", "python-urllib3", "1.26.5-1~exp1+deb11u2", "CVE-2023-43804"
        ),
        record("RHSA-1", "Red Hat:9", "python-urllib3", "1", "CVE-2023-43804"),  # no order for it: skipped
    )
    assert index.os_releases == {"Debian:12", "Debian:11"}
    (advisory,) = index.for_os_package("Debian:12", "python-urllib3")
    assert advisory.aliases == ("CVE-2023-43804",) and advisory.ranges[0][1] == ("fixed", "1.26.12-1+deb12u1")


def owned(fixes: tuple[ChangelogFix, ...] = ()) -> Any:
    package = OSPackage(
        "dpkg", "python3-urllib3", "1.26.12-1+deb12u4", "python-urllib3", "1.26.12-1+deb12u4", "all", fixes
    )
    base = make_snapshot()
    from dataclasses import replace

    dist = replace(
        base.distributions[0], name="urllib3", canonical_name="urllib3", version="1.26.12", os_package=package
    )
    return replace(base, distributions=(dist,), distro=Distro("debian", "12"))


def upstream(id_: str, cve: str) -> Vulnerability:
    return Vulnerability("urllib3", "urllib3", "1.26.12", id_, (cve,), "1.26.17", "summary")


def test_the_distribution_s_advisory_decides_both_ways() -> None:
    snapshot = owned()
    index = index_of(
        record("DEBIAN-CVE-2023-43804", "Debian:12", "python-urllib3", "1.26.12-1+deb12u1", "CVE-2023-43804"),
        record("DEBIAN-CVE-2099-0001", "Debian:12", "python-urllib3", None, "CVE-2099-0001"),
    )
    found = judge(
        snapshot.distributions[0], [upstream("PYSEC-2023-192", "CVE-2023-43804")], snapshot.distro, index
    )
    verdicts = {v.id: (v.verdict, v.evidence) for v in found}
    assert verdicts["PYSEC-2023-192"] == (
        Verdict.FIXED_BY_DISTRIBUTION,
        "Debian:12 advisory DEBIAN-CVE-2023-43804: fixed in 1.26.12-1+deb12u1",
    )
    # What only the distribution knows is reported too: its advisory affects the installed package.
    assert verdicts["CVE-2099-0001"][0] is Verdict.VULNERABLE


def test_the_changelog_decides_when_no_advisory_does_else_not_decided() -> None:
    fixes = (
        ChangelogFix("CVE-2023-43804", "1.26.12-1+deb12u1", "Fix CVE-2023-43804: Cookie header"),
        ChangelogFix("CVE-2030-0001", "1.26.12-1+deb12u9", "a later upload the image does not have"),
    )
    snapshot = owned(fixes)
    dist = snapshot.distributions[0]
    hits = [
        upstream("PYSEC-2023-192", "CVE-2023-43804"),
        upstream("PYSEC-2030-1", "CVE-2030-0001"),
        upstream("PYSEC-2023-212", "CVE-2023-45803"),
    ]
    found = {v.id: v for v in judge(dist, hits, snapshot.distro, None)}
    assert found["PYSEC-2023-192"].verdict is Verdict.FIXED_BY_DISTRIBUTION
    assert "Cookie header" in found["PYSEC-2023-192"].evidence
    assert found["PYSEC-2030-1"].verdict is Verdict.NOT_DECIDED  # named only above the installed version
    assert found["PYSEC-2023-212"].verdict is Verdict.NOT_DECIDED
    assert "no Debian:12 advisories" in found["PYSEC-2023-212"].evidence


def test_audit_findings_of_os_package_verdicts_and_strict() -> None:
    fixes = (ChangelogFix("CVE-2023-43804", "1.26.12-1+deb12u1", "Fix CVE-2023-43804"),)
    snapshot = owned(fixes)
    index = index_of(
        pypi("PYSEC-2023-192", "CVE-2023-43804", "1.26.17"),
        pypi("PYSEC-2023-212", "CVE-2023-45803", "1.26.18"),
    )
    result = audit_offline("img", snapshot, index)
    lax = {f.rule: f for f in findings(result, snapshot, strict=False)}
    assert set(lax) == {FIXED_BY_DISTRIBUTION, NOT_DECIDED} and VULNERABILITY not in lax
    assert lax[NOT_DECIDED].severity.value == "warning"
    assert "may carry a backported fix; not decided" in lax[NOT_DECIDED].message
    assert "python3-urllib3 1.26.12-1+deb12u4" in lax[FIXED_BY_DISTRIBUTION].message
    strict = {f.rule: f for f in findings(result, snapshot, strict=True)}
    assert strict[NOT_DECIDED].severity.value == "error"


def test_diff_reports_the_same_version_from_another_os_package() -> None:
    from dataclasses import replace

    from envaudit.diff import diff_distributions
    from envaudit.findings import Labelled
    from envaudit.rules import OS_PACKAGE_CHANGED

    patched = owned()
    dist = patched.distributions[0]
    assert dist.os_package is not None
    older = replace(dist, os_package=replace(dist.os_package, version="1.26.12-1+deb12u1"))
    pip = replace(dist, os_package=None)
    for other, said in (
        (older, "OS package python3-urllib3 1.26.12-1+deb12u1 (dpkg) in b"),
        (pip, "no OS package in b"),
    ):
        (found,) = diff_distributions(
            Labelled("a", patched), Labelled("b", replace(patched, distributions=(other,)))
        )
        assert found.rule == OS_PACKAGE_CHANGED and found.message.endswith(said), found.message
    assert diff_distributions(Labelled("a", patched), Labelled("b", patched)) == []


def test_sbom_purls_and_analysis_validate_against_cyclonedx_1_6() -> None:
    import json

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from envaudit import sbom

    fixes = (ChangelogFix("CVE-2023-43804", "1.26.12-1+deb12u1", "Fix CVE-2023-43804"),)
    snapshot = owned(fixes)
    index = index_of(pypi("PYSEC-2023-192", "CVE-2023-43804", "1.26.17"))
    found = findings(audit_offline("img", snapshot, index), snapshot, strict=False)
    text = sbom.render(sbom.build([("img", snapshot)], found))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    data = json.loads(text)
    purls = {c["purl"] for c in data["components"]}
    assert purls == {
        "pkg:pypi/urllib3@1.26.12",
        "pkg:deb/debian/python3-urllib3@1.26.12-1%2Bdeb12u4?arch=all&distro=debian-12&upstream=python-urllib3",
    }
    (vuln,) = data["vulnerabilities"]
    assert vuln["analysis"] == {
        "state": "resolved",
        "detail": "changelog of python3-urllib3, 1.26.12-1+deb12u1: Fix CVE-2023-43804",
    }
