"""The CI recipes the docs give are what GitHub and GitLab accept (their published schemas, through
check-jsonschema's vendored copies: no network), and the gate they run writes every report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "ci"
CHECK = str(Path(sys.executable).parent / "check-jsonschema")
SCHEMAS = {"github-actions.yml": "vendor.github-workflows", "gitlab-ci.yml": "vendor.gitlab-ci"}


def check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHECK, "--builtin-schema", schema, str(path)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_recipe_is_valid_for_its_ci(name: str) -> None:
    result = check(SCHEMAS[name], RECIPES / name)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_the_check_refuses_a_broken_recipe(name: str, tmp_path: Path) -> None:
    broken = tmp_path / name
    broken.write_text((RECIPES / name).read_text().replace("script:", "scripts:").replace("steps:", "stepz:"))
    assert check(SCHEMAS[name], broken).returncode != 0


def test_the_recipes_write_every_report_from_one_gate_run() -> None:
    github = (RECIPES / "github-actions.yml").read_text()
    assert github.count("envaudit gate") == 1 and "security-events: write" in github
    for fmt, path in (("sarif", "envaudit.sarif"), ("markdown", "envaudit.md"), ("junit", "envaudit.xml")):
        assert f"--format {fmt} -o {path}" in github
    assert "pip install envaudit" not in github + (RECIPES / "gitlab-ci.yml").read_text()
