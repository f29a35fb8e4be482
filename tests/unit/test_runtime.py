"""Numerical runtime facts: what a target says is bounded and checked; differences are judged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from envaudit.findings import Labelled
from envaudit.model import CPU, MathLibrary, NumericPackage, Runtime, TimeZones
from envaudit.runtime_diff import diff_runtime
from envaudit.runtime_facts import runtime_of
from tests.unit.test_snapshot_io import make_snapshot

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5),
    max_leaves=30,
)
KEYS = ("threads", "hash_seed", "cpu", "cgroup", "timezone", "locale", "numpy", "scipy")


@given(st.dictionaries(st.sampled_from(KEYS), JSON))
def test_anything_a_target_says_gives_a_bounded_runtime_or_none(raw: dict[str, Any]) -> None:
    runtime = runtime_of(raw, {})
    assert runtime is not None
    assert len(runtime.cpu.model) <= 120 and all(len(f) <= 20 for f in runtime.cpu.flags)
    assert runtime.limits.cpus is None or runtime.limits.cpus >= 0
    assert runtime_of("not a mapping", {}) is None


def _with(runtime: Runtime) -> Labelled:
    return Labelled("x", replace(make_snapshot(), runtime=runtime))


OPENBLAS = NumericPackage(
    "numpy", "2.1.3", loaded=(MathLibrary("openblas", "libopenblas.so", "0.3.27", 2, "Haswell"),)
)


def test_each_difference_says_why() -> None:
    a = Runtime(numpy=OPENBLAS, cpu=CPU(flags=("avx2", "avx512f")), timezones=TimeZones(system="2024a"))
    b = Runtime(
        numpy=replace(OPENBLAS, loaded=(MathLibrary("openblas", "libopenblas.so", "0.3.27", 1, "SkylakeX"),)),
        cpu=CPU(flags=("avx2",)),
        timezones=TimeZones(system="2025b"),
        hash_seed="0",
    )
    found = {f.rule: f for f in diff_runtime(_with(a), replace(_with(b), label="y"))}
    assert set(found) == {"EA902", "EA903", "EA905", "EA907"}  # same OpenBLAS version: no EA901
    assert found["EA903"].severity.value == "warning"  # OpenBLAS chose another kernel
    assert "without avx512f" in found["EA903"].message
    assert "2024a → 2025b" in found["EA905"].message
    mkl = Runtime(
        numpy=NumericPackage("numpy", "2.1.3", loaded=(MathLibrary("mkl", "libmkl_rt.so.2", "2024.1"),))
    )
    blas = diff_runtime(_with(a), replace(_with(mkl), label="y"))
    assert any(f.rule == "EA901" and "OpenBLAS 0.3.27 → MKL 2024.1" in f.message for f in blas)


def test_one_side_without_runtime_is_said_once() -> None:
    found = diff_runtime(_with(Runtime()), Labelled("y", make_snapshot()))
    assert [f.rule for f in found] == ["EA908"]
    assert diff_runtime(_with(Runtime()), replace(_with(Runtime()), label="y")) == []
