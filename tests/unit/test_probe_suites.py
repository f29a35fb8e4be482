"""The suites' registry and splicing, pairing probes with their data, the config, and the comparison
of pandas-free outputs and models: pure logic on hand-made values (the real runs are integration)."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from envaudit import config
from envaudit.errors import InputError, UsageError
from envaudit.findings import Labelled
from envaudit.inprocess.probe_runner import CASES, SUITES
from envaudit.model import ModelProbe, PickledWith, ProbeRun, ProbeStatus, SuiteRun, UserProbe
from envaudit.probe import compare
from envaudit.targets.scripts import INPROCESS, PROBE_SCRIPT, PROBE_SPLICED, probe_script
from envaudit.verbs.probe import pair_with_data
from tests.support.snapshots import snapshot

# Names every spliced module may declare for itself: the target's libraries, set by the runner.
SHARED = {"pd", "np"}


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names - SHARED


def test_spliced_modules_share_one_namespace_without_a_clash() -> None:
    """In the target every module is one script: a helper named twice would silently replace the
    other (a pandas case calling the numpy suite's _frame)."""
    modules = [INPROCESS / m for m in PROBE_SPLICED] + [PROBE_SCRIPT]
    seen: dict[str, str] = {}
    for path in modules:
        for name in _top_level_names(path):
            assert name not in seen, f"{name} is defined in both {seen[name]} and {path.name}"
            seen[name] = path.name


def _imported(tree: ast.AST) -> set[str]:
    return {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }


def test_the_script_sent_is_self_contained_python_3_8() -> None:
    script = probe_script()
    tree = ast.parse(script, feature_version=(3, 8))
    assert not {m for m in _imported(tree) if m.startswith("envaudit")}
    assert script.count("def begin_suite(") == 1  # spliced once, however many modules import it
    # The code compiled only when needed (the suites, the user-probe runner) travels as strings.
    lazy = {
        node.targets[0].slice.value: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Subscript)
        and isinstance(node.targets[0].slice, ast.Constant)
        and isinstance(node.value, ast.Constant)
    }
    assert set(lazy) == {"probe_pandas", "probe_numpy", "probe_sklearn", "probe_user"}
    for source in lazy.values():
        assert isinstance(source, str)
        found = _imported(ast.parse(source, feature_version=(3, 8)))
        assert not {m for m in found if m.startswith("envaudit")}


def test_every_case_belongs_to_a_suite_and_names_versions_of_its_library() -> None:
    assert {c.suite for c in CASES} == set(SUITES)
    for c in CASES:
        for version in c.changes:
            major, minor = version.split(".")
            assert major.isdigit() and minor.isdigit(), (c.id, version)
    prefixes: dict[str, tuple[str, ...]] = {"numpy": ("np_", "numpy_"), "sklearn": ("sk_",)}
    for c in CASES:  # the ids say their suite (pandas' came first and kept theirs)
        assert c.suite == "pandas" or c.id.startswith(prefixes[c.suite]), c.id


