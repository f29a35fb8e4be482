"""diff and gate end to end, on real venvs that differ in a few known versions."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import Runner
from tests.support import recipes
from tests.support.venvs import FIXTURES

pytestmark = pytest.mark.integration


def test_diff_names_each_change_with_its_level(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("attrs>=23\nidna\npackaging==24.1\n")
    base, drift = recipes.pinned(), recipes.drifted()
    result = envaudit("diff", f"dev={base.path}", f"prod={drift.path}", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    got = {
        (f["subject"], f["rule"], dict(f["details"]).get("level"))
        for f in data["findings"]
        if f["check"] == "distributions"
    }
    assert got == {
        ("attrs", "EA103", "major"),
        ("idna", "EA104", "minor"),
        ("packaging", "EA108", "downgrade"),
        ("iniconfig", "EA102", None),
        ("tomli", "EA101", None),
    }
    causes = {
        f["subject"]: f["details"].get("cause") for f in data["findings"] if f["check"] == "distributions"
    }
    assert causes["attrs"] == "allowed because `attrs>=23` in requirements.txt:1 is lower-bound-only"
    assert causes["idna"] == "allowed because `idna` in requirements.txt:2 is unpinned"
    assert causes["packaging"] == "violates `packaging==24.1` in requirements.txt:3 here"
    unsatisfied = [f for f in data["findings"] if f["rule"] == "EA401"]
    assert [(f["subject"], f["location"]) for f in unsatisfied] == [
        ("packaging", {"path": "requirements.txt", "line": 3})
    ]
    text = envaudit("diff", f"dev={base.path}", f"prod={drift.path}")
    assert "attrs 23.2.0 → 24.2.0 (major)" in text.stdout
    assert text.stdout.strip().splitlines()[-1].startswith("summary: ")


def test_same_venv_against_itself_exits_0(envaudit: Runner) -> None:
    venv = recipes.pinned()
    result = envaudit("diff", str(venv.path), f"python:{venv.python}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no differences found" in result.stdout


def test_live_and_saved_mixed_and_every_format_parses(envaudit: Runner, tmp_path: Path) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    assert envaudit("scan", str(base.path), "-o", "base.json").returncode == 0
    schema = json.loads((FIXTURES / "schemas" / "sarif-2.1.0.json").read_text())
    outputs = {}
    for fmt in ("text", "json", "markdown", "sarif", "junit"):
        result = envaudit("diff", "base.json", str(drift.path), "--format", fmt, "-o", f"report.{fmt}")
        assert result.returncode == 1, result.stderr
        outputs[fmt] = (tmp_path / f"report.{fmt}").read_text()
    jsonschema.Draft4Validator(schema).validate(json.loads(outputs["sarif"]))
    assert json.loads(outputs["json"])["command"] == "diff"
    assert ET.fromstring(outputs["junit"]).findall(".//failure")
    assert outputs["markdown"].startswith("### envaudit diff")
    assert "summary:" in outputs["text"]


def test_many_environments_give_a_matrix(envaudit: Runner) -> None:
    base, drift, other = recipes.pinned(), recipes.drifted(), recipes.system_site()
    result = envaudit(
        "diff", f"a={base.path}", f"b={drift.path}", f"c={base.path}", f"d={other.path}", "--format", "json"
    )
    data = json.loads(result.stdout)
    rows = {r["package"]: r for r in data["matrix"]}
    assert rows["attrs"]["versions"][:3] == ["23.2.0", "24.2.0", "23.2.0"]
    assert "b" in rows["attrs"]["outliers"] and "a" not in rows["attrs"]["outliers"]


def test_a_dead_target_does_not_hide_the_others(envaudit: Runner) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    result = envaudit("diff", str(base.path), str(drift.path), "python:/no/such/python", "--format", "json")
    assert result.returncode == 3
    assert "python:/no/such/python" in result.stderr
    assert json.loads(result.stdout)["findings"]


GATE_CONFIG = """\
[tool.envaudit.gate]
baseline = "base.json"
target = "python:{target}"
fail_on = "warning"
allow_drift = ["minor"]

[[tool.envaudit.gate.ignore]]
package = "attrs"
reason = "attrs 24 was checked by hand"
expires = 2020-01-01

[[tool.envaudit.gate.ignore]]
package = "packaging"
reason = "packaging 24.0 is what the image ships"
expires = 2999-12-31

[[tool.envaudit.gate.ignore]]
rule = "EA101"
reason = "new tools are fine"
"""


def test_gate_honours_config_with_an_expired_ignore(envaudit: Runner, tmp_path: Path) -> None:
    base, drift = recipes.pinned(), recipes.drifted()
    assert envaudit("scan", str(base.path), "-o", "base.json").returncode == 0
    (tmp_path / "pyproject.toml").write_text(GATE_CONFIG.format(target=drift.python))
    result = envaudit("gate", "--format", "json")
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)["verdict"]
    assert {(f["subject"], f["rule"]) for f in verdict["failing"]} == {
        ("attrs", "EA103"),
        ("iniconfig", "EA102"),
    }
    assert any("attrs" in n and "expired on 2020-01-01" in n for n in verdict["notes"])
    reasons = {s["finding"]["subject"]: s["reason"] for s in verdict["suppressed"]}
    assert reasons["idna"] == "minor drift is allowed (allow_drift)"
    assert reasons["packaging"].startswith("ignored until 2999-12-31")
    text = envaudit("gate")
    assert "gate FAILED" in text.stdout and "✓" in text.stdout and "expired on 2020-01-01" in text.stdout
    flags = envaudit("gate", "--fail-on", "never")
    assert flags.returncode == 0


def test_gate_passes_when_nothing_drifted(envaudit: Runner, tmp_path: Path) -> None:
    base = recipes.pinned()
    assert envaudit("scan", str(base.path), "-o", "base.json").returncode == 0
    result = envaudit("gate", "--baseline", "base.json", "--target", str(base.path))
    assert result.returncode == 0, result.stdout
    assert "gate PASSED" in result.stdout


def test_gate_bad_config_exit_2_naming_the_key(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.envaudit.gate]\nbaseline = "b.json"\nfail_on = 3\n')
    result = envaudit("gate")
    assert result.returncode == 2
    assert (
        result.stderr.startswith("error: ")
        and "tool.envaudit.gate.fail_on: expected a string" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_gate_unreachable_target_exit_3(envaudit: Runner, tmp_path: Path) -> None:
    result = envaudit("gate", "--baseline", "python:/nope/python", "--target", str(recipes.pinned().path))
    assert result.returncode == 3
    assert "error: python:/nope/python: no such interpreter" in result.stderr


def test_gate_without_baseline_is_a_usage_error(envaudit: Runner) -> None:
    result = envaudit("gate")
    assert result.returncode == 2
    assert "error: the gate needs a baseline" in result.stderr and "tip:" in result.stderr
