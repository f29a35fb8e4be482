"""envaudit probe and scan --probe on real venvs of pandas 1.5, 2.2 and 3.0, a Docker image and an
SSH host: canonical drift where the suite's notes say, and the user's own preprocessing compared."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envaudit.inprocess.probe_runner import CASES
from tests.conftest import Runner, require
from tests.support import recipes, sshd
from tests.support.recipes import pandas_venv
from tests.support.venvs import FIXTURES

pytestmark = pytest.mark.integration

PROBES = FIXTURES / "probes"
LINE_OF = {"1.5": (1, 5), "2.2": (2, 2), "3.0": (3, 0)}


def target(line: str) -> str:
    return f"python:{pandas_venv(line).path}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with the example preprocessing and its sample data (and no pyproject of its own)."""
    for name in ("preprocess.py", "customers.csv"):
        shutil.copy(PROBES / name, tmp_path / name)
    return tmp_path


def user(function: str, data: str = "customers.csv", *, file: str = "preprocess.py") -> list[str]:
    """The flags of one user probe: FILE.py:FUNCTION on DATA (the example preprocessing by default)."""
    return ["--function", f"{file}:{function}", "--data", data]


def probe_json(envaudit: Runner, *args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any], str]:
    result = envaudit("probe", *args, "--format", "json", cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def _pinned(line: str, suite: str) -> tuple[int, int]:
    """The minor version of a suite's library in a pandas line's venv (each pins its numpy)."""
    if suite == "pandas":
        return LINE_OF[line]
    pin = next(p for p in recipes.PANDAS_LINES[line] if p.startswith("numpy=="))
    major, minor = pin.removeprefix("numpy==").split(".")[:2]
    return int(major), int(minor)


def expected_drift(low: str, high: str) -> set[str]:
    """The cases whose notes name a change in (low, high] of their own library: exactly these must
    drift (by default a pandas venv runs the numpy suite too, and each line pins another numpy)."""

    def crossed(case: Any) -> bool:
        lo, hi = _pinned(low, case.suite), _pinned(high, case.suite)
        return any(lo < tuple(int(x) for x in v.split(".")) <= hi for v in case.changes)

    return {c.id for c in CASES if c.suite in ("pandas", "numpy") and crossed(c)}


def test_identical_environments_give_no_drift(envaudit: Runner) -> None:
    code, report, err = probe_json(envaudit, f"a={target('2.2')}", f"b={target('2.2')}")
    assert code == 0, err
    assert report["findings"] == []


@pytest.mark.parametrize(("low", "high"), [("1.5", "2.2"), ("2.2", "3.0"), ("1.5", "3.0")])
def test_major_version_pairs_drift_exactly_where_the_suite_says(
    envaudit: Runner, low: str, high: str
) -> None:
    code, report, err = probe_json(envaudit, f"old={target(low)}", f"new={target(high)}")
    assert code == 1, err
    drifted = {f["details"]["case"] for f in report["findings"] if f["rule"] in ("EA801", "EA802", "EA803")}
    warned_only = {f["details"]["case"] for f in report["findings"] if f["rule"] == "EA804"}
    assert drifted | warned_only == expected_drift(low, high)
    assert len(drifted) >= 5
    suites = {c.id: c.suite for c in CASES}
    for f in report["findings"]:
        if f["rule"] == "EA806":  # scikit-learn is in neither: no suite on one side only
            raise AssertionError(f)
        library = suites[f["details"]["case"]]
        assert f["details"]["why"].startswith(f"pandas {low}." if library == "pandas" else "numpy "), f
        if f["rule"] == "EA801":  # silent: a different result and no warning on either side
            assert f["details"]["silent"] == "yes" and "warnings" not in f["details"]
            assert f["severity"] == "error"
    if high == "3.0":
        silent = {f["details"]["case"] for f in report["findings"] if f["rule"] == "EA801"}
        assert {"fillna_inplace_variable", "astype_str_missing", "datetime_as_int64"} <= silent
        why = next(f for f in report["findings"] if f["details"]["case"] == "fillna_inplace_variable")
        assert "Copy-on-Write" in why["details"]["why"]


def test_the_story_rows_lost_to_a_fill_that_silently_stopped(envaudit: Runner, project: Path) -> None:
    code, report, err = probe_json(
        envaudit,
        f"train={target('2.2')}",
        f"serve={target('3.0')}",
        "--no-canonical",
        *user("clean"),
        *user("clean_explicit"),
        cwd=project,
    )
    assert code == 1, err
    rows = [f for f in report["findings"] if f["rule"] == "EA810"]
    assert len(rows) == 1  # clean_explicit behaves the same everywhere
    (lost,) = rows
    assert lost["subject"] == "preprocess.py:clean(customers.csv)"
    assert lost["message"].startswith(
        "preprocess.py:clean(customers.csv): 12 rows in, 11 out in train but 8 in serve: 3 rows dropped "
        "(labels 1, 4, 7; in the input they miss 'age' (3 of 3 rows)) — silently, no warning"
    )
    assert lost["details"]["silent"] == "yes"
    assert not any(f["rule"] == "EA810" and "clean_explicit" in f["subject"] for f in report["findings"])


def test_missing_values_per_column_are_compared(envaudit: Runner, project: Path, tmp_path: Path) -> None:
    (project / "fill.py").write_text(
        "def fill(df):\n    age = df['age']\n    age.fillna(age.mean(), inplace=True)\n    return df\n"
    )
    code, report, err = probe_json(
        envaudit,
        f"a={target('1.5')}",
        f"b={target('3.0')}",
        "--no-canonical",
        *user("fill", "customers.csv", file="fill.py"),
        cwd=project,
    )
    assert code == 1, err
    (nan,) = [f for f in report["findings"] if f["rule"] == "EA811"]
    assert nan["subject"] == "fill.py:fill(customers.csv)[age]"
    assert nan["details"] == {
        "column": "age",
        "nan_before": "3",
        "reference_nan_after": "0",
        "nan_after": "3",
    }
    (values,) = [f for f in report["findings"] if f["rule"] == "EA813"]
    assert "3 values differ" in values["message"] and "row 1 column 'age'" in values["message"]


def test_a_failing_function_is_reported_for_its_target_only(envaudit: Runner, project: Path) -> None:
    code, report, err = probe_json(
        envaudit,
        f"old={target('2.2')}",
        f"new={target('3.0')}",
        "--no-canonical",
        *user("fails_on_pandas_3"),
        *user("clean"),
        cwd=project,
    )
    assert code == 1, err
    failed = [f for f in report["findings"] if f["rule"] == "EA815"]
    assert [f["details"]["environment"] for f in failed] == ["new"]
    assert "RuntimeError: this pipeline was never ported to pandas 3" in failed[0]["message"]
    assert any(f["rule"] == "EA810" for f in report["findings"])  # the other probe still reports


def test_a_function_that_never_returns_times_out(envaudit: Runner, project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.envaudit.probe]\ntimeout = 2\n"
        '[[tool.envaudit.probe.user]]\nfunction = "preprocess.py:never_returns"\ndata = "customers.csv"\n'
    )
    code, report, err = probe_json(
        envaudit, f"a={target('2.2')}", f"b={target('2.2')}", "--no-canonical", cwd=project
    )
    assert code == 1, err  # reported for each target: a hung pipeline is a finding, not a hang
    failed = [f for f in report["findings"] if f["rule"] == "EA815"]
    assert [f["details"]["environment"] for f in failed] == ["a", "b"]
    assert all("Timeout: took longer than 2s" in f["message"] for f in failed)
    result = envaudit("scan", target("2.2"), "--probe", "--no-canonical", "--format", "json", cwd=project)
    (user,) = json.loads(result.stdout)["probes"]["user"]
    assert (user["status"], user["error_type"]) == ("timeout", "Timeout")


