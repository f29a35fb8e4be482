"""OS-packaged Python judged by its OS package, on a real Debian image (Debian's own python3-requests,
python3-urllib3 1.26.12-1+deb12uN and python3-idna 3.3-1+deb12u1, through the engine and statically),
on an Alpine image archive, and the CycloneDX SBOM checked by cyclonedx-python-lib's own validator."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, require
from tests.support import images as oci
from tests.support.docker_images import FixtureImage, engine_problem, fixture_images
from tests.support.venvs import FIXTURES

pytestmark = pytest.mark.integration

ADVISORIES = FIXTURES / "advisories" / "debian-image"
UPSTREAM_ONLY = ADVISORIES / "pypi"


@pytest.fixture(scope="module")
def debian() -> FixtureImage:
    problem = engine_problem()
    require(problem is None, problem or "")
    return fixture_images()["debian-pandas"]


def both(image: FixtureImage) -> list[str]:
    """The image through the engine, and its `docker save` archive read statically."""
    return [image.target, image.archive_target]


def dpkg_truth(image: FixtureImage) -> dict[str, tuple[str, str]]:
    """What dpkg itself says in the image: package -> (version, source)."""
    out = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            image.tag,
            "dpkg-query",
            "-W",
            "-f",
            "${Package}\t${Version}\t${source:Package}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {p: (v, s) for p, v, s in (line.split("\t") for line in out.splitlines())}


def audit(envaudit: Runner, target: str, db: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = envaudit("audit", target, "--advisory-db", str(db), "--format", "json", *extra)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def by_subject(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["subject"], f["details"]["id"]): f for f in report["findings"]}


def test_distributions_are_attributed_to_their_debian_packages(
    envaudit: Runner, debian: FixtureImage
) -> None:
    truth = dpkg_truth(debian)
    for target in both(debian):
        result = envaudit("scan", target, "--format", "json")
        assert result.returncode == 0, result.stderr
        snapshot = json.loads(result.stdout)
        assert snapshot["distro"]["id"] == "debian" and snapshot["distro"]["version_id"] == "12"
        owned = {d["canonical_name"]: d["os_package"] for d in snapshot["distributions"]}
        assert all(owned.values()), owned  # every distribution of Debian's python3 is Debian's
        for name, package in (
            ("urllib3", "python3-urllib3"),
            ("idna", "python3-idna"),
            ("pandas", "python3-pandas"),
        ):
            assert owned[name]["name"] == package
            assert (owned[name]["version"], owned[name]["source"]) == truth[package], target
        assert owned["urllib3"]["source"] == "python-urllib3"
        fixed = {f["id"]: f for f in owned["urllib3"]["fixes"]}
        assert fixed["CVE-2023-43804"]["version"] == "1.26.12-1+deb12u1"
        text = " ".join(envaudit("scan", target).stdout.split())  # as wrapped to the terminal's width
        assert (
            f"urllib3 1.26.12: python3-urllib3 {truth['python3-urllib3'][0]} (dpkg, source python-urllib3"
            in text
        )


def test_backported_fixes_are_found_in_the_changelog_and_a_true_positive_stays(
    envaudit: Runner, debian: FixtureImage
) -> None:
    reports = []
    for target in both(debian):
        code, report = audit(envaudit, target, UPSTREAM_ONLY)
        found = by_subject(report)
        assert code == 0  # nothing certain to fail on: the undecided one is a warning
        for key, cve in (
            (("urllib3", "PYSEC-2023-192"), "CVE-2023-43804"),
            (("urllib3", "PYSEC-2023-212"), "CVE-2023-45803"),
            (("idna", "PYSEC-2024-60"), "CVE-2024-3651"),
        ):
            f = found[key]
            assert (f["rule"], f["severity"]) == ("EA703", "info"), f
            assert f["details"]["evidence"].startswith(f"changelog of python3-{key[0]}, ")
            assert f"Fix {cve}:" in f["details"]["evidence"]
        requests = found[("requests", "PYSEC-2023-74")]
        assert (requests["rule"], requests["severity"]) == ("EA704", "warning")
        assert "not decided" in requests["message"]
        assert (
            report["summary"]["fixed by the distribution"] == "3" and report["summary"]["not checked"] == "1"
        )
        reports.append(sorted((k, f["rule"], f["details"]["evidence"]) for k, f in found.items()))
        # --strict: not decided is unknown, and unknown fails.
        code, strict = audit(envaudit, target, UPSTREAM_ONLY, "--strict")
        assert code == 1 and by_subject(strict)[("requests", "PYSEC-2023-74")]["severity"] == "error"
    assert reports[0] == reports[1]  # the engine and the static read agree


def test_debian_s_own_advisories_decide_before_the_changelog(envaudit: Runner, debian: FixtureImage) -> None:
    reports = []
    for target in both(debian):
        code, report = audit(envaudit, target, ADVISORIES)
        found = by_subject(report)
        assert code == 1
        for id_ in ("PYSEC-2023-192", "PYSEC-2023-212"):
            f = found[("urllib3", id_)]
            assert f["rule"] == "EA703" and f["details"]["evidence"].startswith(
                "Debian:12 advisory DEBIAN-CVE-"
            )
        # No Debian record for idna: the changelog still decides.
        assert found[("idna", "PYSEC-2024-60")]["details"]["evidence"].startswith("changelog of python3-idna")
        # Debian says requests 2.28.1+dfsg-1 is affected, with no fix in Debian 12: a true positive.
        requests = found[("requests", "PYSEC-2023-74")]
        assert (requests["rule"], requests["severity"]) == ("EA701", "error")
        assert "DEBIAN-CVE-2023-32681" in requests["details"]["aliases"]
        reports.append(sorted((k, f["rule"]) for k, f in found.items()))
    assert reports[0] == reports[1]


def validate(text: str) -> dict[str, Any]:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    problem = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert problem is None, problem
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def test_cyclonedx_sbom_of_the_image_and_of_its_audit(
    envaudit: Runner, debian: FixtureImage, tmp_path: Path
) -> None:
    truth = dpkg_truth(debian)
    result = envaudit("scan", debian.archive_target, "--format", "cyclonedx-json")
    assert result.returncode == 0, result.stderr
    sbom = validate(result.stdout)
    purls = {c["purl"] for c in sbom["components"]}
    version = truth["python3-urllib3"][0].replace("+", "%2B")
    assert (
        f"pkg:deb/debian/python3-urllib3@{version}?arch=all&distro=debian-12&upstream=python-urllib3" in purls
    )
    assert "pkg:pypi/urllib3@1.26.12" in purls and "pkg:pypi/pandas@1.5.3" in purls
    assert sbom["metadata"]["component"]["type"] == "container"
    out = tmp_path / "audit.cdx.json"
    code, _ = audit(envaudit, debian.target, ADVISORIES)
    result = envaudit(
        "audit", debian.target, "--advisory-db", str(ADVISORIES), "--format", "cyclonedx-json", "-o", str(out)
    )
    assert result.returncode == code == 1, result.stderr
    vulns = {v["id"]: v for v in validate(out.read_text())["vulnerabilities"]}
    assert vulns["PYSEC-2023-192"]["analysis"]["state"] == "resolved"
    assert "DEBIAN-CVE-2023-43804" in vulns["PYSEC-2023-192"]["analysis"]["detail"]
    assert "analysis" not in vulns["PYSEC-2023-74"]  # affected: no analysis clears it
    assert vulns["PYSEC-2023-74"]["affects"] == [{"ref": "pkg:pypi/requests@2.28.1"}]


def test_the_sbom_of_several_snapshots_keeps_each_environment_apart(
    envaudit: Runner, debian: FixtureImage, tmp_path: Path
) -> None:
    saved = tmp_path / "snaps"
    assert envaudit("scan", debian.archive_target, "-o", str(tmp_path / "a.json")).returncode == 0
    result = envaudit(
        "scan", f"a={tmp_path / 'a.json'}", f"b={debian.archive_target}", "--format", "cyclonedx-json"
    )
    assert result.returncode == 0, result.stderr
    sbom = validate(result.stdout)
    refs = [c["bom-ref"] for c in sbom["components"]]
    assert (
        len(refs) == len(set(refs))
        and "a|pkg:pypi/urllib3@1.26.12" in refs
        and "b|pkg:pypi/urllib3@1.26.12" in refs
    )
    assert not saved.exists()


# --- Alpine -------------------------------------------------------------------------------------------

ALPINE_SITE = "usr/lib/python3.12/site-packages"
APK_INSTALLED = f"""\
C:Q1Tp0wFYr2ymCqiP8hS3YVdvJmzYA=
P:musl
V:1.2.5-r0
A:x86_64
o:musl
F:lib
R:ld-musl-x86_64.so.1

