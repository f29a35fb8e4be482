"""envaudit's behavioural probe runner, sent to a target's interpreter on stdin (``python -I -``).

It needs only the standard library and the target's own pandas. It runs the canonical suite, small
deterministic pandas programs on fixed data chosen from real behaviour changes between pandas 1.5
and 3.1 (and controls that did not change), then the user's own probes, and prints one JSON
document after MARKER. Every case is isolated: fresh data, its own warnings record, its own
exception, its own time limit. Results are rendered canonically (the same text for the same value
whatever the numpy version) and fingerprinted, so two environments can be compared case by case.

Like the scanner it must run on Python 3.8+: annotations stay strings (the __future__ import). It
imports pandas only in main(); the host imports this module too, for the suite's metadata (CASES).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import signal
import sys
import time
import types
import warnings
from typing import Any, Callable

MARKER = "\n@@envaudit-probe-output@@\n"
DONE = "\n@@envaudit-done@@\n"  # said last: the result is complete (see the scanner's DONE)
SUITE_VERSION = "2026.12.1"
CASE_SECONDS = 20  # the most any canonical case may take
MAX_SHOWN = 40  # values kept per column for display; the fingerprint covers them all
MAX_CELLS = 200000  # user probe output values kept for comparison (beyond: fingerprints only)

pd: Any = None  # set in main(): the target's pandas (untyped here: it is the target's, not ours)
np: Any = None

CASES: list[Case] = []
CaseFn = Callable[[], Any]


class Case(object):
    """One canonical probe: a function of no arguments that returns a value to fingerprint.

    ``changes`` says at which pandas versions the result is known to change, and how, in plain
    language: {"3.0": "Copy-on-Write: ..."}; the suite's tests verify every claim on real venvs.
    ``runtime`` instead says which runtime fact (not a version) its result depends on.
    """

    def __init__(self, fn: CaseFn, area: str, title: str, changes: dict[str, str], runtime: str = "") -> None:
        self.id = fn.__name__
        self.fn = fn
        self.area = area
        self.title = title
        self.changes = changes
        self.runtime = runtime


def case(
    area: str, title: str, changes: dict[str, str] | None = None, runtime: str = ""
) -> Callable[[CaseFn], CaseFn]:
    def register(fn: CaseFn) -> CaseFn:
        CASES.append(Case(fn, area, title, changes or {}, runtime))
        return fn

    return register


# --- fillna ---------------------------------------------------------------------------------------


def _frame() -> Any:
    return pd.DataFrame({"a": [1.0, None, 3.0, None], "b": ["x", None, "z", "w"], "k": [1, 2, 1, 2]})


@case(
    "fillna",
    "fillna(inplace=True) on a selected column, by chained assignment",
    {
        "2.2": "an inplace method on df['col'] warns (FutureWarning): it stops working under Copy-on-Write",
        "3.0": "Copy-on-Write: an inplace method on df['col'] no longer updates the frame",
    },
)
def fillna_inplace_chained() -> Any:
    df = _frame()
    df["a"].fillna(0.0, inplace=True)
    return df[["a", "k"]]


@case(
    "fillna",
    "fillna(inplace=True) through a variable holding a column",
    {"3.0": "Copy-on-Write: a column taken into a variable is a copy; filling it leaves the frame alone"},
)
def fillna_inplace_variable() -> Any:
    df = _frame()
    column = df["a"]
    column.fillna(0.0, inplace=True)
    return df[["a", "k"]]


@case("fillna", "fillna assigned back with .loc (the recommended form)")
def fillna_loc_assign() -> Any:
    df = _frame()
    df.loc[:, "a"] = df["a"].fillna(df["a"].mean())
    return df[["a"]]


@case("fillna", "fillna assigned back to the column")
def fillna_assign_column() -> Any:
    df = _frame()
    df["a"] = df["a"].fillna(df["a"].mean())
    return df[["a", "k"]]


@case(
    "fillna",
    "fillna(method='ffill')",
    {"2.1": "fillna(method=) is deprecated (FutureWarning)", "3.0": "fillna(method=) is removed: TypeError"},
)
def fillna_method_ffill() -> Any:
    return pd.Series([1.0, None, None, 4.0]).fillna(method="ffill")


@case("fillna", "ffill() (the replacement for method='ffill')")
def fillna_ffill_method() -> Any:
    return pd.Series([1.0, None, None, 4.0]).ffill()


@case(
    "fillna",
    "fillna on an object column holding numbers: downcasting",
    {
        "2.2": "downcasting object results of fillna is deprecated (FutureWarning)",
        "3.0": "no more downcasting: the result stays object dtype",
    },
)
def fillna_object_downcast() -> Any:
    return pd.Series([1, None, 3], dtype=object).fillna(0)


@case(
    "fillna",
    "fillna on a column of strings",
    {"3.0": "strings get the new str dtype by default (NaN as the missing value)"},
)
def fillna_string_column() -> Any:
    return pd.Series(["a", None, "c"]).fillna("z")


@case(
    "fillna",
    "fillna with a dict, one value per column, then astype(str)",
    {"3.0": "astype(str) gives the new str dtype (was object)"},
)
def fillna_dict() -> Any:
    return _frame().fillna({"a": -1.0, "b": "?"})[["a", "b"]].astype(object).astype(str)


@case(
    "fillna",
    "modifying a selected column with .iloc",
    {"3.0": "Copy-on-Write: a selected column is never a view; the frame stays as it was"},
)
def column_view_modified() -> Any:
    df = _frame()
    column = df["a"]
    column.iloc[0] = 100.0
    return df[["a"]]


# --- dropna ---------------------------------------------------------------------------------------


@case("dropna", "dropna(subset=...)")
def dropna_subset() -> Any:
    return _frame().dropna(subset=["a"])[["a", "k"]]


@case("dropna", "dropna(thresh=3)")
def dropna_thresh() -> Any:
    return _frame().dropna(thresh=3)[["a", "k"]]


@case("dropna", "dropna(how='all') on numeric columns")
def dropna_how_all() -> Any:
    df = pd.DataFrame({"a": [1.0, None, None], "b": [2.0, None, 5.0]})
    return df.dropna(how="all")


@case("dropna", "dropna with both how and thresh (a TypeError in every version)")
def dropna_how_and_thresh() -> Any:
    return _frame().dropna(how="any", thresh=2)[["a"]]


@case(
    "dropna",
    "dropna on a string column with None, NaN and ''",
    {"3.0": "strings get the new str dtype by default (NaN as the missing value)"},
)
def dropna_strings() -> Any:
    return pd.Series(["a", None, "", float("nan"), "e"]).dropna()


@case(
    "dropna",
    "impute a column in place, then drop incomplete rows (rows lost?)",
    {
        "2.2": "an inplace method on df['col'] warns (FutureWarning): it stops working under Copy-on-Write",
        "3.0": "Copy-on-Write: the in-place fill no longer reaches the frame, so dropna drops those rows",
    },
)
def dropna_after_inplace_fill() -> Any:
    df = _frame()
    df["a"].fillna(df["a"].mean(), inplace=True)
    return df.dropna(subset=["a"])[["a", "k"]]


# --- reductions -----------------------------------------------------------------------------------


def _mixed() -> Any:
    return pd.DataFrame({"n": [1, 2, 3, 4], "f": [0.5, None, 1.5, 2.0], "s": ["a", "b", "c", "d"]})


@case(
    "reductions",
    "mean() of a frame with a string column (numeric_only default)",
    {"2.0": "numeric_only defaults to False: strings are no longer skipped, TypeError"},
)
def mean_mixed_frame() -> Any:
    return _mixed().mean()


@case("reductions", "mean(numeric_only=True) of a frame with a string column")
def mean_numeric_only() -> Any:
    return _mixed().mean(numeric_only=True)


@case("reductions", "mean of an object column holding numbers")
def mean_object_numbers() -> Any:
    return float(pd.Series([1, 2, 4], dtype=object).mean())


@case("reductions", "mean and sum of a bool column")
def mean_bool() -> Any:
    s = pd.Series([True, False, True, True])
    return [s.mean(), s.sum()]


@case(
    "reductions",
    "mean() of a frame with a datetime column",
    {"2.0": "numeric_only defaults to False: the datetime column is averaged too"},
)
def mean_datetime_frame() -> Any:
    df = pd.DataFrame({"n": [1, 3], "t": pd.to_datetime(["2024-01-01", "2024-01-03"])})
    return df.mean()


@case("reductions", "sum and mean of an empty float column (min_count default)")
def reductions_empty() -> Any:
    s = pd.Series([], dtype="float64")
    return [s.sum(), s.mean(), s.max()]


@case(
    "reductions",
    "groupby().mean() with a string column beside the numbers",
    {"2.0": "numeric_only defaults to False in groupby reductions: TypeError on the string column"},
)
def groupby_mean_nuisance() -> Any:
    return _mixed().assign(k=[1, 1, 2, 2]).groupby("k").mean()


@case("reductions", "groupby().sum() of numeric columns")
def groupby_sum_numeric() -> Any:
    return _mixed().assign(k=[1, 1, 2, 2])[["k", "n", "f"]].groupby("k").sum()


@case(
    "reductions",
    "groupby on a categorical with unused categories (observed default)",
    {
        "2.1": "observed=False default is deprecated (FutureWarning)",
        "3.0": "observed defaults to True: unused categories vanish",
    },
)
def groupby_categorical_observed() -> Any:
    df = pd.DataFrame({"c": pd.Categorical(["a", "a", "b"], categories=["a", "b", "z"]), "v": [1, 2, 3]})
    return df.groupby("c")["v"].sum()


@case(
    "reductions",
    "groupby().apply() over a frame including the grouping column",
    {
        "2.2": "apply operating on the grouping columns is deprecated (DeprecationWarning)",
        "2.3": "the deprecation is louder: a FutureWarning",
        "3.0": "the grouping columns are excluded from what apply sees",
    },
)
def groupby_apply_grouping_columns() -> Any:
    df = pd.DataFrame({"k": [1, 1, 2], "v": [10, 20, 30]})
    return df.groupby("k").apply(lambda g: g.sum())


@case(
    "reductions",
    "groupby().agg(np.std): a numpy function",
    {
        "2.1": "numpy functions mapped to pandas methods is deprecated (FutureWarning)",
        "3.0": "np.std is used as is: ddof=0 instead of pandas' ddof=1",
    },
)
def groupby_agg_numpy_std() -> Any:
    df = pd.DataFrame({"k": [1, 1, 1, 2, 2], "v": [1.0, 2.0, 4.0, 3.0, 5.0]})
    return df.groupby("k")["v"].agg(np.std)


@case("reductions", "groupby().agg('std') by name")
def groupby_agg_std_by_name() -> Any:
    df = pd.DataFrame({"k": [1, 1, 1, 2, 2], "v": [1.0, 2.0, 4.0, 3.0, 5.0]})
    return df.groupby("k")["v"].agg("std")


@case(
    "reductions",
    "pct_change() across a missing value",
    {
        "2.1": "the padding of missing values in pct_change is deprecated (FutureWarning)",
        "3.0": "no more padding: a change across NaN is NaN",
    },
)
def pct_change_missing() -> Any:
    return pd.Series([1.0, 2.0, None, 4.0]).pct_change()


# --- dtypes, strings and datetimes ------------------------------------------------------------------


@case(
    "dtypes",
    "dtype inferred for a list of strings",
    {"3.0": "the new str dtype is inferred for strings (was object)"},
)
def string_dtype_inference() -> Any:
    return pd.Series(["a", "b", None])


@case(
    "dtypes",
    "astype(str) of a column with a missing value",
    {"3.0": "astype(str) keeps missing values missing (was the string 'nan')"},
)
def astype_str_missing() -> Any:
    return pd.Series(["a", None, 1.5], dtype=object).astype(str).tolist()


@case(
    "dtypes",
    "read_csv: the dtype of a text column with a gap",
    {"3.0": "the new str dtype is inferred for strings (was object)"},
)
def read_csv_text_column() -> Any:
    return pd.read_csv(io.StringIO("a,b\n1,x\n2,\n3,z\n"))


@case(
    "dtypes",
    "to_datetime of date strings: the resolution",
    {"3.0": "datetimes parsed from strings get microsecond resolution (was nanosecond)"},
)
def to_datetime_resolution() -> Any:
    return pd.to_datetime(pd.Series(["2024-01-01 08:00", "2024-03-01 12:30"]))


@case(
    "dtypes",
    "to_datetime, then the values as int64 (epoch units)",
    {"3.0": "microsecond resolution: the integers are 1000x smaller"},
)
def datetime_as_int64() -> Any:
    return pd.to_datetime(pd.Series(["2024-01-01", "2024-01-02"])).astype("int64")


@case(
    "dtypes",
    "to_datetime of strings in mixed formats",
    {"2.0": "the format is inferred from the first value and applied to all: ValueError on the rest"},
)
def to_datetime_mixed_formats() -> Any:
    return pd.to_datetime(pd.Series(["2024-01-13", "01/14/2024"]))


@case(
    "dtypes",
    "replace() on an object column: downcasting",
    {
        "2.2": "downcasting in replace is deprecated (FutureWarning)",
        "3.0": "no more downcasting: the result stays object dtype",
    },
)
def replace_downcast() -> Any:
    return pd.Series(["1", "x", "3"], dtype=object).replace({"1": 1, "x": 2, "3": 3})


@case("dtypes", "astype('Int64'): nullable integers")
def astype_nullable_int() -> Any:
    return pd.Series([1.0, None, 3.0]).astype("Int64")


# --- value_counts, concat, merge, indexing ----------------------------------------------------------


@case(
    "value_counts",
    "value_counts(): the name of the result and of its index",
    {"2.0": "the result is named 'count' and its index takes the column's name"},
)
def value_counts_naming() -> Any:
    return pd.Series(["a", "b", "a"], name="letter").value_counts()


@case(
    "value_counts",
    "value_counts(normalize=True) naming",
    {"2.0": "the result is named 'proportion' and its index takes the column's name"},
)
def value_counts_normalize_naming() -> Any:
    return pd.Series([1, 1, 2], name="n").value_counts(normalize=True)


@case("concat", "concat with an empty object frame: the result's dtypes")
def concat_with_empty() -> Any:
    a = pd.DataFrame({"x": [1, 2]})
    b = pd.DataFrame({"x": pd.Series([], dtype=object)})
    return pd.concat([a, b], ignore_index=True)


@case("concat", "concat with an all-NA object column: the result's dtypes")
def concat_with_all_na() -> Any:
    a = pd.DataFrame({"x": [1, 2]})
    b = pd.DataFrame({"x": [None, None]}, dtype=object)
    return pd.concat([a, b], ignore_index=True)


@case(
    "concat",
    "concat of an int and a float frame",
    {"2.0": "pandas 1.5 under numpy 1.25+ warns (DeprecationWarning: np.find_common_type); values unchanged"},
)
def concat_plain() -> Any:
    return pd.concat([pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2.5]})], ignore_index=True)


@case(
    "merge",
    "inner merge: the order of the rows",
    {
        "2.2": "inner merge now keeps the order of the left keys",
        "3.0": "the string key column gets the new str dtype (was object)",
    },
)
def merge_inner_order() -> Any:
    left = pd.DataFrame({"k": ["b", "a", "b", "c"], "l": [1, 2, 3, 4]})
    right = pd.DataFrame({"k": ["a", "b", "c"], "r": [10, 20, 30]})
    return left.merge(right, on="k", how="inner")


@case(
    "merge",
    "left merge: the order of the rows",
    {"3.0": "the string key column gets the new str dtype (was object)"},
)
def merge_left_order() -> Any:
    left = pd.DataFrame({"k": ["b", "a", "c"], "l": [1, 2, 3]})
    right = pd.DataFrame({"k": ["a", "b"], "r": [10, 20]})
    return left.merge(right, on="k", how="left")


@case(
    "indexing",
    "s[0] on a Series with string labels",
    {
        "2.1": "integer keys as positions is deprecated (FutureWarning)",
        "3.0": "integer keys are labels: KeyError",
    },
)
def series_int_key_getitem() -> Any:
    s = pd.Series([10, 20, 30], index=["a", "b", "c"])
    return s[0]


@case("indexing", "s.iloc[0] on a Series with string labels")
def series_iloc() -> Any:
    return pd.Series([10, 20, 30], index=["a", "b", "c"]).iloc[0]


@case(
    "api",
    "Series.append",
    {"2.0": "Series.append is removed (AttributeError): use pd.concat"},
)
def series_append() -> Any:
    return pd.Series([1]).append(pd.Series([2]), ignore_index=True)


@case(
    "api",
    "DataFrame.applymap",
    {"2.1": "applymap is deprecated in favour of map (FutureWarning)", "3.0": "applymap is removed"},
)
def frame_applymap() -> Any:
    return pd.DataFrame({"a": [1, 2]}).applymap(lambda v: v * 10)


@case("api", "rolling(2).mean()")
def rolling_mean() -> Any:
    return pd.Series([1.0, 2.0, 4.0, 8.0]).rolling(2).mean()


@case("api", "sort_values on ties keeps the original order (stable)")
def sort_values_stable() -> Any:
    df = pd.DataFrame({"k": [2, 1, 2, 1], "v": ["a", "b", "c", "d"]})
    return df.sort_values("k", kind="stable")["v"].tolist()


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


# --- canonical rendering -------------------------------------------------------------------------


def _value(v: Any) -> Any:
    """One value as JSON, the same whatever numpy or pandas scalar type carries it."""
    if v is None:
        return "None"
    if v is pd.NaT:
        return "NaT"
    if v is pd.NA:
        return "<NA>"
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if f in (float("inf"), float("-inf")):
            return "inf" if f > 0 else "-inf"
        return float("%.12g" % f)
    if isinstance(v, str):
        return v
    if isinstance(v, pd.Timestamp):
        return "Timestamp(%s)" % v.isoformat()
    if isinstance(v, pd.Timedelta):
        return "Timedelta(%s)" % v.isoformat()
    if isinstance(v, np.datetime64):
        return "datetime64(%s)" % str(v)
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    return "%s(%s)" % (type(v).__name__, v)


def _values(obj: Any, limit: int | None = None) -> list[Any]:
    items = obj.tolist() if hasattr(obj, "tolist") else list(obj)
    return [_value(v) for v in (items if limit is None else items[:limit])]


def _index(index: Any) -> dict[str, Any]:
    dtype = str(index.dtype)
    # Labels that are strings: object before pandas 3, str after. The change shows in the cases on
    # string values; in every frame's labels it would only drown the rest.
    if dtype in ("object", "str", "string") and all(isinstance(v, str) for v in index):
        dtype = "text"
    return {"dtype": dtype, "name": _value(index.name), "values": _values(index)}


def canonical(obj: Any, limit: int | None = None) -> dict[str, Any]:
    """A JSON-able rendering of a result: kind, shape, dtypes, index and values."""
    if isinstance(obj, pd.DataFrame):
        return {
            "kind": "DataFrame",
            "shape": list(obj.shape),
            "columns": _index(obj.columns),
            "dtypes": [str(t) for t in obj.dtypes],
            "index": _index(obj.index),
            "values": [_values(obj.iloc[:, i], limit) for i in range(obj.shape[1])],
        }
    if isinstance(obj, pd.Series):
        return {
            "kind": "Series",
            "shape": [len(obj)],
            "name": _value(obj.name),
            "dtype": str(obj.dtype),
            "index": _index(obj.index),
            "values": _values(obj, limit),
        }
    if isinstance(obj, pd.Index):
        return {"kind": "Index", **_index(obj)}
    if isinstance(obj, (list, tuple)):
        return {"kind": "list", "values": [canonical(x, limit) for x in obj]}
    if isinstance(obj, dict):
        return {"kind": "dict", "values": [[_value(k), canonical(v, limit)] for k, v in obj.items()]}
    kind = type(obj).__name__
    if isinstance(obj, (np.floating, float)):
        kind = "float"
    elif isinstance(obj, (np.bool_, bool)):
        kind = "bool"
    elif isinstance(obj, (np.integer, int)):
        kind = "int"
    return {"kind": kind, "value": _value(obj)}


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


# --- running ---------------------------------------------------------------------------------------


class ProbeTimeout(BaseException):
    """A BaseException, like KeyboardInterrupt: user code's ``except Exception`` does not catch it."""


