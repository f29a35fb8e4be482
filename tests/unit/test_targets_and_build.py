from __future__ import annotations

from pathlib import Path

import pytest

from envaudit.errors import TargetError, UsageError
from envaudit.model import Distribution, MetadataFormat, Origin, OriginKind
from envaudit.scan import origin_of, split_shadowed
from envaudit.targets import TargetKind, parse_target
from envaudit.targets.local import minimal_environment


@pytest.mark.parametrize(
    ("spelling", "kind", "location"),
    [
        ("local", TargetKind.LOCAL, ""),
        ("python:/usr/bin/python3", TargetKind.PYTHON, "/usr/bin/python3"),
        ("./venv", TargetKind.PYTHON, "./venv"),
        ("/opt/venv/bin/python", TargetKind.PYTHON, "/opt/venv/bin/python"),
        ("prod.json", TargetKind.SNAPSHOT, "prod.json"),
        ("docker:app:1.2", TargetKind.DOCKER, "app:1.2"),
        ("docker-archive:x.tar", TargetKind.DOCKER_ARCHIVE, "x.tar"),
        ("oci:layout", TargetKind.OCI, "layout"),
        ("oci-archive:x.tar", TargetKind.OCI_ARCHIVE, "x.tar"),
        ("ssh://me@host:2222/usr/bin/python3", TargetKind.SSH, "ssh://me@host:2222/usr/bin/python3"),
    ],
)
def test_grammar(spelling: str, kind: TargetKind, location: str) -> None:
    spec = parse_target(spelling)
    assert (spec.kind, spec.location, spec.spelling) == (kind, location, spelling)


@pytest.mark.parametrize("spelling", ["", "bogus", "python:", "docker:", "ssh://"])
def test_bad_spellings(spelling: str) -> None:
    with pytest.raises(UsageError):
        parse_target(spelling)


def test_minimal_environment_keeps_python_variables_out() -> None:
    env = minimal_environment(
        {
            "PATH": "/bin",
            "PYTHONPATH": "/leak",
            "VIRTUAL_ENV": "/v",
            "PYTHONHOME": "/h",
            "PYENV_VERSION": "3.8.18",
            "SECRET": "x",
            "HOME": "/root",
        }
    )
    assert env == {
        "PATH": "/bin",
        "HOME": "/root",
        "PYENV_VERSION": "3.8.18",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    }


@pytest.mark.parametrize(
    ("direct_url", "installer", "location", "expected"),
    [
        (None, "pip", "/sp", Origin(OriginKind.INDEX)),
        (None, None, "/sp", Origin(OriginKind.UNKNOWN)),
        (None, None, "/src", Origin(OriginKind.EDITABLE)),
        (
            {"url": "file:///src", "dir_info": {"editable": True}},
            "pip",
            "/sp",
            Origin(OriginKind.EDITABLE, "file:///src"),
        ),
        ({"url": "file:///src", "dir_info": {}}, "pip", "/sp", Origin(OriginKind.LOCAL, "file:///src")),
        (
            {"url": "https://x/a.whl", "archive_info": {}},
            "pip",
            "/sp",
            Origin(OriginKind.ARCHIVE, "https://x/a.whl"),
        ),
        (
            {
                "url": "git+file:///r",
                "vcs_info": {"vcs": "git", "commit_id": "c0ffee", "requested_revision": "main"},
            },
            "pip",
            "/sp",
            Origin(OriginKind.VCS, "git+file:///r", "git", "c0ffee", "main"),
        ),
    ],
)
def test_origin(direct_url: object, installer: str | None, location: str, expected: Origin) -> None:
    assert origin_of(direct_url, installer, location, frozenset({"/src"})) == expected


def _d(name: str, version: str, location: str) -> Distribution:
    return Distribution(
        name,
        version,
        name,
        location,
        f"{location}/{name}",
        MetadataFormat.DIST_INFO,
        "pip",
        Origin(OriginKind.INDEX),
    )


def test_first_on_sys_path_wins_and_copies_are_kept() -> None:
    active, shadowed = split_shadowed(
        [_d("six", "1.16.0", "/a"), _d("attrs", "1", "/a"), _d("six", "1.15.0", "/b")]
    )
    assert [(d.name, d.version) for d in active] == [("six", "1.16.0"), ("attrs", "1")]
    assert [(d.version, d.shadowed_by) for d in shadowed] == [("1.15.0", "/a")]


def _fake_venv(folder: Path) -> Path:
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python3"
    python.write_text("")
    python.chmod(0o755)
    return python


def test_local_is_the_app_s_environment_never_envaudit_s_own(tmp_path: Path) -> None:
    import sys

    from envaudit.targets.local import active_interpreter

    own = {"VIRTUAL_ENV": sys.prefix, "PATH": f"{sys.prefix}/bin"}
    app = _fake_venv(tmp_path / "app-venv")
    # An activated venv that is not envaudit's is the app's.
    chosen, why = active_interpreter("local", {"VIRTUAL_ENV": str(tmp_path / "app-venv")}, tmp_path)
    assert (chosen, why) == (
        str(app),
        f"the active virtual environment ($VIRTUAL_ENV={tmp_path / 'app-venv'})",
    )
    # Under a tool runner ($VIRTUAL_ENV is envaudit's own venv): the project's .venv, then venv.
    project = _fake_venv(tmp_path / "venv")
    assert active_interpreter("local", own, tmp_path) == (
        str(project),
        "the project's venv ($VIRTUAL_ENV is envaudit's own)",
    )
    dotvenv = _fake_venv(tmp_path / ".venv")
    assert active_interpreter("local", own, tmp_path)[0] == str(dotvenv)
    # No project venv: python3 on PATH, skipping envaudit's own bin folder.
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(TargetError, match=r"no python3 on PATH \(\$VIRTUAL_ENV is envaudit's own\)"):
        active_interpreter("local", own, elsewhere)
    other = _fake_venv(tmp_path / "other")
    path = {**own, "PATH": f"{sys.prefix}/bin:{other.parent}"}
    assert active_interpreter("local", path, elsewhere) == (
        str(other),
        "python3 on PATH ($VIRTUAL_ENV is envaudit's own)",
    )