def test_saved_snapshot_keeps_probes_for_later(envaudit: Runner, project: Path) -> None:
    saved = project / "prod.json"
    result = envaudit(
        "scan",
        target("2.2"),
        "--probe",
        *user("clean"),
        "-o",
        str(saved),
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    stored = json.loads(saved.read_text())["probes"]
    ran = {s["name"] for s in stored["suites"] if s["ran"]}
    assert ran == {"pandas", "numpy"}  # scikit-learn is not installed: its suite said so
    assert stored["pandas"] == "2.2.3" and len(stored["cases"]) == sum(c.suite in ran for c in CASES)
    assert stored["user"][0]["rows_out"] == 11
    import hashlib

    assert (
        stored["user"][0]["data_sha256"]
        == hashlib.sha256((project / "customers.csv").read_bytes()).hexdigest()
    )
    code, report, err = probe_json(
        envaudit,
        f"prod={saved}",
        f"live={target('3.0')}",
        *user("clean"),
        cwd=project,
    )
    assert code == 1, err
    rules = {f["rule"] for f in report["findings"]}
    assert {"EA801", "EA810"} <= rules
    # diff shows the stored probes against a live scan with probes too
    diff = envaudit("diff", f"prod={saved}", f"live={target('3.0')}", "--format", "json", cwd=project)
    assert any(f["rule"] == "EA806" for f in json.loads(diff.stdout)["findings"])  # live was not probed


def test_no_pandas_is_not_applicable_not_an_error(envaudit: Runner) -> None:
    venv = recipes.pinned()
    code, report, err = probe_json(envaudit, f"nopandas=python:{venv.path}", f"pandas={target('2.2')}")
    assert code == 0, err  # info only
    assert [f["rule"] for f in report["findings"]] == ["EA806", "EA806"]
    for f, suite in zip(report["findings"], ("pandas", "numpy"), strict=True):
        assert f["message"].startswith(
            f"the {suite} suite did not run in nopandas: numpy is not installed here"
        )


def test_gate_runs_the_probes(envaudit: Runner, project: Path) -> None:
    saved = project / "prod.json"
    assert envaudit("scan", target("2.2"), "--probe", "-o", str(saved), cwd=project).returncode == 0
    (project / "pyproject.toml").write_text(
        "[tool.envaudit.gate]\n"
        f'baseline = "prod.json"\ntarget = "{target("3.0")}"\nprobe = true\nfail_on = "error"\n'
        '[[tool.envaudit.probe.user]]\nfunction = "preprocess.py:clean"\ndata = "customers.csv"\n'
    )
    result = envaudit("gate", "--format", "json", cwd=project)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failing = {f["rule"] for f in report["verdict"]["failing"]}
    assert "EA801" in failing  # silent canonical drift fails the gate
    assert "EA806" in {f["rule"] for f in report["findings"]}  # the saved baseline had no user probe


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function", "preprocess.py", "--data", "customers.csv"], "expected FILE.py:FUNCTION"),
        (["--function", "missing.py:f", "--data", "customers.csv"], "missing.py: no such file"),
        (["--function", "preprocess.py:nope", "--data", "customers.csv"], "defines no function 'nope'"),
        (["--function", "broken.py:f", "--data", "customers.csv"], "broken.py:2: not valid Python"),
        (["--function", "preprocess.py:clean", "--data", "customers.xlsx"], "unknown data format"),
        (["--function", "preprocess.py:clean", "--data", "gone.csv"], "gone.csv: no such data file"),
        (["--function", "preprocess.py:clean"], "--function preprocess.py:clean has no --data after it"),
        (["--data", "customers.csv"], "--data needs a --function or --model"),
        (["--case", "no_such_case"], "no such canonical case"),
        (
            ["--suite", "pandas,tensorflow"],
            "--suite tensorflow: no such suite (there are pandas, numpy, sklearn)",
        ),
        (["--model", "model.onnx", "--data", "customers.csv"], "model.onnx: unknown model format"),
        (["--model", "gone.pkl", "--data", "customers.csv"], "gone.pkl: no such model file"),
        (
            ["--model", "model.pkl", "--data", "customers.csv", "--data", "customers.csv"],
            "follows no --function",
        ),
    ],
)
def test_bad_probe_input_is_exit_2(envaudit: Runner, project: Path, args: list[str], message: str) -> None:
    (project / "broken.py").write_text("def f(df):\n    return df)\n")
    (project / "customers.xlsx").write_text("not really")
    (project / "model.onnx").write_bytes(b"\x08\x01")
    (project / "model.pkl").write_bytes(b"not read: the arguments are wrong first")
    result = envaudit("probe", target("2.2"), target("2.2"), *args, cwd=project)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_probe_needs_two_targets_and_static_images_cannot_be_probed(envaudit: Runner, tmp_path: Path) -> None:
    one = envaudit("probe", target("2.2"))
    assert one.returncode == 2 and "at least two targets" in one.stderr
    archive = tmp_path / "image.tar"
    archive.write_bytes(b"")
    result = envaudit("probe", target("2.2"), f"docker-archive:{archive}")
    assert result.returncode == 3
    assert "cannot be probed" in result.stderr and "tip: probe the image through the engine" in result.stderr