# Once a probe is over its time, the alarm fires again at this interval until the probe gives up,
# so even a handler that catches everything (``except BaseException``, bare ``except:``) in a
# loop is interrupted again the moment it goes on.
REARM_SECONDS = 0.25
# [running, fired]: the alarm raises only while a probe's own code runs, and a probe it fired on
# is a timeout even if its code caught every interruption and returned.
_probe_state = [False, False]


def _on_alarm(signum: int, frame: Any) -> None:
    if _probe_state[0]:
        _probe_state[1] = True
        raise ProbeTimeout()


def _clean_message(message: Any) -> str:
    text = str(message).strip().splitlines()[0] if str(message).strip() else ""
    # Addresses and file paths differ between runs and hosts, not between behaviours.
    out = []
    for word in text.split(" "):
        volatile = word.startswith("0x") or (os.sep in word and (word.startswith("/") or ":\\" in word))
        out.append("…" if volatile else word)
    return " ".join(out)[:300]


def _guarded(fn: Callable[[], Any], seconds: float) -> dict[str, Any]:
    """fn() with its warnings recorded and its exception or timeout captured: never raises."""
    record: dict[str, Any] = {"warnings": [], "status": "ok"}
    alarm = hasattr(signal, "setitimer")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if alarm:
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds, REARM_SECONDS)
        try:
            try:
                _probe_state[:] = [True, False]
                value = fn()
            finally:
                _probe_state[0] = False  # from here on the alarm no longer raises
                if alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            if _probe_state[1]:
                raise ProbeTimeout()  # it went over its time, whatever it caught on the way
            record["value"] = value
        except ProbeTimeout:
            record.update(status="timeout", error_type="Timeout", error="took longer than %gs" % seconds)
        except Exception as exc:  # what a case raises is its result
            record.update(status="error", error_type=type(exc).__name__, error=_clean_message(exc))
    seen = set()
    for w in caught:
        item = (w.category.__name__, _clean_message(w.message))
        if item not in seen:
            seen.add(item)
            record["warnings"].append({"category": item[0], "message": item[1]})
    return record


