"""The fleet summary and host ranges: pure logic, on snapshots made from the test fixtures."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envaudit import diff, snapshot_io
from envaudit.findings import Labelled
from envaudit.hostlist import compress, natural_key, shown
from envaudit.model import PinKind, RequirementStatus, Snapshot
from envaudit.report import render
from tests.support import fleet
from tests.support.snapshots import requirement, snapshot, var


def sample_snapshot() -> Snapshot:
    dists = {f"pkg{i:02d}": f"1.{i}.0" for i in range(40)}
    reqs = [
        requirement(
            f"pkg{i:02d}",
            ">=1",
            PinKind.LOWER_BOUND_ONLY,
            RequirementStatus.SATISFIED,
            f"1.{i}.0",
            line=i + 1,
        )
        for i in range(5)
    ]
    return snapshot(dists, requirements=reqs, env=[var("LANG", "C.UTF-8", relevant=True)])


def expand(text: str) -> list[str]:
    """A range of ``compress`` back to its names (what pdsh does)."""
    match = re.fullmatch(r"(.*?)\[([\d,-]+)\](.*)", text)
    if match is None:
        return [text]
    prefix, spans, suffix = match.groups()
    out = []
    for span in spans.split(","):
        a, _, b = span.partition("-")
        width = len(a)
        out += [f"{prefix}{n:0{width}d}{suffix}" for n in range(int(a), int(b or a) + 1)]
    return out


def test_ranges_read_like_pdsh() -> None:
    names = [f"web-{i:02d}" for i in range(1, 61)] + ["web-62", "db", "web-9", "cache-1", "cache-2"]
    assert compress(names) == ["cache-[1-2]", "db", "web-[01-60,62]", "web-9"]
    assert shown([f"web-{i:03d}" for i in range(1, 200) if i % 7], 3) == (
        "web-[001-006,008-013,015-020] and 153 more"
    )
    assert shown(["a", "b", "c", "web-1"], 2) == "a, b and 2 more"


@given(st.lists(st.from_regex(r"[a-z]{1,3}-?\d{1,3}(\.json)?|[a-z]{1,4}", fullmatch=True), max_size=60))
def test_ranges_expand_back_to_exactly_the_names(names: list[str]) -> None:
    ranges = compress(names)
    expanded = [name for r in ranges for name in expand(r)]
    assert sorted(expanded) == sorted(set(names))
    assert ranges == sorted(ranges, key=lambda r: natural_key(expand(r)[0]))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[fleet.Fleet, list[Labelled]]:
    folder = tmp_path_factory.mktemp("fleet")
    made = fleet.make(folder, sample_snapshot(), count=200, size=40)
    items = [Labelled(label, snapshot_io.load(p)) for label, p in zip(made.labels, made.paths, strict=True)]
    return made, items


def test_the_summary_finds_the_groups_the_fleet_was_made_with(
    made: tuple[fleet.Fleet, list[Labelled]],
) -> None:
    truth, items = made
    report = diff.diff(items)
    summary = report.fleet
    assert summary is not None and summary.size == 200
    assert set(summary.identical) == truth.identical
    assert {frozenset(g.members) for g in summary.groups} == {frozenset(g) for g in truth.groups}
    assert set(summary.unique) == truth.unique
    assert [len(g.members) for g in summary.groups] == sorted((len(g) for g in truth.groups), reverse=True)
    pythons = {c.value.split()[-1]: set(c.members) for c in summary.interpreters}
    assert pythons == {
        v: {label for label, mine in truth.interpreters.items() if mine == v}
        for v in set(truth.interpreters.values())
    }
    # Every environment off the consensus is an outlier, ranked by how many facts differ.
    distances = [o.distance for o in summary.outliers]
    assert distances == sorted(distances, reverse=True)
    assert all(o.distance == len(o.differs) for o in summary.outliers)
    assert {o.label for o in summary.outliers} >= truth.unique


def test_loading_a_fleet_shares_equal_objects_and_changes_nothing(
    made: tuple[fleet.Fleet, list[Labelled]],
) -> None:
    truth, items = made
    identical = [item.snapshot for item in items if item.label in truth.identical]
    assert all(s.distributions is identical[0].distributions for s in identical)
    # Shared or not, each loads to what a fresh decoder gives, field for field.
    fresh = snapshot_io.from_jsonable(snapshot_io.to_jsonable(identical[-1]))
    assert fresh == identical[-1]


def test_a_shared_value_still_needs_the_same_json_types() -> None:
    """1 == 1.0 == true in Python: a requirement's line of `true` must not pass for a line of 1."""
    snap = sample_snapshot()
    data = snapshot_io.to_jsonable(snap)
    assert any(r["line"] for r in data["requirements"])
    snapshot_io.from_jsonable(data)  # remembered
    bad = snapshot_io.to_jsonable(snap)
    first = next(r for r in bad["requirements"] if r["line"] == 1)
    first["line"] = True
    with pytest.raises(snapshot_io.SchemaError, match=r"requirements\[\d+\]\.line: expected an integer"):
        snapshot_io.from_jsonable(bad)


def test_a_remembered_list_with_a_bad_name_is_never_taken_as_checked() -> None:
    data = snapshot_io.to_jsonable(sample_snapshot())
    data["distributions"][0]["name"] = "not a name!"
    for _ in range(2):
        with pytest.raises(snapshot_io.SchemaError, match="not a valid distribution name"):
            snapshot_io.from_jsonable(data)


def test_fleet_text_stays_readable(made: tuple[fleet.Fleet, list[Labelled]]) -> None:
    truth, items = made
    text = render(diff.diff(items), "text")
    lines = text.splitlines()
    assert "200 environments: batch-[001-020], web-[001-120], worker-[001-060]" in text
    assert f"{len(truth.identical)} identical to the reference" in text
    assert max(len(line) for line in lines[:-1]) <= 80
    assert len(lines) < 400  # not one line per environment, nor a dozen names per package
    big = [dataclasses.replace(item, label=f"h{i:05d}") for i, item in enumerate(items * 50)]  # 10,000
    many = render(diff.diff(big), "text").splitlines()
    assert len(many) < 600 and max(len(line) for line in many[:-1]) <= 80
