"""envaudit pin against a real venv: golden before/after files, byte-exact edits, conflicts, bad input."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.support import recipes
from tests.support.venvs import FIXTURES

pytestmark = pytest.mark.integration
PIN = FIXTURES / "pin"


def copy_case(case: str, tmp_path: Path) -> Path:
    work = tmp_path / case
    shutil.copytree(PIN / case / "input", work)
    return work


def changed_lines(before: bytes, after: bytes) -> list[str]:
    """The lines (with their endings) that differ, to prove nothing else moved."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    return [
        line.decode()
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=a, b=b).get_opcodes()
        if tag != "equal"
        for line in a[i1:i2]
    ]


def check_golden(work: Path, case: str) -> None:
    expected_dir = PIN / case / "expected"
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        rel = path.relative_to(work)
        expected = expected_dir / rel
        if os.environ.get("ENVAUDIT_UPDATE_GOLDEN"):
            expected.parent.mkdir(parents=True, exist_ok=True)
            expected.write_bytes(path.read_bytes())
        assert path.read_bytes() == expected.read_bytes(), f"{rel} differs from its golden file"


def test_requirements_files_pinned_to_the_reference(envaudit: Runner, tmp_path: Path) -> None:
    work = copy_case("requirements", tmp_path)
    before = {p.name: p.read_bytes() for p in work.glob("*.txt")}
    venv = recipes.pinned()
    dry = envaudit("pin", "requirements.txt", "--from", f"ref={venv.path}", cwd=work)
    assert dry.returncode == 1, dry.stderr  # one conflict: definitely-not-installed
    assert {p.name: p.read_bytes() for p in work.glob("*.txt")} == before  # a dry run writes nothing
    assert dry.stdout.startswith("--- a/requirements.txt\n+++ b/requirements.txt\n")
    assert "+six==1.16.0        # unpinned, with a comment that must survive\n" in dry.stdout
    assert (
        "conflict: requirements.txt:14: `definitely-not-installed>=1.0`: "
        "definitely-not-installed is not installed in ref" in dry.stderr
    )
    assert "note: requirements.txt:6: idna pinned to 3.7; its --hash options were removed" in dry.stderr

    result = envaudit("pin", "requirements.txt", "--from", f"ref={venv.path}", "--write", cwd=work)
    assert result.returncode == 1
    check_golden(work, "requirements")
    main = changed_lines(before["requirements.txt"], (work / "requirements.txt").read_bytes())
    assert [ln.split()[0] for ln in main] == [
        "six",
        "attrs",
        "idna[all]>=3,<4",
        "--hash=sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "--hash=sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "iniconfig!=1.0",
    ]
    dev = (work / "requirements-dev.txt").read_bytes()
    assert dev == b"# dev tools\r\npackaging==24.1\r\n\r\nsix==1.16.0  # Windows line endings here\r\n"
    assert (work / "constraints.txt").read_bytes() == b"idna==3.7\n"


def test_pyproject_pinned_with_tomlkit_keeping_everything_else(envaudit: Runner, tmp_path: Path) -> None:
    work = copy_case("pyproject", tmp_path)
    before = (work / "pyproject.toml").read_bytes()
    result = envaudit("pin", "pyproject.toml", "--from", str(recipes.pinned().path), "--write", cwd=work)
    assert result.returncode == 1  # missing-plugin is not installed
    check_golden(work, "pyproject")
    after = (work / "pyproject.toml").read_bytes()
    assert [ln.strip() for ln in changed_lines(before, after)] == [
        '"six",                        # unpinned',
        "'attrs >= 23',                # literal string, spaced",
        "\"idna[all]>=3; python_version >= '3.8'\",",
        'ini = ["iniconfig~=2.0"]  # inline array, comment after',
        'lint = ["six>=1.10"]',
    ]
    assert b"'attrs==23.2.0'," in after and b"\"idna[all]==3.7; python_version >= '3.8'\"" in after
    assert b'requires = ["setuptools>=69"]' in after


