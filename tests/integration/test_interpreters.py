"""The in-target scripts run on every interpreter the machine has (pyenv carries 3.8 to 3.13), and
the metadata reader gives the same answer in each of them as in envaudit itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from envaudit.inprocess import metadata
from envaudit.scan import parse_scanner_output
from envaudit.targets.scripts import INPROCESS, scanner_script
from tests.conftest import require
from tests.unit.test_metadata_reader import ODD, write_site

VERSIONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
PYENV = Path("/root/.pyenv/versions")


def interpreter(version: str) -> Path:
    # The real binary, not a pyenv shim: a shim for a non-global version refuses to run.
    found = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
    require(bool(found), f"no Python {version} under {PYENV} (pyenv install {version})")
    return found[-1]


def run(python: Path, script: str, *args: str) -> str:
    proc = subprocess.run(
        [str(python), "-I", "-", *args],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("version", VERSIONS)
def test_the_scanner_runs(version: str) -> None:
    python = interpreter(version)
    raw = parse_scanner_output(run(python, scanner_script()), "t")
    assert raw["interpreter"]["version"].startswith(version + ".")
    assert any(d["canonical_name"] == "pip" for d in raw["distributions"]) or raw["distributions"] == []


@pytest.mark.parametrize("version", VERSIONS)
def test_the_metadata_reader_agrees_with_envaudit_s_own(version: str, tmp_path: Path) -> None:
    python = interpreter(version)
    site = write_site(tmp_path, {k: v for case in ODD.values() for k, v in case.items()})
    tail = (
        "\nimport json, sys\nissues = []\n"
        "dists, _ = scan_distributions([sys.argv[1]], issues)\n"
        "print(json.dumps([dists, issues]))\n"
    )
    there = json.loads(run(python, (INPROCESS / "metadata.py").read_text() + tail, str(site)))
    issues: list[dict[str, object]] = []
    here, _ = metadata.scan_distributions([str(site)], issues)
    assert there == [here, issues]
    assert len(here) >= 5 and issues  # the odd cases gave both distributions and issues


@pytest.mark.parametrize("version", VERSIONS)
def test_the_probe_runner_runs_and_says_which_suites_could_not(version: str) -> None:
    from envaudit.inprocess.probe_runner import MARKER
    from envaudit.probe.run import ProbeOptions, finish, runner_args, runner_script

    python = interpreter(version)
    options = ProbeOptions()
    out = run(python, runner_script(options), *runner_args(options))

    class Done:
        requested = str(python)

        def result(self) -> str:
            return out

        def kill(self) -> None:
            pass

    assert MARKER in out
    probes = finish(Done(), "t")
    # These interpreters have no pandas (some have numpy): each suite that could not run says why.
    assert probes.suite_state("pandas") is not True
    for suite in probes.suites:
        assert suite.ran or "is not installed here" in suite.reason or "cannot be imported" in suite.reason
    if not probes.applicable:
        assert "numpy" in probes.reason and not probes.cases


@pytest.mark.parametrize("version", VERSIONS)
def test_the_os_package_reader_agrees_with_envaudit_s_own(version: str, tmp_path: Path) -> None:
    from envaudit.inprocess import ospackages
    from tests.unit.test_os_packages import APK_DB, Rooted, debian_root

    python = interpreter(version)
    debian_root(tmp_path)
    (tmp_path / "lib/apk/db").mkdir(parents=True)
    (tmp_path / "lib/apk/db/installed").write_text(APK_DB)
    paths = [
        "/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info",
        "/usr/lib/python3.12/site-packages/six-1.16.0.egg-info",
        "/usr/local/lib/python3.11/dist-packages/pip-24.0.dist-info",
    ]
    tail = (
        "\nimport json, sys\n"
        "class Rooted(OSFiles):\n"
        "    def read(self, path, limit):\n"
        "        return OSFiles.read(self, sys.argv[1] + path, limit)\n"
        "    def listdir(self, folder):\n"
        "        return OSFiles.listdir(self, sys.argv[1] + folder)\n"
        "dists = [{'metadata_path': p} for p in json.loads(sys.argv[2])]\n"
        "issues = []\n"
        "distro = attribute_os_packages(Rooted(), dists, issues)\n"
        "print(json.dumps([distro, dists, issues]))\n"
    )
    script = (INPROCESS / "metadata.py").read_text() + (INPROCESS / "ospackages.py").read_text().replace(
        "from __future__ import annotations\n", ""
    )
    there = json.loads(run(python, script + tail, str(tmp_path), json.dumps(paths)))
    dists: list[dict[str, Any]] = [{"metadata_path": p} for p in paths]
    issues: list[dict[str, str]] = []
    distro = ospackages.attribute_os_packages(Rooted(tmp_path), dists, issues)
    assert there == [distro, dists, issues]
    assert dists[0]["os_package"]["name"] == "python3-urllib3" and dists[1]["os_package"]["name"] == "py3-six"
    assert dists[0]["os_package"]["fixes"] and "os_package" not in dists[2]
