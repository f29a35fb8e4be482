from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from envaudit.model import (
    Distribution,
    MetadataFormat,
    Origin,
    OriginKind,
    PinKind,
    RequirementKind,
    RequirementStatus,
)
from envaudit.requirements import RequirementsError, check_all, classify, logical_lines, read_project


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("==1.2", PinKind.PINNED),
        ("===1.2", PinKind.PINNED),
        ("==1.*", PinKind.BOUNDED),
        ("~=1.2", PinKind.BOUNDED),
        (">=1,<2", PinKind.BOUNDED),
        ("<2", PinKind.BOUNDED),
        (">=1", PinKind.LOWER_BOUND_ONLY),
        (">1,!=1.5", PinKind.LOWER_BOUND_ONLY),
        ("", PinKind.UNPINNED),
        ("!=1.5", PinKind.UNPINNED),
    ],
)
def test_classify(spec: str, kind: PinKind) -> None:
    assert classify(SpecifierSet(spec), None) is kind


def test_logical_lines_join_continuations_and_strip_comments() -> None:
    text = "a==1 \\\n  --hash=sha256:abc # trailing\n# whole line\n\nb#not-a-comment\n"
    lines = logical_lines(text)
    assert [(ln.lineno, ln.text) for ln in lines] == [
        (1, "a==1   --hash=sha256:abc"),  # pip joins the lines as they are, indentation included
        (4 + 1, "b#not-a-comment"),
    ]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_requirements_files_with_includes_options_markers_hashes_urls(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        """\
--index-url https://pypi.example/simple
-r requirements/base.txt
-c constraints.txt
pandas>=1.5  # loose on purpose
numpy==1.26.4 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
requests[socks,security]<3; python_version >= "3.8"
vcs-thing @ git+https://example.invalid/vcs-thing.git@v1
-e ./local_pkg
https://example.invalid/wheels/wheelpkg-2.0-py3-none-any.whl
""",
    )
    write(tmp_path / "requirements" / "base.txt", "six\n-r ../requirements.txt\n")
    write(tmp_path / "constraints.txt", "urllib3<3\n")
    write(tmp_path / "local_pkg" / "pyproject.toml", '[project]\nname = "local-pkg"\nversion = "0"\n')
    declared = read_project(tmp_path)
    reqs, issues = declared.requirements, declared.issues
    assert not issues
    table = {(r.name, r.source, r.line): r for r in reqs}
    assert set(table) == {
        ("six", "requirements/base.txt", 1),
        ("urllib3", "constraints.txt", 1),
        ("pandas", "requirements.txt", 4),
        ("numpy", "requirements.txt", 5),
        ("requests", "requirements.txt", 8),
        ("vcs-thing", "requirements.txt", 9),
        ("local-pkg", "requirements.txt", 10),
        ("wheelpkg", "requirements.txt", 11),
    }
    assert table[("numpy", "requirements.txt", 5)].hashes == ("sha256:aaa", "sha256:bbb")
    assert table[("numpy", "requirements.txt", 5)].pin is PinKind.PINNED
    assert table[("pandas", "requirements.txt", 4)].pin is PinKind.LOWER_BOUND_ONLY
    requests = table[("requests", "requirements.txt", 8)]
    assert requests.extras == ("security", "socks") and requests.marker == 'python_version >= "3.8"'
    assert table[("urllib3", "constraints.txt", 1)].kind is RequirementKind.CONSTRAINT
    assert table[("local-pkg", "requirements.txt", 10)].editable
    assert table[("vcs-thing", "requirements.txt", 9)].pin is PinKind.URL


def test_every_bad_line_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "good==1\nbad==\n--frobnicate\n-r missing.txt\n")
    with pytest.raises(RequirementsError) as caught:
        read_project(tmp_path)
    locations = [p.location for p in caught.value.problems]
    assert locations == ["requirements.txt:2", "requirements.txt:3", "requirements.txt:4"]
    assert str(caught.value).startswith("requirements.txt:2: invalid requirement 'bad': ")


def test_pyproject_dependencies_extras_groups_with_lines(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """\
[project]
name = "app"
dependencies = [
    "pandas>=2",   # comment
    'numpy==1.26.4',
]

[project.optional-dependencies]
plot = ["matplotlib"]

[dependency-groups]
test = ["pytest>=8,<9", {include-group = "lint"}]
lint = ["ruff"]
""",
    )
    reqs = read_project(tmp_path).requirements
    got = [(r.name, r.group, r.line, r.pin) for r in reqs]
    assert got == [
        ("pandas", "dependencies", 4, PinKind.LOWER_BOUND_ONLY),
        ("numpy", "dependencies", 5, PinKind.PINNED),
        ("matplotlib", "optional:plot", 9, PinKind.UNPINNED),
        ("pytest", "group:test", 12, PinKind.BOUNDED),
        ("ruff", "group:lint", 13, PinKind.UNPINNED),
        ("ruff", "group:test", 13, PinKind.UNPINNED),  # PEP 735: an included group counts under both
    ]


def test_pyproject_syntax_error_names_the_line(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\ndependencies = [\n  "a",\n  oops\n]\n')
    with pytest.raises(RequirementsError, match=r"pyproject.toml: TOML syntax error: .*line 5"):
        read_project(tmp_path)


def _dist(name: str, version: str) -> Distribution:
    return Distribution(
        name=name,
        version=version,
        canonical_name=name,
        location="/sp",
        metadata_path="/sp/x",
        metadata_format=MetadataFormat.DIST_INFO,
        installer="pip",
        origin=Origin(OriginKind.INDEX),
    )


def test_check_against_environment_with_target_markers(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        "six==1.16.0\nattrs<20\nmissing-pkg\nold-only; python_version < '3.0'\nweird>=1\n-c c.txt\n",
    )
    write(tmp_path / "c.txt", "notinstalled==1\n")
    reqs = read_project(tmp_path).requirements
    dists = [_dist("six", "1.16.0"), _dist("attrs", "23.2.0"), _dist("weird", "not-a-version")]
    checked = {r.name: r for r in check_all(reqs, dists, {"python_version": "3.11"})}
    assert checked["six"].status is RequirementStatus.SATISFIED
    assert (
        checked["attrs"].status is RequirementStatus.WRONG_VERSION
        and checked["attrs"].installed_version == "23.2.0"
    )
    assert checked["missing-pkg"].status is RequirementStatus.MISSING
    assert checked["old-only"].status is RequirementStatus.NOT_APPLICABLE
    assert checked["weird"].status is RequirementStatus.UNKNOWN
    assert checked["notinstalled"].status is RequirementStatus.NOT_APPLICABLE  # constraints never demand


def test_windows_line_endings_and_bom(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(
        b"\xef\xbb\xbfsix==1.0\r\nattrs>=2 \\\r\n  ; python_version>'3'\r\n"
    )
    reqs = read_project(tmp_path).requirements
    assert [(r.name, r.line, r.marker) for r in reqs] == [
        ("six", 1, None),
        ("attrs", 2, 'python_version > "3"'),
    ]
