"""envaudit probe beyond pandas, on real venvs: numpy-only and scikit-learn-only targets, the numpy
and scikit-learn suites by default, the user's numpy code and the user's pickled model."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from envaudit.inprocess.probe_runner import CASES
from envaudit.report import FINDINGS_FORMATS
from tests.conftest import Runner
from tests.integration.test_probe import probe_json as probe
from tests.support import recipes
from tests.support.models import MODELS, pickled_by
from tests.support.schemas import valid_sarif
from tests.support.venvs import FIXTURES, run

pytestmark = pytest.mark.integration

PROBES = FIXTURES / "probes"


def numpy_target(line: str) -> str:
    return f"python:{recipes.numpy_venv(line).path}"


def sklearn_target(line: str) -> str:
    return f"python:{recipes.sklearn_venv(line).path}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The numeric preprocessing, its CSV, the same numbers as .npy (written by numpy itself) and
    the customers the models score."""
    for source in (PROBES / "numeric.py", PROBES / "measurements.csv", MODELS / "customers.csv"):
        shutil.copy(source, tmp_path / source.name)
    python = recipes.numpy_venv("2.4").python
    csv, npy = tmp_path / "measurements.csv", tmp_path / "measurements.npy"
    read = f"np.genfromtxt({str(csv)!r}, delimiter=',', skip_header=1)"
    run([python, "-c", f"import numpy as np; np.save({str(npy)!r}, {read})"])
    return tmp_path