def test_windows_line_endings_in_pyproject(envaudit: Runner, tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[project]\r\nname = "x"\r\ndependencies = [\r\n  "six",  # c\r\n  "attrs",\r\n]\r\n')
    result = envaudit("pin", "pyproject.toml", "--from", str(recipes.pinned().path), "--write")
    assert result.returncode == 0, result.stderr
    assert (
        path.read_bytes() == b'[project]\r\nname = "x"\r\ndependencies = [\r\n'
        b'  "six==1.16.0",  # c\r\n  "attrs==23.2.0",\r\n]\r\n'
    )


def test_minimal_pins_only_what_drifted(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\nattrs>=23\nidna\niniconfig\n")
    good, drifted = recipes.pinned(), recipes.drifted()
    result = envaudit(
        "pin",
        "requirements.txt",
        "--from",
        str(good.path),
        "--minimal",
        "--against",
        str(drifted.path),
        "--format",
        "json",
    )
    data = json.loads(result.stdout)
    actions = {p["requirement"]: (p["action"], p["new"]) for p in data["proposals"]}
    assert actions["six"] == ("keep", None)  # the same 1.16.0 in both
    assert actions["attrs>=23"] == ("pin", "attrs==23.2.0")
    assert actions["idna"] == ("pin", "idna==3.7")
    assert actions["iniconfig"] == ("pin", "iniconfig==2.0.0")  # absent in the drifted one
    assert result.returncode == 0


def test_constraints_file_lists_every_distribution(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    venv = recipes.origins()
    result = envaudit(
        "pin", "requirements.txt", "--from", f"good={venv.path}", "--constraints", "constraints.txt"
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "constraints.txt").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert lines == sorted(
        f"{name}=={version}"
        for name, version in venv.pip_list().items()
        if name not in ("editable-demo", "vcs-demo")
    )
    assert text.startswith("# Constraints for pip install -c, generated by envaudit")
    assert "# editable-demo==0.3.0  (editable install: not constrained)" in text
    assert "# vcs-demo==1.0.0  (vcs install: not constrained)" in text
    assert (tmp_path / "requirements.txt").read_text() == "six\n"  # no --write: the file is untouched


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("requirements.txt", "error: requirements.txt:3: invalid requirement 'pandas': "),
        ("pyproject.toml", "error: pyproject.toml: TOML syntax error: "),
    ],
)
def test_bad_input_is_refused_with_file_and_line_and_left_untouched(
    envaudit: Runner, tmp_path: Path, name: str, message: str
) -> None:
    shutil.copy(PIN / "bad" / name, tmp_path / name)
    before = (tmp_path / name).read_bytes()
    result = envaudit("pin", name, "--from", str(recipes.pinned().path), "--write")
    assert result.returncode == 2
    assert result.stderr.startswith(message), result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / name).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_conflict_when_the_reference_violates_the_specifier(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("attrs<23\nsix\n")
    result = envaudit("pin", "requirements.txt", "--from", f"ref={recipes.pinned().path}", "--write")
    assert result.returncode == 1
    assert (
        "conflict: requirements.txt:1: `attrs<23`: ref has attrs 23.2.0, which violates `attrs<23`"
        in result.stderr
    )
    assert (tmp_path / "requirements.txt").read_text() == "attrs<23\nsix==1.16.0\n"


def test_minimal_needs_against(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    result = envaudit("pin", "requirements.txt", "--from", "local", "--minimal")
    assert result.returncode == 2 and "--minimal and --against go together" in result.stderr


def test_odd_formatting_written_elsewhere(envaudit: Runner, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        'six (>=1.0)\nattrs [tests] >= 23 ; python_version>"3.8"\nidna;python_version>"3"\n'
        "packaging>=24 --hash=sha256:abc # trailing\niniconfig\\\n>=1.0\n"
    )
    result = envaudit("pin", "requirements.txt", "--from", str(recipes.pinned().path), "--write")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "requirements.txt").read_text() == (
        'six==1.16.0\nattrs [tests]==23.2.0 ; python_version>"3.8"\nidna==3.7;python_version>"3"\n'
        "packaging==24.1 # trailing\niniconfig==2.0.0\n"
    )


def test_every_manager_s_table_pinned_keeping_every_other_byte(envaudit: Runner, tmp_path: Path) -> None:
    """PEP 621 strings in any TOML quoting, Poetry's own syntax, PDM, uv and hatch arrays: only the
    version specifier changes (the space before ';' and the quote style stay)."""
    work = copy_case("managers", tmp_path)
    before = (work / "pyproject.toml").read_bytes()
    result = envaudit("pin", "pyproject.toml", "--from", str(recipes.pinned().path), "--write", cwd=work)
    assert result.returncode == 0, result.stderr
    check_golden(work, "managers")
    after = (work / "pyproject.toml").read_bytes()
    assert len(changed_lines(before, after)) == 8
    assert b"\"six==1.16.0 ; python_version >= '3.8'\"," in after
    assert b'"""attrs==23.2.0""",' in after and b"'''idna==3.7'''," in after
    assert b'packaging = "24.1"                   # caret' in after
    assert b'iniconfig = { version = "2.0.0", markers' in after
