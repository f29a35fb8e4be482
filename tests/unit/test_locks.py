"""Lock files read as their tools read them, on locks the real tools wrote (fixtures/locks/README.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from envaudit.errors import InputError
from envaudit.locks import read
from envaudit.locks.hashed import is_hashed_lock
from envaudit.locks.pipfile import pipfile_hash
from envaudit.locks.poetry import content_hash
from envaudit.model import RequirementKind
from envaudit.requirements import read_project

LOCKS = Path(__file__).resolve().parents[2] / "fixtures" / "locks"
UV = Path(sys.executable).parent / "uv"


def markers(python: str, platform: str = "linux") -> dict[str, str]:
    system = {"linux": "Linux", "win32": "Windows", "darwin": "Darwin"}[platform]
    return {
        "implementation_name": "cpython",
        "implementation_version": python,
        "os_name": "nt" if platform == "win32" else "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": system,
        "platform_version": "",
        "python_full_version": python,
        "python_version": ".".join(python.split(".")[:2]),
        "sys_platform": platform,
    }


ENVIRONMENTS = [markers("3.8.18"), markers("3.11.7"), markers("3.13.1", "win32"), markers("3.12.0", "darwin")]


def lock(path: Path):  # type: ignore[no-untyped-def]
    return read(path.read_bytes(), path.name, path.name)


def pairs(packages) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(p.canonical_name, p.version) for p in packages}


@pytest.mark.parametrize(
    "environment", ENVIRONMENTS, ids=lambda m: f"{m['python_version']}-{m['sys_platform']}"
)
def test_uv_lock_resolves_as_uv_exports_it(environment: dict[str, str]) -> None:
    """uv's own export of the same lock (all extras, the dev group) is the oracle: the graph walk over
    uv.lock must select exactly the packages and versions whose pylock.toml markers hold there."""
    uv_lock = lock(LOCKS / "uv" / "uv.lock")
    exported = lock(LOCKS / "uv" / "pylock.toml")
    assert pairs(uv_lock.resolve(environment)) == pairs(exported.resolve(environment))
    assert pairs(uv_lock.resolve(environment))  # not vacuous


def test_uv_lock_forks_and_markers() -> None:
    uv_lock = lock(LOCKS / "uv" / "uv.lock")
    old = {p.canonical_name: p for p in uv_lock.resolve(markers("3.8.18"))}
    new = {p.canonical_name: p for p in uv_lock.resolve(markers("3.11.7"))}
    windows = {p.canonical_name: p for p in uv_lock.resolve(markers("3.11.7", "win32"))}
    assert "tomli" in old and "tomli" not in new  # tomli ; python_version < '3.11'
    assert old["idna"].version != new["idna"].version  # a fork: idna dropped Python 3.8
    assert "colorama" in windows and "colorama" not in new
    assert new["attrs"].required and not new["iniconfig"].required and not new["pysocks"].required
    assert new["iniconfig"].group == "group:dev" and new["pysocks"].group == "optional:socks"
    assert "lockdemo" not in new  # a virtual project (package = false) is never installed
    text = (LOCKS / "uv" / "uv.lock").read_text().splitlines()
    assert text[new["attrs"].line - 1] == 'name = "attrs"'


def test_uv_export_of_the_committed_lock_is_the_committed_export(tmp_path: Path) -> None:
    """The committed pylock.toml is what today's uv makes of the committed uv.lock (real client, offline)."""
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(LOCKS / "uv" / name, tmp_path / name)
    subprocess.run(
        [
            str(UV),
            "export",
            "--frozen",
            "--quiet",
            "--format",
            "pylock.toml",
            "--all-extras",
            "-o",
            "pylock.toml",
        ],
        cwd=tmp_path,
        check=True,
    )
    fresh = lock(tmp_path / "pylock.toml")
    for environment in ENVIRONMENTS:
        assert pairs(fresh.resolve(environment)) == pairs(lock(LOCKS / "uv" / "uv.lock").resolve(environment))


