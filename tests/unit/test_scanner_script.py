from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envaudit.inprocess import metadata, scanner

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metadata"


def read_headers(path: Path) -> list[tuple[str, str]]:
    return metadata.parse_headers(path.read_text(encoding="utf-8"))


def test_folded_headers_are_joined_and_the_body_is_never_read() -> None:
    headers = read_headers(FIXTURES / "folded_headers-2.0.dist-info" / "METADATA")
    fields = dict(headers)
    assert fields["Requires-Python"] == ">=3.8, <4"
    assert [v for k, v in headers if k == "Requires-Dist"] == ["six>=1.10", 'attrs; extra == "attrs"']
    # The body holds "Name: not-a-header"; reading it would have replaced nothing but added fields.
    assert [v for k, v in headers if k == "Name"] == ["folded-headers"]
    assert "99" not in fields.values()


def test_old_style_folded_description_with_blank_folded_line(tmp_path: Path) -> None:
    headers = read_headers(FIXTURES / "legacy_egg-1.2.egg-info" / "PKG-INFO")
    fields = dict(headers)
    assert fields["Platform"] == "UNKNOWN"  # the field after the folded Description is still read
    assert fields["Version"] == "1.2"


def test_line_that_is_not_a_field_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "METADATA"
    path.write_text("Name: x\nthis is not a header\n")
    with pytest.raises(ValueError, match="line 2"):
        read_headers(path)


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "METADATA"
    path.write_bytes(b"Name: x\r\nVersion: 1\r\n\r\nbody\r\n")
    assert read_headers(path) == [("Name", "x"), ("Version", "1")]


def test_egg_requires_sections_become_markers() -> None:
    text = (FIXTURES / "legacy_egg-1.2.egg-info" / "requires.txt").read_text()
    assert metadata.egg_requires_to_requires_dist(text) == [
        "six>=1.10",
        'importlib-metadata; python_version < "3.9"',
        'ujson; extra == "speedups"',
        'pytest; (sys_platform == "linux") and extra == "tests"',
    ]


def test_missing_metadata_is_an_issue_and_nothing_is_made_up(tmp_path: Path) -> None:
    issues: list[dict[str, object]] = []
    (tmp_path / "ghost-2.0.dist-info").mkdir()
    dist = metadata.read_distribution(metadata.OSFiles(), str(tmp_path), "ghost-2.0.dist-info", issues)
    assert dist is None  # as pip does: a distribution without metadata is skipped, and said
    assert issues == [
        {
            "code": "missing-metadata",
            "path": str(tmp_path / "ghost-2.0.dist-info" / "METADATA"),
            "message": "metadata file is missing",
        }
    ]


def test_duplicate_sys_path_entries_are_scanned_once(tmp_path: Path) -> None:
    (tmp_path / "a-1.0.dist-info").mkdir()
    (tmp_path / "a-1.0.dist-info" / "METADATA").write_text("Name: a\nVersion: 1.0\n")
    dists, _ = metadata.scan_distributions([str(tmp_path), str(tmp_path) + "/."], [])
    assert [d["name"] for d in dists] == ["a"]


def test_marker_environment_matches_packaging() -> None:
    from packaging.markers import default_environment

    assert scanner.marker_environment() == default_environment()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(json_values)
def test_the_scanner_s_own_json_writer_round_trips(value: object) -> None:
    assert json.loads(scanner.to_json(value)) == value


@pytest.mark.parametrize("name", ["Foo_Bar", "foo.bar", "foo--_.bar", "-x-", "ZOPE.interface", "a__b"])
def test_canonical_name_matches_packaging(name: str) -> None:
    from packaging.utils import canonicalize_name

    assert metadata.canonical_name(name) == canonicalize_name(name)


def test_the_scanner_imports_no_heavy_modules_on_the_common_path() -> None:
    import subprocess
    import sys

    from envaudit.targets.scripts import scanner_script

    script = (
        scanner_script() + "\nimport sys as _s\n"
        "_s.stderr.write(','.join(m for m in ('json', 're', 'platform', 'typing') if m in _s.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-"], input=script, capture_output=True, text=True, check=True
    )
    assert proc.stderr == ""


def test_the_host_finds_the_scanner_output_after_a_banner() -> None:
    from envaudit.scan import parse_scanner_output

    noisy = "Welcome to prod-7!\n{not json}\n" + scanner.MARKER + '{"scanner_protocol": 1}'
    assert parse_scanner_output(noisy, "t") == {"scanner_protocol": 1}
    with pytest.raises(Exception, match="printed no result"):
        parse_scanner_output("only a banner", "t")