def run_case(c: Case) -> dict[str, Any]:
    started = time.perf_counter()
    record = _guarded(c.fn, CASE_SECONDS)
    out: dict[str, Any] = {"id": c.id, "status": record["status"], "warnings": record["warnings"]}
    if record["status"] == "ok":
        try:
            full = canonical(record["value"])
            out["fingerprint"] = _digest(full)
            out["result"] = json.dumps(canonical(record["value"], MAX_SHOWN), sort_keys=True)
        except Exception as exc:  # a result we cannot render is reported, not fatal
            out.update(status="error", error_type=type(exc).__name__, error="cannot render: %s" % exc)
    else:
        out.update(error_type=record["error_type"], error=record["error"])
    out["seconds"] = round(time.perf_counter() - started, 4)
    return out


def _nan_counts(frame: Any) -> list[list[Any]]:
    return [[str(c), int(n)] for c, n in frame.isna().sum().items()]


def _read_data(name: str, fmt: str, data: bytes) -> Any:
    buffer = io.BytesIO(data)
    if fmt == "csv":
        return pd.read_csv(buffer)
    if fmt == "parquet":
        return pd.read_parquet(buffer)
    if fmt == "json":
        return pd.read_json(buffer)
    raise ValueError("unknown data format %r for %s" % (fmt, name))


