"""Every canonical case's notes, checked against real pandas 1.5, 2.0, 2.1, 2.2, 2.3, 3.0 and 3.1.

A case's ``changes`` claim that its outcome (result, exception, the kinds of warning it raises)
changes at exactly those pandas versions and at no others. Running the suite in one venv per line
and grouping the lines by outcome must give back exactly the segments the claims describe.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from envaudit.inprocess import probe_runner
from tests.support.recipes import PANDAS_LINES, pandas_venv

pytestmark = pytest.mark.integration

LINES = list(PANDAS_LINES)  # in version order: 1.5, 2.0, 2.1, 2.2, 2.3, 3.0, 3.1
RUNNER = Path(probe_runner.__file__)


@cache
def results(line: str) -> dict[str, dict[str, Any]]:
    venv = pandas_venv(line)
    proc = subprocess.run(
        [str(venv.python), "-I", "-"], input=RUNNER.read_text(), capture_output=True, text=True, check=True
    )
    data = json.loads(proc.stdout.rpartition(probe_runner.MARKER)[2].partition(probe_runner.DONE)[0])
    assert data["pandas"].startswith(line + "."), data["pandas"]
    return {c["id"]: c for c in data["cases"]}


def outcome(case: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    return (
        case.get("fingerprint") or case["status"],
        case.get("error_type", ""),
        tuple(sorted({w["category"] for w in case["warnings"]})),
    )


VERSIONED = [c for c in probe_runner.CASES if not c.runtime]  # results that follow versions only


def test_the_suite_is_big_enough_and_has_controls() -> None:
    changed = [c for c in VERSIONED if c.changes]
    controls = [c for c in VERSIONED if not c.changes]
    assert len(probe_runner.CASES) >= 30 and len(changed) >= 25 and len(controls) >= 10
    assert len({c.id for c in probe_runner.CASES}) == len(probe_runner.CASES)
    areas = {c.area for c in probe_runner.CASES}
    assert {
        "fillna",
        "dropna",
        "reductions",
        "dtypes",
        "value_counts",
        "concat",
        "merge",
        "indexing",
    } <= areas


@pytest.mark.parametrize("case", VERSIONED, ids=lambda c: c.id)
def test_case_changes_exactly_where_its_notes_say(case: probe_runner.Case) -> None:
    observed = [outcome(results(line)[case.id]) for line in LINES]
    boundaries = {LINES.index(v) for v in case.changes}
    assert all(v in LINES for v in case.changes), f"notes name a pandas line we do not test: {case.changes}"
    for i in range(1, len(LINES)):
        changed = observed[i] != observed[i - 1]
        assert changed == (i in boundaries), (
            f"{case.id}: between pandas {LINES[i - 1]} and {LINES[i]} the outcome "
            f"{'changed' if changed else 'did not change'}: {observed[i - 1]} -> {observed[i]}"
        )


def test_identical_environments_give_identical_fingerprints() -> None:
    """Determinism: two runs in the same venv agree case by case (no addresses, no timings)."""
    first = results("2.2")
    results.cache_clear()
    second = results("2.2")
    assert {k: outcome(v) for k, v in first.items()} == {k: outcome(v) for k, v in second.items()}
