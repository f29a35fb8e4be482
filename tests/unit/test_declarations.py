"""Every project manager's dependency tables, read as the manager reads them (Poetry by poetry-core)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.model import PinKind, RequirementKind
from envaudit.requirements import RequirementsError, read_project

LOCKS = Path(__file__).resolve().parents[2] / "fixtures" / "locks"

MIXED = """\
[project]
name = "mix"
version = "0"
dependencies = ["requests>=2", "mylib"]
dynamic = ["optional-dependencies"]

[dependency-groups]
lint = ["ruff"]
test = [{include-group = "lint"}, "pytest>=8"]

[tool.poetry.dependencies]
python = "^3.9"
numpy = "^1.26"
old = "1.2 || 1.3"
colorama = { version = "*", markers = "sys_platform == 'win32'" }
multi = [{ version = "<2", python = "<3.10" }, { version = ">=2", python = ">=3.10" }]
tiny = "~0.2.3"
wild = "2.*"
socks = { version = "^1.7", optional = true }

[tool.poetry.extras]
net = ["socks"]

[tool.poetry.group.dev.dependencies]
black = "~24.1"

[tool.pdm.dev-dependencies]
doc = ["mkdocs>=1.5", "-e ./libs/unnamed"]

[tool.uv]
dev-dependencies = ["mypy"]
constraint-dependencies = ["urllib3<2"]
override-dependencies = ["idna==3.7"]

[tool.uv.sources]
mylib = { git = "https://github.com/x/mylib", tag = "v1" }
weird = { nothing = 1 }

[tool.hatch.envs.test]
dependencies = ["coverage[toml]>=7", "{root:uri}/foo"]
extra-dependencies = ["pytest-cov"]

[tool.setuptools.dynamic]
optional-dependencies.gpu = { file = ["requirements-gpu.in"] }
"""


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(MIXED)
    (tmp_path / "requirements-gpu.in").write_text("# comment\ntorch==2.3.0\n")
    return tmp_path


def by_name(project: Path) -> dict[tuple[str, str], object]:
    declared = read_project(project)
    return {(r.name, r.group or ""): r for r in declared.requirements}


def test_every_manager_s_tables_are_read_with_lines(mixed: Path) -> None:
    declared = read_project(mixed)
    table = {(r.name, r.group): r for r in declared.requirements}
    numpy = table[("numpy", "poetry:dependencies")]
    assert (numpy.text, numpy.specifier, numpy.pin, numpy.line) == (
        'numpy = "^1.26"',
        "<2.0,>=1.26",
        PinKind.BOUNDED,
        13,
    )
    assert table[("tiny", "poetry:dependencies")].specifier == "<0.3.0,>=0.2.3"  # Poetry's tilde
    assert table[("wild", "poetry:dependencies")].specifier == "==2.*"
    assert table[("colorama", "poetry:dependencies")].marker == 'sys_platform == "win32"'
    multi = [r for r in declared.requirements if r.name == "multi"]
    assert sorted(r.specifier for r in multi) == ["<2", ">=2"] and all(r.line == 16 for r in multi)
    assert ("socks", "poetry:optional:net") in table
    assert table[("black", "poetry:group:dev")].specifier == "<24.2,>=24.1"
    assert table[("mkdocs", "pdm:dev:doc")].line == 28
    assert table[("mypy", "uv:dev")].pin is PinKind.UNPINNED
    assert table[("urllib3", "uv:constraint")].kind is RequirementKind.CONSTRAINT
    assert table[("idna", "uv:override")].kind is RequirementKind.CONSTRAINT
    assert table[("coverage", "hatch:test")].extras == ("toml",)
    assert table[("pytest-cov", "hatch:test")].line == 41
    assert table[("torch", "optional:gpu")].source == "requirements-gpu.in"
    # uv's sources: where the package comes from, so it is a URL requirement, not an unpinned one.
    mylib = table[("mylib", "dependencies")]
    assert mylib.pin is PinKind.URL and mylib.url == "git+https://github.com/x/mylib@v1"
    assert ("ruff", "group:test") in table and ("ruff", "group:lint") in table


def test_what_cannot_be_interpreted_is_an_issue_naming_the_table(mixed: Path) -> None:
    issues = {(i.code, i.path): i.message for i in read_project(mixed).issues}
    assert (
        "[tool.poetry.dependencies] old: '1.2 || 1.3' has no PEP 440 form"
        in issues[("uninterpreted-dependency", "pyproject.toml:14")]
    )
    assert "[tool.uv.sources] weird" in issues[("uninterpreted-dependency", "pyproject.toml:37")]
    assert "context formatting" in issues[("uninterpreted-dependency", "pyproject.toml:40")]
    assert "[tool.pdm.dev-dependencies.doc]" in issues[("unnamed-requirement", "pyproject.toml:28")]


def test_a_project_that_pins_nothing_is_no_longer_a_clean_bill() -> None:
    """The Poetry fixture (written for poetry lock) declares caret ranges: none of it is silent."""
    declared = read_project(LOCKS / "poetry")
    names = {r.name for r in declared.requirements if r.kind is RequirementKind.REQUIREMENT}
    assert {"requests", "rich", "colorama", "pysocks", "pytest"} <= names


def test_include_group_cycles_and_unknown_groups_are_problems(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n'
        'c = [{include-group = "z"}]\n'
    )
    with pytest.raises(RequirementsError) as caught:
        read_project(tmp_path)
    messages = " | ".join(p.message for p in caught.value.problems)
    assert "include each other" in messages and "'z', which is not a group" in messages


def test_setuptools_dynamic_file_must_be_named(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndynamic = ["dependencies"]\n'
        '[tool.setuptools.dynamic]\ndependencies = {attr = "x"}\n'
    )
    issues = read_project(tmp_path).issues
    assert [i.code for i in issues] == ["uninterpreted-dependency"]


def test_a_missing_dynamic_file_is_a_problem_naming_the_table_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndynamic = ["dependencies"]\n\n[tool.setuptools.dynamic]\n'
        'dependencies = {file = ["requirements.in"]}\n'
    )
    with pytest.raises(RequirementsError, match=r"pyproject.toml:6: requirements file not found"):
        read_project(tmp_path)


def test_pin_edits_poetry_tables_in_poetry_s_own_syntax(tmp_path: Path) -> None:
    from envaudit.pin import plan
    from envaudit.requirements import read_file
    from tests.support.snapshots import snapshot

    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.poetry.dependencies]\npython = "^3.9"\n'
        'numpy = { version = "^1.26", optional = true }  # kept\n'
        'multi = [{ version = "<2", python = "<3.10" }, { version = ">=2", python = ">=3.10" }]\n\n'
        "[tool.poetry.dev-dependencies]\nblack = '~24.1'\n"
    )
    requirements, files = read_file(path)
    reference = snapshot({"numpy": "1.26.4", "multi": "2.1", "black": "24.1.1"})
    made = plan(path, requirements, files, reference, reference_label="ref")
    after = made.edits[0].after
    assert 'numpy = { version = "1.26.4", optional = true }  # kept' in after
    assert "black = '24.1.1'" in after  # Poetry 1's dev-dependencies, its literal quoting kept
    assert [c.requirement.name for c in made.conflicts] == ["multi"]
    assert after.count("\n") == path.read_text().count("\n")
