"""The in-target scripts run on every interpreter the machine has (pyenv carries 3.8 to 3.13), and
the metadata reader gives the same answer in each of them as in envaudit itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

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
def test_the_probe_runner_runs_and_says_when_there_is_no_pandas(version: str) -> None:
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
    assert not probes.applicable and "pandas" in probes.reason
