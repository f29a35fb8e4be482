from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envaudit.inprocess import scanner

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metadata"


def test_folded_headers_are_joined_and_the_body_is_never_read() -> None:
    headers = scanner.read_headers(str(FIXTURES / "folded_headers-2.0.dist-info" / "METADATA"))
    fields = dict(headers)
    assert fields["Requires-Python"] == ">=3.8, <4"
    assert [v for k, v in headers if k == "Requires-Dist"] == ["six>=1.10", 'attrs; extra == "attrs"']
    # The body holds "Name: not-a-header"; reading it would have replaced nothing but added fields.
    assert [v for k, v in headers if k == "Name"] == ["folded-headers"]
    assert "99" not in fields.values()


def test_old_style_folded_description_with_blank_folded_line(tmp_path: Path) -> None:
    headers = scanner.read_headers(str(FIXTURES / "legacy_egg-1.2.egg-info" / "PKG-INFO"))
    fields = dict(headers)
    assert fields["Platform"] == "UNKNOWN"  # the field after the folded Description is still read
    assert fields["Version"] == "1.2"


def test_line_that_is_not_a_field_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "METADATA"
    path.write_text("Name: x\nthis is not a header\n")
    with pytest.raises(ValueError, match="line 2"):
        scanner.read_headers(str(path))


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "METADATA"
    path.write_bytes(b"Name: x\r\nVersion: 1\r\n\r\nbody\r\n")
    assert scanner.read_headers(str(path)) == [("Name", "x"), ("Version", "1")]


def test_egg_requires_sections_become_markers() -> None:
    text = (FIXTURES / "legacy_egg-1.2.egg-info" / "requires.txt").read_text()
    assert scanner.egg_requires_to_requires_dist(text) == [
        "six>=1.10",
        'importlib-metadata; python_version < "3.9"',
        'ujson; extra == "speedups"',
        'pytest; (sys_platform == "linux") and extra == "tests"',
    ]


def test_unreadable_metadata_is_an_issue_and_the_distribution_is_kept(tmp_path: Path) -> None:
    issues: list[dict[str, object]] = []
    (tmp_path / "ghost-2.0.dist-info").mkdir()
    dist = scanner.read_distribution(str(tmp_path), "ghost-2.0.dist-info", issues)
    assert dist is not None and (dist["name"], dist["version"]) == ("ghost", "2.0")
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
    dists, _ = scanner.scan_distributions([str(tmp_path), str(tmp_path) + "/."], [])
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

    assert scanner.canonical_name(name) == canonicalize_name(name)


def test_the_scanner_imports_no_heavy_modules_on_the_common_path() -> None:
    import subprocess
    import sys

    script = (
        Path(scanner.__file__).read_text() + "\nimport sys as _s\n"
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