def test_list_cases(envaudit: Runner) -> None:
    result = envaudit("probe", "--list-cases")
    assert result.returncode == 0
    assert f"{len(CASES)} cases" in result.stdout and "fillna_inplace_chained" in result.stdout


# --- other kinds of target ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sshd.Lab]:
    require(sshd.available(), "no sshd/ssh on this machine (make test installs openssh-server as root)")
    lab = sshd.make_lab(tmp_path_factory.mktemp("probe-ssh-lab"))
    lab.trust(lab.start("serving"))
    yield lab
    lab.stop()


def test_ssh_target_is_probed_with_the_user_function(envaudit: Runner, lab: sshd.Lab, project: Path) -> None:
    remote = lab.hosts["serving"].url(str(pandas_venv("3.0").python))
    code, report, err = probe_json(
        envaudit,
        f"train={target('2.2')}",
        f"serving={remote}",
        *user("clean"),
        *lab.client_args(),
        cwd=project,
    )
    assert code == 1, err
    assert report["environments"][1]["target"] == remote
    assert "pandas 3.0.6" in report["environments"][1]["python"]
    assert any(f["rule"] == "EA810" for f in report["findings"])
    assert any(f["rule"] == "EA801" for f in report["findings"])


@pytest.fixture(scope="module")
def images() -> dict[str, Any]:
    from tests.support.docker_images import engine_problem, fixture_images

    problem = engine_problem()
    require(problem is None, problem or "")
    return fixture_images()


