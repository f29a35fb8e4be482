"""Every canonical case's notes, checked against real venvs of each suite's library.

A case's ``changes`` claim that its outcome (result, exception, the kinds of warning it raises)
changes at exactly those versions of its suite's library and at no others. Running the suite in one
venv per version and grouping the versions by outcome must give back exactly the segments the claims
describe: pandas 1.5 … 3.1; numpy 1.24 … 2.4; scikit-learn 1.2 … 1.9 (each with the numpy and scipy of
its time). A claim names the release that changed; it is checked at the first tested version from
that release on, and no two claims may fall on the same tested version.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any

import pytest

from envaudit.inprocess import probe_runner
from envaudit.inprocess.probe_cases import SUITES, Case
from envaudit.inprocess.probe_runner import CASES
from envaudit.probe.run import ProbeOptions, runner_args, runner_script
from tests.support import recipes
from tests.support.venvs import Venv

pytestmark = pytest.mark.integration

# The versions each suite is verified on, in order, and the venv holding each. numpy's come from
# the numpy-only venvs and from the venvs of the other suites (each pins its numpy).
LINES: dict[str, dict[str, Callable[[], Venv]]] = {
    "pandas": {line: partial(recipes.pandas_venv, line) for line in recipes.PANDAS_LINES},
    "numpy": {
        "1.24": lambda: recipes.sklearn_venv("1.2"),  # numpy 1.24.4
        "1.26": lambda: recipes.numpy_venv("1.26"),
        "2.0": lambda: recipes.numpy_venv("2.0"),
        "2.1": lambda: recipes.pandas_venv("2.2"),  # numpy 2.1.3
        "2.2": lambda: recipes.sklearn_venv("1.6"),  # numpy 2.2.6
        "2.3": lambda: recipes.pandas_venv("2.3"),  # numpy 2.3.5
        "2.4": lambda: recipes.numpy_venv("2.4"),
    },
    "sklearn": {line: partial(recipes.sklearn_venv, line) for line in recipes.SKLEARN_LINES},
}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


def _avx512() -> bool:
    try:
        return " avx512f " in f" {Path('/proc/cpuinfo').read_text()} ".replace("\n", " ")
    except OSError:
        return False


# Claims that hold on some CPUs only: numpy 1.25 vectorised argsort with AVX-512 alone, so on an
# older CPU its ties keep 1.24's order until 2.0 brought the AVX2 kernels.
CPU_DEPENDENT = {("np_argsort_ties", "1.25"): _avx512}


@cache
def results(suite: str, line: str) -> dict[str, dict[str, Any]]:
    venv = LINES[suite][line]()
    options = ProbeOptions(suites=(suite,))
    proc = subprocess.run(
        [str(venv.python), "-I", "-", *runner_args(options)],
        input=runner_script(options),
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(proc.stdout.rpartition(probe_runner.MARKER)[2].partition(probe_runner.DONE)[0])
    assert data[SUITES[suite].key].startswith(line + "."), (suite, line, data[SUITES[suite].key])
    assert data["suites"] == [{"name": suite, "ran": True, "reason": ""}]
    return {c["id"]: c for c in data["cases"]}


def outcome(case: dict[str, Any]) -> tuple[str, str, tuple[str, ...]]:
    return (
        case.get("fingerprint") or case["status"],
        case.get("error_type", ""),
        tuple(sorted({w["category"] for w in case["warnings"]})),
    )


def claimed(case: Case) -> set[str]:
    """The tested versions at which the case's notes say its outcome changes."""
    lines = list(LINES[case.suite])
    at = []
    for boundary in case.changes:
        if (case.id, boundary) in CPU_DEPENDENT and not CPU_DEPENDENT[case.id, boundary]():
            continue
        first = next((line for line in lines if _version(line) >= _version(boundary)), None)
        assert first is not None, f"{case.id}: {boundary} is newer than every tested {case.suite} version"
        assert first != lines[0], f"{case.id}: {boundary} is not after the oldest tested version"
        at.append(first)
    assert len(at) == len(set(at)), f"{case.id}: two claims fall on one tested version: {case.changes}"
    return set(at)


VERSIONED = [c for c in CASES if not c.runtime]  # results that follow versions only


@pytest.mark.parametrize(
    ("suite", "areas", "minimum"),
    [
        ("pandas", {"fillna", "dropna", "reductions", "dtypes", "value_counts", "concat", "merge"}, 30),
        ("numpy", {"promotion", "repr", "removed", "shapes", "sorting"}, 25),
        ("sklearn", {"defaults", "metrics", "preprocessing", "removed"}, 25),
    ],
)
def test_each_suite_is_big_enough_and_has_controls(suite: str, areas: set[str], minimum: int) -> None:
    cases = [c for c in VERSIONED if c.suite == suite]
    changed = [c for c in cases if c.changes]
    controls = [c for c in cases if not c.changes]
    assert len(cases) >= minimum and len(changed) >= 20 and len(controls) >= 8, (len(changed), len(controls))
    assert areas <= {c.area for c in cases}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", VERSIONED, ids=lambda c: c.id)
def test_case_changes_exactly_where_its_notes_say(case: Case) -> None:
    lines = list(LINES[case.suite])
    observed = [outcome(results(case.suite, line)[case.id]) for line in lines]
    boundaries = claimed(case)
    for i in range(1, len(lines)):
        changed = observed[i] != observed[i - 1]
        assert changed == (lines[i] in boundaries), (
            f"{case.id}: between {case.suite} {lines[i - 1]} and {lines[i]} the outcome "
            f"{'changed' if changed else 'did not change'}: {observed[i - 1]} -> {observed[i]}"
        )


@pytest.mark.parametrize(("suite", "line"), [("pandas", "2.2"), ("numpy", "2.4"), ("sklearn", "1.9")])
def test_identical_environments_give_identical_fingerprints(suite: str, line: str) -> None:
    """Determinism: two runs in the same venv agree case by case (no addresses, no timings, no hash
    seeds: scikit-learn's messages list sets, whose order changes from run to run)."""
    first = results(suite, line)
    results.cache_clear()
    second = results(suite, line)
    assert {k: outcome(v) for k, v in first.items()} == {k: outcome(v) for k, v in second.items()}