def test_poetry_lock_groups_extras_and_markers() -> None:
    poetry = {p.canonical_name: p for p in lock(LOCKS / "poetry" / "poetry.lock").resolve(markers("3.11.7"))}
    assert poetry["requests"].required and poetry["rich"].version.startswith("13.7")
    assert poetry["pytest"].group == "group:dev" and poetry["pysocks"].group == "optional:socks"
    assert "colorama" not in poetry  # sys_platform == "win32"
    windows = {
        p.canonical_name for p in lock(LOCKS / "poetry" / "poetry.lock").resolve(markers("3.11.7", "win32"))
    }
    assert "colorama" in windows
    old = {p.canonical_name for p in lock(LOCKS / "poetry" / "poetry.lock").resolve(markers("3.9.1"))}
    assert "exceptiongroup" in old and "exceptiongroup" not in poetry


def test_pipfile_lock_default_and_develop() -> None:
    pipenv = {p.canonical_name: p for p in lock(LOCKS / "pipenv" / "Pipfile.lock").resolve(markers("3.11.7"))}
    assert pipenv["requests"].required and pipenv["pytest"].group == "group:develop"
    assert "colorama" not in pipenv
    windows = lock(LOCKS / "pipenv" / "Pipfile.lock").resolve(markers("3.11.7", "win32"))
    assert any(p.canonical_name == "colorama" and p.version == "" for p in windows)  # locked as "*"


@pytest.mark.parametrize(
    ("folder", "lock_name", "project_file"),
    [
        ("uv", "uv.lock", "pyproject.toml"),
        ("poetry", "poetry.lock", "pyproject.toml"),
        ("poetry-pep621", "poetry.lock", "pyproject.toml"),
        ("pipenv", "Pipfile.lock", "Pipfile"),
    ],
)
def test_staleness_fresh_then_stale(tmp_path: Path, folder: str, lock_name: str, project_file: str) -> None:
    shutil.copytree(LOCKS / folder, tmp_path / folder)
    project = tmp_path / folder
    declared = read_project(project)
    assert not [i for i in declared.issues if i.code == "lock-stale"], "the tool's own lock is fresh"
    text = (project / project_file).read_text()
    if project_file == "Pipfile":
        text = text.replace('requests = ">=2.31"', 'requests = ">=2.32"')
    elif "[project]" in text:
        text = text.replace('"idna"', '"idna>=3.10"', 1)
    else:
        text = text.replace('requests = "^2.31"', 'requests = "^2.32"')
    assert text != (project / project_file).read_text()
    (project / project_file).write_text(text)
    stale = [i for i in read_project(project).issues if i.code == "lock-stale"]
    assert [i.path for i in stale] == [lock_name]


def test_content_hashes_are_the_tools_own() -> None:
    for folder in ("poetry", "poetry-pep621"):
        recorded = tomllib.loads((LOCKS / folder / "poetry.lock").read_text())["metadata"]["content-hash"]
        assert content_hash(tomllib.loads((LOCKS / folder / "pyproject.toml").read_text())) == recorded
    recorded = json.loads((LOCKS / "pipenv" / "Pipfile.lock").read_text())
    assert (
        pipfile_hash(tomllib.loads((LOCKS / "pipenv" / "Pipfile").read_text()))
        == recorded["_meta"]["hash"]["sha256"]
    )


def test_pylock_and_hashed_requirements_cannot_tell_staleness(tmp_path: Path) -> None:
    shutil.copy(LOCKS / "uv" / "pylock.toml", tmp_path / "pylock.toml")
    shutil.copy(LOCKS / "pip-compile" / "requirements.txt", tmp_path / "requirements.txt")
    declared = read_project(tmp_path)
    assert sorted(lk.format for lk in declared.locks) == ["hashed requirements", "pylock.toml"]
    assert sorted(str(i.path) for i in declared.issues if i.code == "lock-freshness-unknown") == [
        "pylock.toml",
        "requirements.txt",
    ]