C:Q1idna0000000000000000000000000=
P:py3-idna
V:3.6-r0
A:noarch
o:py3-idna
F:{ALPINE_SITE}/idna-3.6.dist-info
R:METADATA

C:Q1urllib30000000000000000000000=
P:py3-urllib3
V:1.26.18-r0
A:noarch
o:py3-urllib3
F:{ALPINE_SITE}/urllib3-1.26.18.dist-info
R:METADATA
"""


def alpine_advisory(id_: str, package: str, fixed: str, cve: str) -> dict[str, Any]:
    return {
        "id": id_,
        "upstream": [cve],
        "affected": [
            {
                "package": {"ecosystem": "Alpine:v3.20", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }


def test_an_alpine_image_judged_by_alpine_s_advisories(envaudit: Runner, tmp_path: Path) -> None:
    image = oci.Image(
        layers=[
            {
                "etc/os-release": b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\n',
                "lib/ld-musl-x86_64.so.1": b"\x7fELF",
                "lib/apk/db/installed": APK_INSTALLED.encode(),
                "usr/bin/python3.12": b"\x7fELF",
                "usr/bin/python3": ("symlink", "python3.12"),
                f"{ALPINE_SITE}/idna-3.6.dist-info/METADATA": oci.metadata("idna", "3.6"),
                f"{ALPINE_SITE}/urllib3-1.26.18.dist-info/METADATA": oci.metadata("urllib3", "1.26.18"),
            }
        ],
        env=["PATH=/usr/bin:/bin"],
    )
    oci.oci_layout(tmp_path / "alpine", [image])
    target = f"oci:{tmp_path / 'alpine'}"
    snapshot = json.loads(envaudit("scan", target, "--format", "json").stdout)
    owned = {d["canonical_name"]: d["os_package"] for d in snapshot["distributions"]}
    assert owned["idna"]["name"] == "py3-idna" and owned["urllib3"]["version"] == "1.26.18-r0"
    db = tmp_path / "db"
    (db / "pypi").mkdir(parents=True)
    for name in ("PYSEC-2024-60.yaml",):
        (db / "pypi" / name).write_bytes((UPSTREAM_ONLY / name).read_bytes())
    (db / "alpine").mkdir()
    records = {
        # Alpine fixed CVE-2024-3651 in py3-idna 3.7-r0 (secfixes): 3.6-r0 is affected.
        "ALPINE-CVE-2024-3651": alpine_advisory(
            "ALPINE-CVE-2024-3651", "py3-idna", "3.7-r0", "CVE-2024-3651"
        ),
        # And an Alpine-only advisory the upstream database does not have, fixed before 1.26.18-r0.
        "ALPINE-CVE-2099-0002": alpine_advisory(
            "ALPINE-CVE-2099-0002", "py3-urllib3", "1.26.18_rc1-r0", "CVE-2099-0002"
        ),
    }
    for name, data in records.items():
        (db / "alpine" / f"{name}.json").write_text(json.dumps(data))
    code, report = audit(envaudit, target, db)
    found = {(f["subject"], f["rule"]) for f in report["findings"]}
    assert code == 1
    assert found == {("idna", "EA701")}  # vulnerable by Alpine's own record; urllib3's is fixed and silent
    (idna,) = report["findings"]
    assert "Alpine:v3.20 advisory ALPINE-CVE-2024-3651: fixed in 3.7-r0" in idna["message"]
    sbom = validate(envaudit("scan", target, "--format", "cyclonedx-json").stdout)
    assert "pkg:apk/alpine/py3-idna@3.6-r0?arch=noarch&distro=alpine-3.20.3" in {
        c["purl"] for c in sbom["components"]
    }


def test_this_host_s_system_python_agrees_with_dpkg(envaudit: Runner) -> None:
    """A host, not an image: Debian's python3 here, every ownership checked with `dpkg -S`."""
    import shutil

    python = Path("/usr/bin/python3")
    dpkg_query = shutil.which("dpkg-query")
    require(
        python.is_file() and dpkg_query is not None, "no Debian system Python (/usr/bin/python3 and dpkg)"
    )
    assert dpkg_query is not None
    result = envaudit("scan", f"python:{python}", "--format", "json")
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    owned = [d for d in snapshot["distributions"] if d["os_package"]]
    for d in snapshot["distributions"]:
        found = subprocess.run(
            ["dpkg", "-S", d["metadata_path"]], capture_output=True, text=True, check=False
        )
        owners = (
            {line.split(":")[0].split(",")[0] for line in found.stdout.splitlines()}
            if found.returncode == 0
            else set()
        )
        if d["os_package"]:
            assert d["os_package"]["name"] in owners, (d["metadata_path"], owners)
            version = subprocess.run(
                [dpkg_query, "-W", "-f", "${Version}", d["os_package"]["name"]],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert d["os_package"]["version"] == version
        else:
            assert not owners, d["metadata_path"]  # what dpkg owns is never missed
    if owned:
        assert snapshot["distro"]["id"] in ("debian", "ubuntu")