@pytest.mark.parametrize(
    ("given", "paired"),
    [
        ([("function", "f.py:a"), ("data", "x.csv")], [("function", "f.py:a", "x.csv")]),
        # functions all given before as many --data: in order (how pairs were always given)
        (
            [("function", "a"), ("function", "b"), ("data", "x"), ("data", "y")],
            [("function", "a", "x"), ("function", "b", "y")],
        ),
        # each --data serves the probes since the previous one
        (
            [("function", "a"), ("model", "m.pkl"), ("data", "x"), ("function", "b"), ("data", "y")],
            [("function", "a", "x"), ("model", "m.pkl", "x"), ("function", "b", "y")],
        ),
        # one --data serves every probe
        (
            [("model", "m.pkl"), ("data", "x"), ("function", "b")],
            [("model", "m.pkl", "x"), ("function", "b", "x")],
        ),
        ([], []),
    ],
)
def test_probes_pair_with_their_data(
    given: list[tuple[str, str]], paired: list[tuple[str, str, str]]
) -> None:
    assert [
        (k, v, str(d)) for k, v, d in pair_with_data([(k, Path(v) if k == "data" else v) for k, v in given])
    ] == paired


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([("data", "x")], "--data needs a --function or --model"),
        (
            [("function", "a"), ("data", "x"), ("data", "y"), ("function", "b")],
            "--data y follows no --function",
        ),
        (
            [("function", "a"), ("data", "x"), ("function", "b"), ("data", "y"), ("model", "m")],
            "--model m has no --data",
        ),
    ],
)
def test_probes_without_data_are_usage_errors(given: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        pair_with_data(given)


def test_the_probe_config_takes_suites_strictness_and_models(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.envaudit.probe]\nsuites = ["numpy", "sklearn"]\nstrict = true\ntimeout = 30\n'
        '[[tool.envaudit.probe.model]]\nfile = "m.pkl"\ndata = "d.csv"\n'
    )
    probe = config.load(None, tmp_path).probe
    assert (probe.suites, probe.strict) == (("numpy", "sklearn"), True)
    assert [(m.file, m.data, m.timeout) for m in probe.models] == [("m.pkl", "d.csv", 30.0)]
    for body, problem in [
        ('suites = ["numpy", "torch"]', "tool.envaudit.probe.suites: no such suite 'torch'"),
        ('[[tool.envaudit.probe.model]]\nfile = "m.pkl"', "tool.envaudit.probe.model[0].data: required"),
        ('model = "m.pkl"', "tool.envaudit.probe.model: expected an array of tables"),
    ]:
        folder = tmp_path / str(abs(hash(body)))
        folder.mkdir()
        (folder / "pyproject.toml").write_text(f"[tool.envaudit.probe]\n{body}\n")
        with pytest.raises(InputError) as caught:
            config.load(None, folder)
        assert problem in str(caught.value), str(caught.value)


# --- comparing -----------------------------------------------------------------------------------


def _labelled(label: str, run: ProbeRun) -> Labelled:
    return Labelled(label, replace(snapshot(), probes=run))


def _run(**fields: object) -> ProbeRun:
    base = ProbeRun(suite_version="t", applicable=True, numpy="2.4.6")
    return replace(base, **fields)  # type: ignore[arg-type]


def _output(name: str, columns: Mapping[str, Sequence[object]], **fields: object) -> UserProbe:
    rows = len(next(iter(columns.values())))
    probe = UserProbe(
        name=name,
        data="d.csv",
        data_sha256="",
        status=ProbeStatus.OK,
        rows_out=rows,
        fingerprint=json.dumps(columns),
        index=json.dumps(list(range(rows))),
        values=json.dumps(list(columns.items())),
        columns=tuple(columns),
        dtypes=(("result", "float64"),),
    )
    return replace(probe, **fields)  # type: ignore[arg-type]


def _model(*outputs: UserProbe, pickled: tuple[PickledWith, ...] = ()) -> ModelProbe:
    return ModelProbe("m.pkl", "d.csv", "", ProbeStatus.OK, "sklearn.Pipeline", pickled, outputs)


def test_predictions_that_change_are_counted_and_shown() -> None:
    a = _run(models=(_model(_output("predict", {"0": [0, 1, 1, 0]})),))
    b = _run(models=(_model(_output("predict", {"0": [0, 0, 1, 1]})),))
    (changed,) = compare.diff_probes(_labelled("train", a), _labelled("serve", b))
    assert changed.rule == "EA822"
    assert changed.message == (
        "m.pkl.predict(d.csv): 2 of 4 rows predict another value in serve; first: row 1: 1 → 0; row 3: 0 → 1"
    )


def test_probability_shifts_within_the_tolerance_are_not_findings() -> None:
    proba = {"0": [0.25, 0.5], "1": [0.75, 0.5]}
    nudged = {"0": [0.25 + 1e-12, 0.5], "1": [0.75 - 1e-12, 0.5]}
    moved = {"0": [0.2, 0.5], "1": [0.8, 0.5]}
    a = _run(models=(_model(_output("predict_proba", proba)),))
    same = _run(models=(_model(_output("predict_proba", nudged)),))
    assert compare.diff_probes(_labelled("a", a), _labelled("b", same)) == []
    other = _run(models=(_model(_output("predict_proba", moved)),))
    (shift,) = compare.diff_probes(_labelled("a", a), _labelled("b", other))
    assert shift.rule == "EA823" and shift.message.endswith(
        "the largest probability shift is 0.05 (row 0 column 1: 0.75 → 0.8)"
    )