def test_docker_image_is_probed(envaudit: Runner, images: dict[str, Any], project: Path) -> None:
    debian = images["debian-pandas"].target  # Debian's own pandas 1.5.3, numpy 1.24
    code, report, err = probe_json(
        envaudit,
        f"image={debian}",
        f"venv={target('3.0')}",
        *user("clean"),
        cwd=project,
    )
    assert code == 1, err
    assert "pandas 1.5.3" in report["environments"][0]["python"]
    lost = next(f for f in report["findings"] if f["rule"] == "EA810")
    assert "11 out in image but 8 in venv" in lost["message"]
    # The app image has the same pandas and numpy as the 2.2 venv: the suite agrees across them.
    code, report, err = probe_json(envaudit, f"image={images['app'].target}", f"venv={target('2.2')}")
    assert code == 0, err
    assert report["findings"] == []


def test_json_data_travels_and_parquet_without_pyarrow_is_reported(envaudit: Runner, project: Path) -> None:
    import csv

    with (project / "customers.csv").open() as fh:
        rows = [{k: (None if v == "" else v) for k, v in row.items()} for row in csv.DictReader(fh)]
    for row in rows:
        for column in ("age", "income", "churned"):
            row[column] = None if row[column] is None else int(row[column])  # type: ignore[arg-type]
    (project / "customers.json").write_text(json.dumps(rows))
    (project / "customers.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    code, report, err = probe_json(
        envaudit,
        f"old={target('1.5')}",
        f"new={target('3.0')}",
        "--no-canonical",
        *user("clean", "customers.json"),
        *user("clean", "customers.parquet"),
        cwd=project,
    )
    assert code == 1, err
    lost = next(f for f in report["findings"] if f["rule"] == "EA810")
    assert lost["subject"] == "preprocess.py:clean(customers.json)" and "3 rows dropped" in lost["message"]
    failed = [f for f in report["findings"] if f["rule"] == "EA815"]
    assert {f["details"]["environment"] for f in failed} == {"old", "new"}  # neither has pyarrow
    assert all("reading customers.parquet" in f["message"] for f in failed)


