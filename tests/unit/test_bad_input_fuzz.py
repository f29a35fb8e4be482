"""Bad input never gets a traceback: every parser of user files fails only with EnvauditError."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envaudit import snapshot_io
from envaudit.errors import EnvauditError, InputError
from envaudit.policy import parse_gate
from envaudit.requirements import read_file
from tests.unit.test_snapshot_io import make_snapshot

VALID = json.loads(snapshot_io.dumps(make_snapshot()))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


ALL_PATHS = [p for p in _paths(VALID) if p]


@settings(max_examples=300)
@given(st.sampled_from(ALL_PATHS), JSON_VALUES, st.booleans())
def test_any_mutation_of_a_snapshot_is_loaded_or_refused_cleanly(
    path: tuple[Any, ...], value: Any, delete: bool
) -> None:
    data = json.loads(json.dumps(VALID))
    target = data
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    try:
        snapshot_io.loads(json.dumps(data), "fuzz.json")
    except InputError as exc:
        assert str(exc).startswith("fuzz.json: ")


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_any_text_as_a_snapshot_is_refused_cleanly(text: str) -> None:
    with contextlib.suppress(InputError):
        snapshot_io.loads(text, "fuzz.json")


REQUIREMENT_LINES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "six",
            "six==",
            "-r",
            "-r missing.txt",
            "-c",
            "-e",
            "--hash",
            "foo @ ",
            "foo[bar",
            "foo; python_version <",
            "git+https://x/y.git",
            "./local",
            "foo==1.0 --hash=sha256:0",
            "\\",
            "# comment",
            "--unknown-opt",
            "pandas>=>1",
            "a==1.*",
            "b===weird",
            "c (>=1)",
            "-r requirements.txt",
        ]
    ),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(REQUIREMENT_LINES, max_size=8))
def test_any_requirements_file_is_read_or_refused_with_file_and_line(
    tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        read_file(path)
    except EnvauditError as exc:
        assert str(exc).startswith("requirements.txt") or str(exc).startswith(str(tmp_path))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=120))
def test_any_pyproject_is_read_or_refused_cleanly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\ndependencies = [\n' + text + "\n]\n", encoding="utf-8")
    with contextlib.suppress(EnvauditError):
        read_file(path)


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "baseline",
                "target",
                "fail_on",
                "allow_drift",
                "rules",
                "ignore",
                "fail_on_unpinned",
                "audit",
                "bogus",
            ]
        ),
        JSON_VALUES,
        max_size=5,
    )
)
def test_any_gate_table_is_accepted_or_refused_naming_a_key(table: dict[str, Any]) -> None:
    try:
        parse_gate("pyproject.toml", table)
    except InputError as exc:
        assert str(exc).startswith("pyproject.toml: tool.envaudit.gate")
