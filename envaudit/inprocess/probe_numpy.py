"""The numpy suite: small deterministic numpy programs whose outcome changed between numpy 1.24 and
2.4 (NEP 50 promotion, NEP 51 scalar reprs, removed aliases, shape changes, sort order), and
controls that did not.

Spliced into the probe runner (see probe_cases); ``np`` is the target's own, set by the runner
before any case runs. Helpers are prefixed ``_np_``: every suite shares one namespace in the target.
Each case imports nothing beyond numpy: the suite must cost little more than numpy's own import.
"""

from __future__ import annotations

from typing import Any

from envaudit.inprocess.probe_cases import begin_suite, case  # envaudit: splice probe_cases.py
from envaudit.inprocess.probe_render import typed  # envaudit: splice probe_render.py

np: Any = None  # set by the runner: the target's numpy

begin_suite("numpy")

_NP_NEP50 = "NEP 50: a Python scalar no longer decides the result's type by its value"


# --- promotion (NEP 50) ---------------------------------------------------------------------------


@case(
    "promotion",
    "np.float32(3) + 3.0: the type of the sum",
    {"2.0": "NEP 50: a Python float keeps a float32 scalar float32 (was float64): less precision"},
)
def np_float32_scalar_plus_python_float() -> Any:
    return typed(np.float32(3) + 3.0)


@case(
    "promotion",
    "np.float16(1.1) * 3.3: the type and value of the product",
    {"2.0": "NEP 50: a Python float keeps a float16 scalar float16 (was float64): the value is rounded"},
)
def np_float16_scalar_times_python_float() -> Any:
    return typed(np.float16(1.1) * 3.3)


@case(
    "promotion",
    "np.result_type(an int8 array, 200)",
    {"2.0": _NP_NEP50 + ": int8 (was int16, big enough for 200)"},
)
def np_result_type_int8_python_int() -> Any:
    return str(np.result_type(np.array([1], dtype=np.int8), 200))


@case(
    "promotion",
    "a uint8 array plus -1 (a Python int)",
    {"2.0": _NP_NEP50 + ": -1 does not fit uint8, OverflowError (was an int16 result)"},
)
def np_uint8_array_plus_negative_int() -> Any:
    return np.array([1, 2], dtype=np.uint8) + (-1)


@case(
    "promotion",
    "a float32 array plus a numpy float64 scalar",
    {"2.0": "NEP 50: a numpy float64 scalar is as strong as an array: the result is float64 (was float32)"},
)
def np_float32_array_plus_float64_scalar() -> Any:
    return np.array([1.5, 2.5], dtype=np.float32) + np.float64(0.1)


@case(
    "promotion",
    "np.float32(0.1) == 0.1",
    {"2.0": "NEP 50: the comparison happens in float32, so np.float32(0.1) == 0.1 is now True"},
)
def np_float32_equals_python_float() -> Any:
    return bool(np.float32(0.1) == 0.1)


@case(
    "promotion",
    "np.where(cond, np.float32(1), 2.0): the result's dtype",
    {"2.0": "NEP 50: the Python float no longer makes the result float64: float32"},
)
def np_where_float32_python_float() -> Any:
    return np.where(np.array([True, False]), np.float32(1), 2.0)


@case(
    "promotion",
    "np.uint8(5) - 10: a uint8 scalar minus a Python int",
    {"2.0": "NEP 50: the result stays uint8 and wraps around to 251 (RuntimeWarning; was -5 as int64)"},
)
def np_uint8_scalar_minus_python_int() -> Any:
    return typed(np.uint8(5) - 10)


@case(
    "promotion",
    "np.array([300], dtype=np.int8): an out-of-bound Python int",
    {"2.0": "out-of-bound Python integers raise OverflowError (a DeprecationWarning and 44 before)"},
)
def np_int8_array_from_out_of_bound_int() -> Any:
    return np.array([300], dtype=np.int8)