def run_user(spec: dict[str, Any]) -> dict[str, Any]:
    """A user's function on the user's data: rows and missing values in and out, dtypes, values."""
    out: dict[str, Any] = {
        "name": spec["name"],
        "data": spec["data_name"],
        "data_sha256": spec.get("data_sha256", ""),
        "status": "ok",
        "warnings": [],
    }
    try:
        frame = _read_data(spec["data_name"], spec["format"], base64.b64decode(spec["data"]))
    except Exception as exc:  # this target cannot read the data: that is the result
        out.update(
            status="error",
            error_type=type(exc).__name__,
            error="reading %s: %s" % (spec["data_name"], _clean_message(exc)),
        )
        return out
    out["rows_in"] = len(frame)
    out["nan_in"] = _nan_counts(frame)
    # Which input rows miss which columns: what explains rows dropped in one environment only.
    mask = frame.isna()
    gaps = mask.any(axis=1)
    out["missing_rows"] = json.dumps(
        [
            [_value(label), [str(c) for c in frame.columns[mask.loc[label].to_numpy()]]]
            for label in frame.index[gaps.to_numpy()][:10000]
        ]
    )
    module = types.ModuleType("envaudit_user_probe")
    module.__file__ = spec["file"]

    def call() -> Any:
        # The user asked for their own function to run here: --function FILE.py:NAME.
        exec(compile(spec["source"], spec["file"], "exec"), module.__dict__)  # noqa: S102
        fn = getattr(module, spec["function"], None)
        if not callable(fn):
            raise AttributeError("%s defines no function %s" % (spec["file"], spec["function"]))
        result = fn(frame)
        return frame if result is None else result  # a function that works in place returns nothing

    record = _guarded(call, spec.get("timeout", 60))
    out["warnings"] = record["warnings"]
    if record["status"] != "ok":
        out.update(status=record["status"], error_type=record["error_type"], error=record["error"])
        return out
    result = record["value"]
    if isinstance(result, pd.Series):
        result = result.to_frame()
    elif isinstance(result, np.ndarray) and result.ndim in (1, 2):  # e.g. a scaler's output
        result = pd.DataFrame(result)
    if not isinstance(result, pd.DataFrame):
        out.update(
            status="error",
            error_type="TypeError",
            error="returned %s, not a DataFrame" % type(result).__name__,
        )
        return out
    out["rows_out"] = len(result)
    out["nan_out"] = _nan_counts(result)
    out["dtypes"] = [[str(c), str(t)] for c, t in result.dtypes.items()]
    full = canonical(result)
    out["fingerprint"] = _digest(full)
    cells = result.shape[0] * max(1, result.shape[1])
    out["truncated"] = cells > MAX_CELLS
    limit = max(1, MAX_CELLS // max(1, result.shape[1])) if out["truncated"] else None
    out["index"] = json.dumps(_values(result.index, limit))
    out["values"] = json.dumps(
        [
            [
                str(c),
                _values(result[c] if not result.columns.duplicated().any() else result.iloc[:, i], limit),
            ]
            for i, c in enumerate(result.columns)
        ]
    )
    return out


def _version(module_name: str) -> str | None:
    try:
        from importlib import metadata

        return metadata.version(module_name)
    except Exception:  # not installed, or Python < 3.8's missing metadata
        return None


def main(argv: list[str], payload: dict[str, Any]) -> int:
    global pd, np
    options = json.loads(argv[1]) if len(argv) > 1 else {}
    started = time.perf_counter()
    result: dict[str, Any] = {
        "probe_protocol": 1,
        "suite_version": SUITE_VERSION,
        "python": sys.version.split()[0],
    }
    try:
        import numpy  # type: ignore[import-not-found,unused-ignore]
        import pandas  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        result.update(applicable=False, reason="pandas cannot be imported here (%s)" % exc, cases=[], user=[])
    else:
        pd, np = pandas, numpy
        result.update(
            applicable=True, pandas=pandas.__version__, numpy=numpy.__version__, pyarrow=_version("pyarrow")
        )
        wanted = set(options.get("cases") or [])
        result["cases"] = [
            run_case(c) for c in CASES if options.get("canonical", True) and (not wanted or c.id in wanted)
        ]
        result["user"] = [run_user(spec) for spec in payload.get("user", [])]
    result["seconds"] = round(time.perf_counter() - started, 3)
    sys.stdout.write(MARKER + json.dumps(result) + DONE)
    sys.stdout.flush()
    return 0


PAYLOAD: dict[str, Any] = {}  # replaced by envaudit with the user probes' code and data

if __name__ == "__main__":
    sys.exit(main(sys.argv, PAYLOAD))