def py38_pandas() -> Path:
    """A Python 3.8 venv with pandas 2.0.3 (the last line for 3.8), built once with 3.8's own pip."""
    from tests.support.venvs import cache_root, run

    candidates = sorted(Path("/root/.pyenv/versions").glob("3.8.*/bin/python3.8")) + [
        Path(p) for p in ("/usr/bin/python3.8", "/usr/local/bin/python3.8") if Path(p).exists()
    ]
    require(bool(candidates), "no Python 3.8 interpreter on this machine")
    folder = cache_root() / "venvs" / "py38-pandas-2.0.3"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        run([candidates[0], "-m", "venv", folder])
        run(
            [
                folder / "bin" / "python",
                "-m",
                "pip",
                "install",
                "--quiet",
                "--only-binary=:all:",
                "--no-deps",
                "pandas==2.0.3",
                "numpy==1.24.4",
                "python-dateutil==2.9.0.post0",
                "pytz==2024.2",
                "six==1.16.0",
                "tzdata==2024.2",
            ]
        )
        (folder / ".complete").write_text("ok\n")
    return folder


def test_the_runner_works_on_python_3_8(envaudit: Runner) -> None:
    """Targets run old interpreters: the same suite on Python 3.8 agrees with pandas 2.0 on 3.11."""
    py38 = py38_pandas()
    code, report, err = probe_json(
        envaudit, f"py311=python:{pandas_venv('2.0').path}", f"py38=python:{py38}", "--suite", "pandas"
    )
    assert "pandas 2.0.3" in report["environments"][1]["python"], err
    assert "cpython 3.8." in report["environments"][1]["python"]
    # Python 3.8 with numpy 1.24 against 3.11 with numpy 1.26: the same pandas behaves the same
    assert code == 0, err
    assert report["findings"] == []


def test_a_function_returning_a_numpy_array_is_compared_too(envaudit: Runner, project: Path) -> None:
    code, report, err = probe_json(
        envaudit,
        f"old={target('1.5')}",
        f"new={target('3.0')}",
        "--no-canonical",
        *user("scaled_features"),
        cwd=project,
    )
    assert code == 1, err
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert by_rule["EA811"]["message"] == (
        "preprocess.py:scaled_features(customers.csv): column '0' (made by the function) has 0 missing "
        "values in old but 3 in new — silently, no warning"
    )
    assert "12 values differ beyond a relative tolerance of 1e-09" in by_rule["EA813"]["message"]


def test_sarif_points_a_user_probe_s_drift_at_its_def_line(envaudit: Runner, project: Path) -> None:
    args = ("probe", f"train={target('2.2')}", f"serve={target('3.0')}", "--no-canonical", *user("clean"))
    result = envaudit(*args, "--format", "sarif", cwd=project)
    assert result.returncode == 1, result.stderr
    (rows,) = [r for r in json.loads(result.stdout)["runs"][0]["results"] if r["ruleId"] == "EA810"]
    physical = rows["locations"][0]["physicalLocation"]
    def_line = next(
        n
        for n, line in enumerate((project / "preprocess.py").read_text().splitlines(), 1)
        if line.startswith("def clean(")
    )
    assert physical["artifactLocation"]["uri"] == "preprocess.py"
    assert physical["region"] == {"startLine": def_line}