@case("promotion", "a float32 array times a Python float (float32 in every numpy)")
def np_float32_array_times_python_float() -> Any:
    return np.array([1.5, 2.5], dtype=np.float32) * 2.5


@case("promotion", "an int8 array plus 1 (int8 in every numpy)")
def np_int8_array_plus_small_int() -> Any:
    return np.array([1, 2], dtype=np.int8) + 1


@case("promotion", "the mean of an int32 array (float64 in every numpy)")
def np_int32_mean() -> Any:
    return typed(np.array([1, 2, 4], dtype=np.int32).mean())


# --- scalar representation (NEP 51) -----------------------------------------------------------------


@case(
    "repr",
    "repr() of numpy scalars in a list (what f-strings, logs and str(list) show)",
    {"2.0": "NEP 51: numpy scalars repr as np.float64(1.5), np.int64(3), np.True_ (were 1.5, 3, True)"},
)
def np_scalar_repr_in_list() -> Any:
    return repr([np.float64(1.5), np.int64(3), np.bool_(True)])


@case("repr", "str() and format() of a numpy scalar (unchanged by NEP 51)")
def np_scalar_str() -> Any:
    return [str(np.float64(1.5)), "%s" % np.float32(0.25), "{}".format(np.int64(3))]


# --- removed aliases and functions ------------------------------------------------------------------


@case("removed", "np.NaN", {"2.0": "np.NaN is removed (AttributeError): use np.nan"})
def np_alias_nan() -> Any:
    return float(np.NaN)


@case("removed", "np.float_(1)", {"2.0": "np.float_ is removed (AttributeError): use np.float64"})
def np_alias_float_() -> Any:
    return float(np.float_(1))


@case(
    "removed",
    "np.product([2, 3])",
    {"1.25": "np.product is deprecated (DeprecationWarning)", "2.0": "np.product is removed: use np.prod"},
)
def np_product() -> Any:
    return int(np.product([2, 3]))


@case(
    "removed",
    "np.find_common_type([np.int8], [np.float32])",
    {
        "1.25": "np.find_common_type is deprecated (DeprecationWarning)",
        "2.0": "np.find_common_type is removed: use np.result_type or np.promote_types",
    },
)
def np_find_common_type() -> Any:
    return str(np.find_common_type([np.int8], [np.float32]))


@case("removed", "ndarray.ptp()", {"2.0": "the ndarray.ptp method is removed (AttributeError): use np.ptp"})
def np_ndarray_ptp() -> Any:
    return int(np.arange(3).ptp())


@case(
    "removed",
    "np.in1d([1, 2], [2])",
    {"2.0": "np.in1d is deprecated (DeprecationWarning): use np.isin", "2.4": "np.in1d is removed"},
)
def np_in1d() -> Any:
    return np.in1d([1, 2], [2])


@case(
    "removed",
    "np.trapz([1, 2, 3])",
    {"2.0": "np.trapz is deprecated (DeprecationWarning): use np.trapezoid", "2.4": "np.trapz is removed"},
)
def np_trapz() -> Any:
    return float(np.trapz([1, 2, 3]))


@case(
    "removed",
    "np.percentile(..., interpolation='lower')",
    {"2.4": "the interpolation= argument (deprecated since 1.22) is removed: TypeError, use method="},
)
def np_percentile_interpolation() -> Any:
    return int(np.percentile([1, 2, 3, 4], 40, interpolation="lower"))


@case(
    "removed",
    "np.reshape(a, newshape=...)",
    {
        "2.1": "the newshape= keyword is deprecated (DeprecationWarning)",
        "2.4": "newshape= is removed: TypeError",
    },
)
def np_reshape_newshape() -> Any:
    return np.reshape(np.arange(4), newshape=(2, 2))


@case(
    "removed",
    "np.array(values, dtype=float, copy=False) where a copy is needed",
    {"2.0": "copy=False now means never copy: ValueError where a copy is needed (use np.asarray)"},
)
def np_array_copy_false() -> Any:
    return np.array([1, 2], dtype=float, copy=False)