def by_rule(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def expected_drift(suite: str, low: str, high: str) -> set[str]:
    """The cases of ``suite`` whose notes name a change in (low, high]."""
    lo, hi = _minor(low), _minor(high)
    return {c.id for c in CASES if c.suite == suite and any(lo < _minor(v) <= hi for v in c.changes)}


def test_user_probes_run_in_numpy_only_targets(envaudit: Runner, project: Path) -> None:
    """The false all-clear of before (a numpy-only target: "nothing found, 0 user probes") is gone:
    the CSV is read by numpy (a structured array named by its header), the .npy as the array it is,
    and dicts of numpy values are compared part by part, by dtype, shape and value."""
    code, report, err = probe(
        envaudit,
        f"old={numpy_target('1.26')}",
        f"new={numpy_target('2.4')}",
        "--no-canonical",
        *("--function", "numeric.py:standardise", "--function", "numeric.py:summary"),
        *("--data", "measurements.csv"),
        *("--function", "numeric.py:summary", "--data", "measurements.npy"),
        cwd=project,
    )
    assert code == 1, err
    found = by_rule(report)
    assert set(found) == {"EA812", "EA816"}, report["findings"]  # standardise agrees within tolerance
    for data in ("measurements.csv", "measurements.npy"):
        subject = f"numeric.py:summary({data})"
        (dtypes,) = (f for f in found["EA812"] if f["subject"] == subject)
        assert dtypes["message"] == f"{subject}: dtypes differ: ['weight'] float64 → float32"
        (shape,) = (f for f in found["EA816"] if f["subject"] == subject)
        assert (
            shape["message"]
            == f"{subject}: shapes differ: ['inverse'] (60,) → (30, 2) — silently, no warning"
        )


def test_a_probe_that_cannot_run_is_said_and_fails_under_strict(envaudit: Runner, project: Path) -> None:
    args = (
        f"a={numpy_target('1.26')}",
        f"b={numpy_target('2.4')}",
        "--no-canonical",
        *("--function", "numeric.py:with_sklearn", "--data", "measurements.csv"),
        *("--function", "numeric.py:standardise", "--data", "measurements.parquet"),
    )
    (project / "measurements.parquet").write_bytes(b"PAR1 not read: no pandas to read it")
    code, report, err = probe(envaudit, *args, cwd=project)
    assert code == 0, err  # not run is information, not drift
    messages = sorted(f["message"] for f in report["findings"])
    assert [f["rule"] for f in report["findings"]] == ["EA817"] * 4
    assert messages[0].startswith(
        "numeric.py:standardise(measurements.parquet) could not run in a: reading measurements.parquet "
        "needs pandas, which is not installed here"
    )
    assert messages[3].startswith(
        "numeric.py:with_sklearn(measurements.csv) could not run in b: its code needs a library missing "
        "here: No module named 'sklearn'"
    )
    text = envaudit("probe", *args, cwd=project).stdout
    assert "nothing found" not in text and "2 user probes, 4 probes not run" in text, text
    strict, report, err = probe(envaudit, *args, "--strict", cwd=project)
    assert strict == 1, err
    assert {f["severity"] for f in report["findings"]} == {"error"}


def test_default_suites_follow_what_each_target_has(envaudit: Runner) -> None:
    # numpy 2.4.6 in both; scikit-learn in one: its suite ran on one side only, said once.
    code, report, err = probe(envaudit, f"numpy={numpy_target('2.4')}", f"sklearn={sklearn_target('1.9')}")
    assert code == 0, err
    (missing,) = report["findings"]
    assert missing["rule"] == "EA806" and missing["severity"] == "info"
    assert missing["message"] == (
        "the sklearn suite did not run in numpy: scikit-learn is not installed here, so scikit-learn "
        "behaviour was not compared"
    )
    assert "numpy 2.4.6" in report["environments"][0]["python"]
    assert "scikit-learn 1.9.1" in report["environments"][1]["python"]
    strict, report, _ = probe(
        envaudit, f"numpy={numpy_target('2.4')}", f"sklearn={sklearn_target('1.9')}", "--strict"
    )
    assert strict == 1 and report["findings"][0]["severity"] == "error"


def test_numpy_suite_between_numpy_1_26_and_2_0(envaudit: Runner) -> None:
    code, report, err = probe(envaudit, f"old={numpy_target('1.26')}", f"new={numpy_target('2.0')}")
    assert code == 1, err
    drifted = {f["details"]["case"] for f in report["findings"] if f["rule"].startswith("EA80")}
    assert drifted == expected_drift("numpy", "1.26", "2.0")
    nep50 = next(
        f for f in report["findings"] if f["details"]["case"] == "np_float32_scalar_plus_python_float"
    )
    assert nep50["rule"] == "EA801"  # silent
    assert nep50["details"]["why"] == (
        "numpy 1.26.4 → 2.0.2: 2.0: NEP 50: a Python float keeps a float32 scalar float32 (was float64): "
        "less precision"
    )
    assert nep50["details"]["reference_result"] == '{type: "float64", dtype: "float64", value: 6.0}'


def test_scikit_learn_1_2_to_1_9_with_numpy_code_on_both(envaudit: Runner, project: Path) -> None:
    code, report, err = probe(
        envaudit,
        f"train={sklearn_target('1.2')}",
        f"serve={sklearn_target('1.9')}",
        *("--function", "numeric.py:with_sklearn", "--data", "measurements.csv"),
        cwd=project,
    )
    assert code == 1, err
    cases = {c.id: c.suite for c in CASES}
    drifted = {
        f["details"]["case"] for f in report["findings"] if f["rule"] in ("EA801", "EA802", "EA803", "EA804")
    }
    assert {c for c in drifted if cases[c] == "sklearn"} == expected_drift("sklearn", "1.2", "1.9")
    assert {c for c in drifted if cases[c] == "numpy"} == expected_drift("numpy", "1.24", "2.4")
    for f in report["findings"]:
        if f.get("details", {}).get("case", "").startswith("sk_"):
            assert f["details"]["why"].startswith("scikit-learn 1.2.2 → 1.9.1, numpy 1.24.4 → 2.4.6"), f
    imputer = next(
        f for f in report["findings"] if f["details"].get("case") == "sk_simple_imputer_constant_all_nan"
    )
    assert "1.8: the all-NaN column is dropped" in imputer["details"]["why"]
    # The user's own imputation drops the never-measured sensor column in serve.
    user = {f["rule"]: f for f in report["findings"] if f["subject"].startswith("numeric.py:with_sklearn")}
    assert user["EA816"]["message"] == (
        "numeric.py:with_sklearn(measurements.csv): shapes differ: result (30, 4) → (30, 3)"
    )


@pytest.fixture(scope="module")
def models() -> Path:
    return pickled_by("1.2")


def test_the_model_pickled_in_training_loaded_in_serving(
    envaudit: Runner, project: Path, models: Path
) -> None:
    code, report, err = probe(
        envaudit,
        f"train={sklearn_target('1.2')}",
        f"serve-1.4={sklearn_target('1.4')}",
        f"serve-1.9={sklearn_target('1.9')}",
        "--no-canonical",
        *(
            arg
            for name in ("churn.pkl", "tree.pkl", "segments.pkl")
            for arg in ("--model", str(models / name))
        ),
        *("--data", "customers.csv"),
        cwd=project,
    )
    assert code == 1, err
    found = by_rule(report)
    assert set(found) == {"EA820", "EA821", "EA823"}, report["findings"]
    # Trees pickled by 1.2 cannot be loaded from 1.3 on: a finding naming the exception, per target.
    assert sorted(f["message"] for f in found["EA820"]) == [
        f"tree.pkl(customers.csv) cannot be loaded in {label}: ValueError: node array from the pickle "
        "has an incompatible dtype:"
        for label in ("serve-1.4", "serve-1.9")
    ]
    churn = [f for f in found["EA821"] if f["subject"] == "churn.pkl(customers.csv)"]
    assert [f["details"]["loaded_with"] for f in churn] == ["1.4.2", "1.9.1"]
    assert churn[0]["message"] == (
        "churn.pkl(customers.csv): pickled with scikit-learn 1.2.2, loaded with 1.4.2 in serve-1.4 "
        "(InconsistentVersionWarning for StandardScaler, LogisticRegression, Pipeline)"
    )
    # The one-vs-rest model: its probabilities are a softmax from 1.8 on (1.4 still agrees).
    (shift,) = found["EA823"]
    assert shift["environments"] == ["train", "serve-1.9"]
    assert re.fullmatch(
        r"segments\.pkl\.predict_proba\(customers\.csv\): the largest probability shift is 0\.\d+ "
        r"\(row \d+ column \d: .+ → .+\)",
        shift["message"],
    )
    assert float(shift["details"]["largest_shift"]) > 0.1


def test_a_model_in_a_target_without_scikit_learn_cannot_be_loaded(
    envaudit: Runner, project: Path, models: Path
) -> None:
    code, report, err = probe(
        envaudit,
        f"train={sklearn_target('1.2')}",
        f"bare={numpy_target('2.4')}",
        "--no-canonical",
        *("--model", str(models / "churn.pkl"), "--data", "customers.csv"),
        cwd=project,
    )
    assert code == 1, err
    (failed,) = report["findings"]
    assert failed["rule"] == "EA820" and failed["severity"] == "error"
    assert failed["message"] == (
        "churn.pkl(customers.csv) cannot be loaded in bare: ModuleNotFoundError: No module named 'sklearn'"
    )


def test_new_findings_in_every_format(envaudit: Runner, project: Path, models: Path, tmp_path: Path) -> None:
    args = (
        f"train={sklearn_target('1.6')}",
        f"serve={sklearn_target('1.9')}",
        *("--model", str(models / "segments.pkl"), "--data", "customers.csv"),
        *("--function", "numeric.py:with_sklearn", "--data", "measurements.csv"),
    )
    for fmt in FINDINGS_FORMATS:
        out = tmp_path / f"report.{fmt.value}"
        result = envaudit("probe", *args, "--format", fmt.value, "-o", str(out), cwd=project)
        assert result.returncode == 1, (fmt, result.stderr)
        text = out.read_text()
        for rule in ("EA801", "EA816", "EA821", "EA823"):
            assert rule in text, (fmt, rule)
        assert re.search(r"roc\\?_auc", text), fmt  # the 1.7 change between 1.6 and 1.9 (markdown escapes _)
        if fmt.value == "junit":
            ET.fromstring(text)
        if fmt.value == "sarif":
            valid_sarif(text)


def test_configured_suites_models_and_strictness(envaudit: Runner, project: Path, models: Path) -> None:
    shutil.copy(models / "tree.pkl", project / "tree.pkl")
    (project / "pyproject.toml").write_text(
        "[tool.envaudit.probe]\n"
        'suites = ["numpy"]\n'
        "strict = true\n"
        "[[tool.envaudit.probe.model]]\n"
        'file = "tree.pkl"\n'
        'data = "customers.csv"\n'
    )
    code, report, err = probe(
        envaudit, f"a={sklearn_target('1.2')}", f"b={numpy_target('1.26')}", cwd=project
    )
    assert code == 1, err
    rules = sorted(f["rule"] for f in report["findings"])
    # Only the numpy suite ran (1.24.4 against 1.26.4: the 1.25 deprecations), and the tree model
    # cannot be loaded without scikit-learn.
    assert "EA820" in rules and "EA806" not in rules
    cases = {f["details"]["case"] for f in report["findings"] if "case" in f.get("details", {})}
    assert cases and all(c.startswith(("np_", "numpy_")) for c in cases)
    listed = envaudit("probe", "--list-cases", "--suite", "sklearn")
    assert listed.returncode == 0 and "sk_roc_curve_thresholds" in listed.stdout
    assert "fillna" not in listed.stdout
