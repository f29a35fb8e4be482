"""Probe comparison logic on hand-made ProbeRuns (pure logic; the real runs are in integration)."""

from __future__ import annotations

import json
from dataclasses import replace

from envaudit.model import ColumnCount, ProbeCase, ProbeRun, ProbeStatus, ProbeWarning, Snapshot, UserProbe
from envaudit.probe import compare
from tests.support.snapshots import snapshot


def with_probes(probes: ProbeRun) -> Snapshot:
    return replace(snapshot(), probes=probes)


def run(pandas: str, *cases: ProbeCase, user: tuple[UserProbe, ...] = ()) -> ProbeRun:
    return ProbeRun(suite_version="t", applicable=True, pandas=pandas, numpy="2.0.0", cases=cases, user=user)


def test_explanation_names_only_the_boundaries_crossed() -> None:
    a, b = run("2.2.3"), run("3.0.6")
    why = compare.explanation("fillna_method_ffill", a, b)
    assert why == "pandas 2.2.3 → 3.0.6: 3.0: fillna(method=) is removed: TypeError"
    why = compare.explanation("fillna_method_ffill", run("1.5.3"), b)
    assert "2.1: fillna(method=) is deprecated" in why and "3.0: fillna(method=) is removed" in why
    # the same versions the other way round (a newer reference) name the same changes
    assert compare.explanation("fillna_method_ffill", b, run("1.5.3")).endswith("removed: TypeError")
    assert "no known pandas change" in compare.explanation("rolling_mean", a, b)


def test_silent_warned_raised_and_warning_only_are_told_apart() -> None:
    same = ProbeCase("rolling_mean", ProbeStatus.OK, fingerprint="x", result="{}")
    silent_a = ProbeCase("astype_str_missing", ProbeStatus.OK, fingerprint="1", result='{"kind": "list"}')
    silent_b = ProbeCase("astype_str_missing", ProbeStatus.OK, fingerprint="2", result='{"kind": "list"}')
    warned_b = ProbeCase(
        "pct_change_missing",
        ProbeStatus.OK,
        fingerprint="2",
        warnings=(ProbeWarning("FutureWarning", "padding is deprecated"),),
    )
    warned_a = ProbeCase("pct_change_missing", ProbeStatus.OK, fingerprint="1")
    raised = ProbeCase("series_append", ProbeStatus.ERROR, error_type="AttributeError", error="no append")
    fine = ProbeCase("series_append", ProbeStatus.OK, fingerprint="3")
    only_warns = ProbeCase("frame_applymap", ProbeStatus.OK, fingerprint="4")
    only_warns_b = ProbeCase(
        "frame_applymap",
        ProbeStatus.OK,
        fingerprint="4",
        warnings=(ProbeWarning("FutureWarning", "use map"),),
    )
    a = run("2.0.3", same, silent_a, warned_a, fine, only_warns)
    b = run("3.0.6", same, silent_b, warned_b, raised, only_warns_b)
    from envaudit.findings import Labelled

    findings = compare.diff_probes(Labelled("a", with_probes(a)), Labelled("b", with_probes(b)))
    rules = {f.subject: f.rule for f in findings}
    assert rules == {
        "astype_str_missing": "EA801",
        "pct_change_missing": "EA802",
        "series_append": "EA803",
        "frame_applymap": "EA804",
    }
    silent = next(f for f in findings if f.rule == "EA801")
    assert silent.detail("silent") == "yes" and silent.message.endswith("silently, no warning")


def user(values: list[list[object]], index: list[object], *, rows: int, missing: object = ()) -> UserProbe:
    return UserProbe(
        name="p.py:f",
        data="d.csv",
        data_sha256="",
        status=ProbeStatus.OK,
        rows_in=4,
        rows_out=rows,
        nan_in=(ColumnCount("x", 1),),
        nan_out=(ColumnCount("x", 0),),
        index=json.dumps(index),
        values=json.dumps(values),
        fingerprint=json.dumps([values, index]),
        missing_rows=json.dumps(list(missing)),  # type: ignore[call-overload]
    )


def test_value_differences_by_label_within_tolerance() -> None:
    a = user([["x", [1.0, 2.0, 3.0]]], [0, 1, 2], rows=3)
    b = user([["x", [1.0 + 1e-12, 2.5, 3.0]]], [0, 1, 2], rows=3)
    count, shown = compare.value_differences(a, b, 1e-9)
    assert count == 1 and shown == ["row 1 column 'x': 2.0 → 2.5"]
    assert compare.value_differences(a, b, 0.5)[0] == 0
    # rows aligned by label, not position: a dropped row is not a value difference
    c = user([["x", [1.0, 3.0]]], [0, 2], rows=2)
    assert compare.value_differences(a, c, 1e-9)[0] == 0


def test_rows_dropped_name_the_input_gaps() -> None:
    a = user([["x", [1.0, 2.0, 3.0]]], [0, 1, 2], rows=3, missing=[[1, ["age"]], [2, ["age", "income"]]])
    b = user([["x", [1.0]]], [0], rows=1)
    from envaudit.findings import Labelled

    findings = compare.diff_probes(
        Labelled("train", with_probes(run("2.2.3", user=(a,)))),
        Labelled("serve", with_probes(run("3.0.6", user=(b,)))),
    )
    rows = next(f for f in findings if f.rule == "EA810")
    assert (
        "2 rows dropped (labels 1, 2; in the input they miss 'age' (2 of 2 rows), 'income' (1 of 2 rows))"
        in (rows.message)
    )