@case(
    "removed",
    "np.nonzero of a 0-d array",
    {"2.1": "nonzero of a 0-d array is an error (deprecated since 1.17): ValueError"},
)
def np_nonzero_0d() -> Any:
    return np.nonzero(np.array(1))


# --- shapes --------------------------------------------------------------------------------------


@case(
    "shapes",
    "np.unique(2-D array, return_inverse=True): the inverse's shape",
    {"2.0": "the inverse has the input's shape (2, 2) (was flattened to (4,))"},
)
def np_unique_inverse_2d() -> Any:
    return np.unique(np.array([[1, 2], [2, 3]]), return_inverse=True)[1]


@case("shapes", "np.unique(axis=0, return_inverse=True): the inverse's shape (1-D in every numpy)")
def np_unique_inverse_axis() -> Any:
    return np.unique(np.array([[1, 2], [1, 2], [3, 4]]), axis=0, return_inverse=True)[1]


@case(
    "shapes",
    "np.linalg.solve(a stack of 3 matrices, b of shape (3, 2))",
    {"2.0": "b of shape (..., M) is a single vector only when 1-D: ValueError (use b[..., None])"},
)
def np_linalg_solve_batched_vector() -> Any:
    return np.linalg.solve(np.stack([np.eye(2)] * 3), np.ones((3, 2)))


@case("shapes", "np.linalg.solve with b of shape (..., M, 1) (the form that works everywhere)")
def np_linalg_solve_column() -> Any:
    return np.linalg.solve(np.stack([np.eye(2) * 2] * 3), np.ones((3, 2, 1)))


# --- sorting ---------------------------------------------------------------------------------------


@case(
    "sorting",
    "np.argsort of int64 values with ties (the default, unstable sort): the order of tied values",
    {
        "1.25": "argsort is vectorised on AVX-512 CPUs (x86-simd-sort): tied values come out in "
        "another order",
        "2.0": "argsort is vectorised with newer x86-simd-sort kernels (AVX2 CPUs too): another order "
        "of ties",
    },
)
def np_argsort_ties() -> Any:
    values = np.array([3, 1, 2, 1, 3, 1, 2, 1, 0, 1, 3, 1, 2, 2, 1, 3, 0, 1] * 4, dtype=np.int64)
    return np.argsort(values)


@case("sorting", "np.argsort(kind='stable') of values with ties (the same in every numpy)")
def np_argsort_stable() -> Any:
    values = np.array([3, 1, 2, 1, 3, 1, 2, 1, 0, 1, 3, 1, 2, 2, 1, 3, 0, 1] * 4, dtype=np.int64)
    return np.argsort(values, kind="stable")


# --- random streams and rounding (controls) -----------------------------------------------------


@case("random", "np.random.RandomState(0): the legacy stream (frozen by policy)")
def np_random_legacy_stream() -> Any:
    return np.random.RandomState(0).rand(4)


@case("random", "np.random.default_rng(0): the Generator stream")
def np_random_generator_stream() -> Any:
    rng = np.random.default_rng(0)
    return [rng.random(3), rng.integers(0, 100, 3), rng.permutation(6)]


@case("rounding", "np.round of halves (to even in every numpy)")
def np_round_half_even() -> Any:
    return np.round(np.array([0.5, 1.5, 2.5, -0.5]))


# --- numerics: the same versions, other numbers ------------------------------------------------


@case(
    "numerics",
    "float64 dot product of 200,000 values (every bit of the result)",
    runtime="BLAS splits a dot product across its threads and adds the parts in another order, and "
    "its kernel follows the CPU: another thread count (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, cgroup "
    "CPUs), BLAS or CPU gives other last bits",
)
def numpy_dot_threads() -> Any:
    rng = np.random.RandomState(0)  # the legacy generator: the same stream in every numpy
    x = rng.standard_normal(200000)
    y = rng.standard_normal(200000)
    return float(np.dot(x, y)).hex()