def test_a_transform_of_one_column_reports_its_largest_shift() -> None:
    a = _run(models=(_model(_output("transform", {"0": [0.1, 0.2, 0.3]})),))
    b = _run(models=(_model(_output("transform", {"0": [0.1, 0.25, 0.3]})),))
    (shift,) = compare.diff_probes(_labelled("a", a), _labelled("b", b))
    assert shift.rule == "EA823"
    assert (
        shift.message
        == "m.pkl.transform(d.csv): the largest value shift is 0.05 (row 1 column 0: 0.2 → 0.25)"
    )


def test_unpickling_warnings_are_one_finding_per_environment_and_versions() -> None:
    warned = (PickledWith("StandardScaler", "1.2.2", "1.4.2"), PickledWith("Pipeline", "1.2.2", "1.4.2"))
    a, b = _run(models=(_model(),)), _run(models=(_model(pickled=warned),))
    (found,) = compare.diff_probes(_labelled("train", a), _labelled("serve", b))
    assert found.rule == "EA821" and found.detail("loaded_with") == "1.4.2"
    assert "(InconsistentVersionWarning for StandardScaler, Pipeline)" in found.message


def test_parts_are_compared_by_dtype_shape_and_position() -> None:
    def parts(weight: float, dtype: str, shape: str) -> UserProbe:
        return _output(
            "f.py:summary",
            {"['weight']": [weight], "['inverse']": [0, 1, 1, 2]},
            kind="values",
            rows_out=None,
            index="",
            dtypes=(("['weight']", dtype), ("['inverse']", "int64")),
            shapes=(("['weight']", "()"), ("['inverse']", shape)),
        )

    a = _run(user=(parts(0.75, "float64", "(4,)"),))
    b = _run(user=(parts(0.5, "float32", "(2, 2)"),))
    found = {f.rule: f for f in compare.diff_probes(_labelled("a", a), _labelled("b", b))}
    assert set(found) == {"EA812", "EA813", "EA816"}
    assert found["EA812"].message.endswith("dtypes differ: ['weight'] float64 → float32")
    assert found["EA816"].message.startswith("f.py:summary(d.csv): shapes differ: ['inverse'] (4,) → (2, 2)")
    # only the part whose shape agrees is compared value by value
    assert "1 values differ" in found["EA813"].message and "['weight']: 0.75 → 0.5" in found["EA813"].message


def test_not_run_is_information_unless_strict_and_a_suite_on_one_side_is_said() -> None:
    not_run = replace(_output("f.py:g", {"0": [1]}), status=ProbeStatus.NOT_RUN, error="needs pandas")
    a = _run(
        user=(_output("f.py:g", {"0": [1]}),), suites=(SuiteRun("numpy", True), SuiteRun("sklearn", True))
    )
    b = _run(
        user=(not_run,),
        suites=(SuiteRun("numpy", True), SuiteRun("sklearn", False, "scikit-learn is not installed here")),
    )
    found = compare.diff_probes(_labelled("a", a), _labelled("b", b))
    assert [(f.rule, f.severity.value) for f in found] == [("EA806", "info"), ("EA817", "info")]
    assert found[0].message.startswith(
        "the sklearn suite did not run in b: scikit-learn is not installed here"
    )
    strict = compare.diff_probes(_labelled("a", a), _labelled("b", b), strict=True)
    assert {f.severity.value for f in strict} == {"error"}


def test_a_suite_not_asked_for_is_not_a_suite_that_could_not_run() -> None:
    # A snapshot probed with --case (pandas cases only) against a live run of every suite: the
    # numpy suite was not asked for on one side, which says nothing about that environment.
    asked = _run(suites=(SuiteRun("pandas", True),))
    everything = _run(
        suites=(SuiteRun("pandas", True), SuiteRun("numpy", True), SuiteRun("sklearn", False, "x"))
    )
    assert compare.diff_probes(_labelled("a", asked), _labelled("b", everything)) == []


def test_snapshots_saved_before_suites_ran_the_pandas_suite() -> None:
    old = ProbeRun(suite_version="2026.12.1", applicable=True, pandas="2.2.3", numpy="2.1.3")
    assert (old.suite_state("pandas"), old.suite_state("numpy")) == (True, None)
    nothing = ProbeRun(suite_version="2026.12.1", applicable=False, reason="no pandas")
    assert nothing.suite_state("pandas") is False  # it could not: no pandas there
    assert old.libraries() == (("pandas", "2.2.3"), ("numpy", "2.1.3"))
