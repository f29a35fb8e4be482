"""The pandas suite: small deterministic pandas programs on fixed data, chosen from real behaviour
changes between pandas 1.5 and 3.1 (and controls that did not change).

Spliced into the probe runner (see probe_cases); ``pd`` and ``np`` are the target's own, set by the
runner before any case runs. Every top-level name here shares one namespace with the other suites
in the target: helpers are prefixed with the suite's name where they could clash.
"""

from __future__ import annotations

import io
from typing import Any

from envaudit.inprocess.probe_cases import begin_suite, case  # envaudit: splice probe_cases.py

pd: Any = None  # set by the runner: the target's pandas (untyped here: it is the target's, not ours)
np: Any = None

begin_suite("pandas")


# --- fillna --------------------------------------------------------------------------------------


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
