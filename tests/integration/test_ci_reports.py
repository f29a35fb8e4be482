"""Reports as CI reads them, end to end through the CLI: every format agrees with the exit code and
names the targets that could not be scanned; SARIF paths are the repository's, the probe's def line."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from envaudit.report import FINDINGS_FORMATS, ReportFormat
from tests.conftest import Runner
from tests.support import recipes

pytestmark = pytest.mark.integration

DEAD = "python:/no/such/python"


@pytest.mark.parametrize("fmt", FINDINGS_FORMATS)
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


def test_one_run_writes_several_formats(envaudit: Runner, tmp_path: Path) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    sarif, md = tmp_path / "a.sarif", tmp_path / "b.md"
    args = ("diff", str(base.path), str(drift.path))
    result = envaudit(*args, "--format", "sarif", "-o", str(sarif), "--format", "markdown", "-o", str(md))
    assert result.returncode == 1, result.stderr
    assert json.loads(sarif.read_text())["runs"][0]["results"] and md.read_text().startswith(
        "### envaudit diff"
    )
    result = envaudit(*args, "--output-dir", str(tmp_path / "reports"))
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "envaudit-diff.html",
        "envaudit-diff.json",
        "envaudit-diff.md",
        "envaudit-diff.sarif",
        "envaudit-diff.txt",
        "envaudit-diff.xml",
    ]


def test_formats_without_their_outputs_are_refused_before_any_scan(envaudit: Runner) -> None:
    result = envaudit("diff", DEAD, DEAD, "--format", "sarif", "--format", "junit", "-o", "x.xml")
    assert result.returncode == 2
    assert "2 --format and 1 -o: with several, give each --format its -o" in result.stderr
    assert "no such interpreter" not in result.stderr  # refused before scanning anything


@pytest.mark.parametrize("command", ["scan", "diff"])
def test_colour_follows_force_color_and_no_color_and_pipes_have_no_padding(
    envaudit: Runner, command: str
) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    args = (command, f"python:{base.path}") + ((f"python:{drift.path}",) if command == "diff" else ())
    plain = envaudit(*args, env={"FORCE_COLOR": "", "NO_COLOR": ""}).stdout  # whatever the CI sets
    assert "\x1b[" not in plain and plain.strip()
    assert not [line for line in plain.splitlines() if line != line.rstrip()], "trailing spaces in piped text"
    assert "\x1b[" in envaudit(*args, env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in envaudit(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
