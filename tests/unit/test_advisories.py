from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from envaudit import advisories
from envaudit.advisories import Advisory, _in_range, parse_record
from envaudit.audit import audit_offline
from envaudit.errors import InputError
from tests.support.snapshots import dist, snapshot

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "advisories"


@pytest.mark.parametrize(
    ("events", "version", "affected"),
    [
        ((("introduced", "0"), ("fixed", "2.20.0")), "2.19.1", True),
        ((("introduced", "0"), ("fixed", "2.20.0")), "2.20.0", False),
        ((("introduced", "1.0"), ("fixed", "1.5"), ("introduced", "2.0"), ("fixed", "2.1")), "1.7", False),
        ((("introduced", "1.0"), ("fixed", "1.5"), ("introduced", "2.0"), ("fixed", "2.1")), "2.0.5", True),
        ((("introduced", "0"), ("last_affected", "1.11.0")), "1.11.0", True),
        ((("introduced", "0"), ("last_affected", "1.11.0")), "1.11.1", False),
        ((("introduced", "0"), ("limit", "3.0")), "3.1", False),
        ((("introduced", "2.0rc1"), ("fixed", "2.0")), "2.0rc2", True),
        ((("introduced", "0"),), "99", True),
    ],
)
def test_osv_range_semantics(events: tuple[tuple[str, str], ...], version: str, affected: bool) -> None:
    assert _in_range(events, Version(version)) is affected


def test_withdrawn_records_and_other_ecosystems_are_skipped() -> None:
    assert (
        parse_record(
            {
                "id": "X-1",
                "withdrawn": "2023-01-01",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}}],
            },
            "x",
        )
        == []
    )
    assert (
        parse_record({"id": "X-2", "affected": [{"package": {"ecosystem": "npm", "name": "a"}}]}, "x") == []
    )
    [adv] = parse_record(
        {
            "id": "X-3",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar"}, "versions": ["1.0"]}],
        },
        "x",
    )
    assert adv.package == "foo-bar" and adv.affects(Version("1.0.0"))  # names canonical, versions normalised


def test_fix_is_the_smallest_fix_above_the_installed_version() -> None:
    adv = Advisory(
        "X",
        (),
        "",
        "a",
        (
            (("introduced", "0"), ("fixed", "1.4.2")),
            (("introduced", "1.5"), ("fixed", "1.5.3")),
            (("introduced", "1.5"), ("fixed", "1.6.0")),
        ),
        frozenset(),
        "x",
    )
    assert adv.fixed_after(Version("1.5.1")) == Version("1.5.3")
    assert adv.fixed_after(Version("1.4.0")) == Version("1.4.2")


def index_of(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> advisories.AdvisoryIndex:
    monkeypatch.setenv("ENVAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    return advisories.load(folder)


def test_fixture_database_aliases_merge_and_withdrawn_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    shutil.copytree(FIXTURES / "osv", db)
    shutil.copy(FIXTURES / "ghsa" / "GHSA-x84v-xcm2-53pg.json", db / "GHSA-x84v-xcm2-53pg.json")
    index = index_of(db, tmp_path, monkeypatch)
    assert index.withdrawn == 1 and not index.for_package("redis")
    env = snapshot(
        [dist("requests", "2.19.1"), dist("urllib3", "1.24.1"), dist("py", "1.11.0"), dist("jinja2", "3.1.4")]
    )
    result = audit_offline("env", env, index)
    found = {(v.package, v.id): v for v in result.vulnerabilities}
    merged = found[("requests", "PYSEC-2018-28")]
    assert set(merged.aliases) == {"CVE-2018-18074", "GHSA-x84v-xcm2-53pg"}  # one finding, not two
    assert merged.fix == "2.20.0"
    assert found[("requests", "PYSEC-2023-74")].fix == "2.31.0"
    assert ("requests", "PYSEC-2014-13") not in found  # fixed in 2.3.0, long before 2.19.1
    assert found[("py", "PYSEC-2022-42969")].fix is None  # last_affected: no fix known
    assert not [v for v in result.vulnerabilities if v.package == "jinja2"]  # 3.1.4 is past both fixes
    assert found[("urllib3", "PYSEC-2019-132")].fix == "1.24.3"  # "fixed: 1.24.3" in the record


def test_cache_is_reused_and_invalidated_when_the_database_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    shutil.copytree(FIXTURES / "osv", db)
    first = index_of(db, tmp_path, monkeypatch)
    again = advisories.load(db)
    assert not first.from_cache and again.from_cache and again.records == first.records
    shutil.copy(FIXTURES / "ghsa" / "GHSA-x84v-xcm2-53pg.json", db / "new.json")
    changed = advisories.load(db)
    assert not changed.from_cache and changed.records == first.records + 1


def test_osv_export_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(FIXTURES / "ghsa" / "GHSA-x84v-xcm2-53pg.json", "GHSA-x84v-xcm2-53pg.json")
    index = index_of(archive, tmp_path, monkeypatch)
    assert [a.id for a in index.for_package("requests")] == ["GHSA-x84v-xcm2-53pg"]


def test_bad_databases_are_input_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "notzip.zip").write_text("hello")
    with pytest.raises(InputError, match="not a zip file"):
        advisories.load(tmp_path / "notzip.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no OSV records found"):
        advisories.load(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "X.yaml").write_text("id: [unclosed\n")
    with pytest.raises(InputError, match=r"broken/X.yaml: not a readable OSV record"):
        advisories.load(tmp_path / "broken")


@pytest.mark.parametrize(
    "record",
    [
        {"id": "X-1", "affected": "not a list"},
        {
            "id": "X-2",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "a"},
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "not-a-version"}, {"fixed": "also bad"}],
                        }
                    ],
                }
            ],
        },
        {"id": "X-3", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "versions": [1.0, None]}]},
    ],
)
def test_odd_records_never_crash_an_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: object
) -> None:
    import json

    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "X.json").write_text(json.dumps(record))
    monkeypatch.setenv("ENVAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    try:
        index = advisories.load(tmp_path / "db")
    except InputError as exc:
        assert "X.json: not a readable OSV record" in str(exc)
        return
    result = audit_offline("env", snapshot([dist("a", "1.0")]), index)
    assert result.checked == 1


def test_cvss_vectors_give_base_scores_and_a_bad_one_none() -> None:
    from envaudit.advisories import cvss_score, parse_record

    v3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    v4 = {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
    assert cvss_score([v3]) == "9.8" and cvss_score([v4]) == "9.3" and cvss_score([v3, v4]) == "9.8"
    assert cvss_score([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X"}]) == "" and cvss_score("junk") == ""
    record = {
        "id": "GHSA-test",
        "severity": [v3],
        "database_specific": {"severity": "CRITICAL"},
        "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "versions": ["1.0"]}],
    }
    (advisory,) = parse_record(record, "test")
    assert (advisory.score, advisory.severity) == ("9.8", "critical")