def test_hashed_requirements_are_a_lock_only_when_every_line_is_hashed() -> None:
    declared = read_project(LOCKS / "pip-compile")
    installed = [r for r in declared.requirements if r.kind is RequirementKind.REQUIREMENT]
    assert is_hashed_lock(installed)
    assert not is_hashed_lock([*installed[:1], *(replace(r, hashes=()) for r in installed[1:])])


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("uv.lock", b"version = [", "TOML syntax error"),
        ("uv.lock", b"version = 2\n", "newer than envaudit reads"),
        ("uv.lock", b'version = 1\n[[package]]\nname = "bad name!"\n', "not a valid package name"),
        ("uv.lock", b"version = 1\npackage = 3\n", "must be an array of tables"),
        ("pylock.toml", b'lock-version = "2.0"\n', "is not one envaudit reads"),
        ("pylock.toml", b"[[packages]]\n", "no lock-version"),
        ("pylock.toml", b'lock-version = "1.0"\n[[packages]]\nname = 1\n', "must be a string"),
        ("poetry.lock", b"\xff\xfe", "not UTF-8"),
        ("poetry.lock", b'[metadata]\nlock-version = "9.0"\n', "newer than envaudit reads"),
        ("Pipfile.lock", b"{", "not JSON"),
        ("Pipfile.lock", b"[]", "not a Pipfile.lock"),
    ],
)
def test_bad_locks_are_input_errors_naming_the_file(name: str, content: bytes, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        lock_obj = read(content, f"dir/{name}", name)
        lock_obj.resolve(markers("3.11.7"))
    assert caught.value.path == f"dir/{name}" and problem in caught.value.problem


def test_a_bad_pipfile_lock_entry_is_an_input_error() -> None:
    bad = read(b'{"default": {"ok": {"version": "==1"}, "bad name": {}}}', "Pipfile.lock", "Pipfile.lock")
    with pytest.raises(InputError, match="not a package entry"):
        bad.resolve(markers("3.11.7"))


def test_pin_lock_takes_only_this_version_s_files_with_hashes_from_the_index() -> None:
    """A hostile or odd index page: other versions, other names, bad hashes and URLs are never taken."""
    from envaudit.pylock import lock_of
    from tests.support.snapshots import snapshot as make_snapshot

    good = "a" * 64
    page = {
        "files": [
            {
                "filename": "six-1.16.0-py2.py3-none-any.whl",
                "url": "https://f/six-1.16.0-py2.py3-none-any.whl",
                "hashes": {"sha256": good},
                "size": 11,
            },
            {
                "filename": "six-1.17.0-py2.py3-none-any.whl",
                "url": "https://f/six-1.17.0.whl",
                "hashes": {"sha256": good},
            },
            {"filename": "six-1.16.0.tar.gz", "url": "file:///etc/passwd", "hashes": {"sha256": good}},
            {
                "filename": "evil-1.16.0.tar.gz",
                "url": "https://f/evil-1.16.0.tar.gz",
                "hashes": {"sha256": good},
            },
            {"filename": "six-1.16.0.zip", "url": "https://f/six-1.16.0.zip", "hashes": {"sha256": "short"}},
            "not a file",
        ]
    }
    snapshot = make_snapshot({"six": "1.16.0", "gone": "2.0"})
    locked = lock_of(snapshot, label="ref", fetch=lambda name: page if name == "six" else {"files": []})
    parsed = tomllib.loads(locked.text)
    six = next(p for p in parsed["packages"] if p["name"] == "six")
    assert [w["url"] for w in six["wheels"]] == ["https://f/six-1.16.0-py2.py3-none-any.whl"]
    assert "sdist" not in six
    assert locked.unvouched == ("gone 2.0: the index publishes no file of gone 2.0",)
    assert read(locked.text.encode(), "pylock.toml", "pylock.toml").resolve(markers("3.11.7"))


def test_locks_of_a_project_inside_an_image_are_read_there() -> None:
    """``--project /app`` of an image: the folder's files, copied out, include its locks (and Pipfile)."""
    from envaudit.inprocess.scanner import PROJECT_NAMES, PROJECT_SUFFIXES
    from envaudit.requirements import read_project_files
    from envaudit.targets.image.layers import Keep

    files = {name: (LOCKS / "uv" / name).read_text() for name in ("pyproject.toml", "uv.lock")}
    files["Pipfile"] = (LOCKS / "pipenv" / "Pipfile").read_text()
    files["Pipfile.lock"] = (LOCKS / "pipenv" / "Pipfile.lock").read_text()
    declared = read_project_files(files, "docker:app:/app")
    assert sorted(lock.format for lock in declared.locks) == ["Pipfile.lock", "uv.lock"]
    assert not [i for i in declared.issues if i.code == "lock-stale"]  # the Pipfile came along
    keep = Keep(project="app")
    assert all(keep.project_file(f"app/{name}") for name in files)
    assert all(name.endswith(PROJECT_SUFFIXES) or name in PROJECT_NAMES for name in files)
