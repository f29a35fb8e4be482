"""Reports as CI reads them, end to end through the CLI: every format agrees with the exit code and
names the targets that could not be scanned; SARIF paths are the repository's, the probe's def line."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from envaudit.report import ReportFormat
from tests.conftest import Runner
from tests.support import recipes

pytestmark = pytest.mark.integration

DEAD = "python:/no/such/python"


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_every_format_names_a_dead_target_and_the_run_fails(
    envaudit: Runner, tmp_path: Path, fmt: ReportFormat
) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    out = tmp_path / f"report.{fmt.value}"
    result = envaudit("diff", str(base.path), str(drift.path), DEAD, "--format", fmt.value, "-o", str(out))
    assert result.returncode == 3, result.stderr
    text = out.read_text()
    assert DEAD in text
    if fmt is ReportFormat.SARIF:
        assert json.loads(text)["runs"][0]["invocations"][0]["executionSuccessful"] is False
    if fmt is ReportFormat.JUNIT:
        assert ET.fromstring(text).get("errors") == "1"


def test_junit_failures_follow_fail_on(envaudit: Runner, tmp_path: Path) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    for fail_on, code in (("never", 0), ("info", 1)):
        result = envaudit("diff", str(base.path), str(drift.path), "--format", "junit", "--fail-on", fail_on)
        assert result.returncode == code, result.stderr
        failures = int(ET.fromstring(result.stdout).get("failures", "-1"))
        assert (failures == 0) == (fail_on == "never")


def test_sarif_paths_are_relative_to_the_repository(envaudit: Runner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = repo / "services" / "api"
    project.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (project / "requirements.txt").write_text("attrs>=23\nidna\npackaging==24.1\n")
    base, drift = recipes.pinned(), recipes.drifted()
    args = ("diff", str(base.path), str(drift.path), "--format", "sarif", "--project", str(project))
    results = json.loads(envaudit(*args).stdout)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"services/api/requirements.txt"}, uris
    located = json.loads(envaudit(*args, "--repo-root", str(repo / "services")).stdout)["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in located} == {
        "api/requirements.txt"
    }
