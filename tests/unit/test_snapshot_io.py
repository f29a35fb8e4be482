from __future__ import annotations

import json
from pathlib import Path

import pytest

from envaudit import snapshot_io
from envaudit.errors import InputError
from envaudit.model import (
    SCHEMA_VERSION,
    ChangelogFix,
    Distribution,
    Distro,
    EnvVar,
    Interpreter,
    Issue,
    MetadataFormat,
    Origin,
    OriginKind,
    OSPackage,
    PinKind,
    Provenance,
    Requirement,
    RequirementKind,
    Snapshot,
)


def make_snapshot() -> Snapshot:
    return Snapshot(
        schema_version=SCHEMA_VERSION,
        provenance=Provenance("0.1.0", "local", "local", "2026-01-01T00:00:00Z", "host", "abc"),
        interpreter=Interpreter(
            requested="/usr/bin/python3",
            executable="/usr/bin/python3",
            resolved_executable="/usr/bin/python3.11",
            version="3.11.7",
            implementation="cpython",
            prefix="/usr",
            base_prefix="/usr",
            is_venv=False,
            os="Linux",
            os_release="6",
            machine="x86_64",
            libc="glibc",
            libc_version="2.36",
            markers=(("python_version", "3.11"), ("sys_platform", "linux")),
            sys_path=("/usr/lib/python3.11",),
        ),
        distributions=(
            Distribution(
                "six",
                "1.16.0",
                "six",
                "/sp",
                "/sp/six.dist-info",
                MetadataFormat.DIST_INFO,
                "pip",
                Origin(OriginKind.VCS, url="git+x", vcs="git", commit="abc"),
                ("a>1",),
                ">=3",
                os_package=OSPackage(
                    "dpkg",
                    "python3-six",
                    "1.16.0-4",
                    "six",
                    "1.16.0-4",
                    "all",
                    (ChangelogFix("CVE-2020-0001", "1.16.0-2", "Fix CVE-2020-0001"),),
                ),
            ),
        ),
        environment=(EnvVar("TOKEN", None, True, False, "hmac-sha256:00", "name"),),
        requirements=(
            Requirement("six", "six", "six", "r.txt", 1, RequirementKind.REQUIREMENT, None, PinKind.UNPINNED),
        ),
        issues=(Issue("corrupt-metadata", "bad", "/x"),),
        distro=Distro("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"),
    )


def test_round_trip_is_exact_and_stable() -> None:
    snapshot = make_snapshot()
    text = snapshot_io.dumps(snapshot)
    assert snapshot_io.loads(text, "x.json") == snapshot
    assert snapshot_io.dumps(snapshot_io.loads(text, "x.json")) == text
    data = json.loads(text)
    assert list(data) == [
        "schema_version",
        "provenance",
        "interpreter",
        "distributions",
        "shadowed",
        "environment",
        "requirements",
        "issues",
        "image",
        "probes",
        "distro",
        "imports",
        "runtime",
    ]
    assert data["interpreter"]["markers"] == {"python_version": "3.11", "sys_platform": "linux"}
    assert data["distributions"][0]["name"] == "six" and data["distributions"][0]["version"] == "1.16.0"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("interpreter"), "interpreter: missing field"),
        (lambda d: d["distributions"][0].pop("version"), "distributions[0].version: missing field"),
        (lambda d: d["distributions"][0].update(version=3), "distributions[0].version: expected a string"),
        (lambda d: d.update(schema_version=99), "unknown schema version 99"),
        (lambda d: d.pop("schema_version"), "schema_version: missing field"),
        (lambda d: d["interpreter"].update(is_venv="no"), "interpreter.is_venv: expected true or false"),
        (
            lambda d: d["distributions"][0]["origin"].update(kind="ftp"),
            "distributions[0].origin.kind: expected one of",
        ),
        (
            lambda d: d["interpreter"].update(markers=[1]),
            "interpreter.markers: expected an object of strings",
        ),
        (lambda d: d.update(distributions={}), "distributions: expected a list"),
    ],
)
def test_validation_names_the_bad_path(mutate: object, message: str) -> None:
    data = json.loads(snapshot_io.dumps(make_snapshot()))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(InputError) as caught:
        snapshot_io.loads(json.dumps(data), "snap.json")
    assert str(caught.value).startswith("snap.json: ")
    assert message in str(caught.value)


def test_not_json_and_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"snap.json: not valid JSON: .*line 1"):
        snapshot_io.loads("{nope", "snap.json")
    with pytest.raises(InputError, match="expected a JSON object"):
        snapshot_io.loads("[]", "snap.json")
    with pytest.raises(InputError, match="no such file"):
        snapshot_io.load(tmp_path / "absent.json")
