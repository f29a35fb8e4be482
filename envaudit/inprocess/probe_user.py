"""The user's own probes, run in the target: their function on their data, and their pickled model.

Spliced into the probe runner (see probe_cases). The data is read with pandas where the target has
it (CSV, Parquet, JSON) and with numpy where it has only numpy (CSV: a 2-D float array, or a
structured array named by the CSV's header; .npy: the array it holds). Outputs are rendered the
same way whichever library made them, so any two environments compare: a table (a DataFrame, or a
1-/2-D array) by rows and columns, anything else (a scalar, a list or dict of arrays) by named parts,
each with its type, shape and values. A probe this target cannot run at all (the library its data or
its code needs is missing) is "not-run" with the reason, never silently nothing.
"""

from __future__ import annotations

import base64
import io
import json
import math
import pickle
import re
import types
from typing import Any, Dict, List, Optional, Tuple

# One name list per line: each line is one splice marker (the first splices, the rest are dropped).
# isort: off
from envaudit.inprocess.probe_render import _clean_message, _digest  # envaudit: splice probe_render.py
from envaudit.inprocess.probe_render import _guarded, _value, _values  # envaudit: splice probe_render.py
from envaudit.inprocess.probe_render import canonical  # envaudit: splice probe_render.py
# isort: on

pd: Any = None  # set by the runner: the target's pandas, or None where it has none
np: Any = None  # the target's numpy, or None

MAX_CELLS = 200000  # output values kept for comparison (beyond: fingerprints only)
MAX_GAP_ROWS = 10000  # input rows with missing values listed, to explain rows dropped
MODEL_METHODS = ("predict", "predict_proba", "transform")
# scikit-learn's InconsistentVersionWarning (a UserWarning before 1.3) says it in these words.
_PICKLED_WITH = re.compile(r"unpickle estimator (\S+) from version (\S+) when using version (\S+?)\.? ")


class NotRun(Exception):
    """This target cannot run the probe at all: a library it needs is missing. The reason says which."""


# --- reading the data ---------------------------------------------------------------------------


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return field.strip() == ""  # an empty cell is a missing number, not a column name
    return True


def _numpy_csv(data: bytes) -> Any:
    """A CSV as numpy reads it: with a header, a structured array named by it; without, 2-D floats."""
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0].rstrip("\r")
    if all(_is_number(field) for field in first.split(",")):
        values = np.genfromtxt(io.StringIO(text), delimiter=",", dtype=float)
        return np.asarray(values, dtype=float).reshape(-1, len(first.split(",")))
    # Numbers (and gaps) only: float columns, gaps NaN. numpy's own inference would make a column
    # that is all gaps bool (False), and an integer column with a gap -1.
    rows = text.split("\n", 1)[1] if "\n" in text else ""
    numeric = all(_is_number(field) for line in rows.splitlines() for field in line.split(","))
    dtype = float if numeric else None
    values = np.genfromtxt(io.StringIO(text), delimiter=",", names=True, dtype=dtype, encoding="utf-8")
    return np.atleast_1d(values)  # a single row reads as a 0-d record


def load_input(name: str, fmt: str, data: bytes) -> Any:
    """The user's data as their code gets it; NotRun when this target lacks the library to read it."""
    if fmt == "npy":
        if np is None:
            raise NotRun("reading %s needs numpy, which cannot be imported here" % name)
        return np.load(io.BytesIO(data), allow_pickle=False)  # never code: .npy holds plain arrays
    if pd is not None:
        buffer = io.BytesIO(data)
        if fmt == "csv":
            return pd.read_csv(buffer)
        if fmt == "parquet":
            return pd.read_parquet(buffer)
        if fmt == "json":
            return pd.read_json(buffer)
        raise ValueError("unknown data format %r for %s" % (fmt, name))
    if np is None:
        raise NotRun("neither pandas nor numpy can be imported here")
    if fmt != "csv":
        raise NotRun("reading %s needs pandas, which is not installed here (numpy reads CSV and .npy)" % name)
    return _numpy_csv(data)


# --- describing tables ------------------------------------------------------------------------------


def _is_frame(value: Any) -> bool:
    return pd is not None and isinstance(value, pd.DataFrame)


def _columns(array: Any) -> Optional[List[Tuple[str, Any]]]:
    """A 1-D, 2-D or structured array as named columns (as pandas would name them), else None."""
    if np is None or not isinstance(array, np.ndarray):
        return None
    if array.dtype.names and array.ndim == 1:
        return [(str(n), array[n]) for n in array.dtype.names]
    if array.ndim == 1:
        return [("0", array)]
    if array.ndim == 2:
        return [(str(i), array[:, i]) for i in range(array.shape[1])]
    return None


def _missing(column: Any) -> Any:
    """A boolean mask of the missing values of one numpy column (NaN, NaT, None)."""
    kind = column.dtype.kind
    if kind in "fc":
        return np.isnan(column)
    if kind in "mM":
        return np.isnat(column)
    if kind == "O":
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in column], dtype=bool)
    return np.zeros(len(column), dtype=bool)


def _nan_counts(table: Any) -> List[List[Any]]:
    if _is_frame(table):
        return [[str(c), int(n)] for c, n in table.isna().sum().items()]
    return [[name, int(_missing(column).sum())] for name, column in _columns(table) or []]


def _gap_rows(table: Any) -> str:
    """Which input rows miss which columns: what explains rows dropped in one environment only."""
    if _is_frame(table):
        mask = table.isna()
        gaps = mask.any(axis=1)
        return json.dumps(
            [
                [_value(label), [str(c) for c in table.columns[mask.loc[label].to_numpy()]]]
                for label in table.index[gaps.to_numpy()][:MAX_GAP_ROWS]
            ]
        )
    columns = _columns(table) or []
    masks = [(name, _missing(column)) for name, column in columns]
    rows = []
    for row in range(len(columns[0][1]) if columns else 0):
        missing = [name for name, mask in masks if mask[row]]
        if missing:
            rows.append([row, missing])
            if len(rows) >= MAX_GAP_ROWS:
                break
    return json.dumps(rows)


# --- rendering outputs --------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    """numpy's dtype for its values; the Python type, said so, for Python's (float vs numpy.float64)."""
    if np is not None and isinstance(value, (np.generic, np.ndarray)):
        return str(value.dtype)
    return "%s (Python)" % type(value).__name__


def _shape(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is None:
        return "(%d,)" % len(value) if isinstance(value, (list, tuple)) else "()"
    return "(%s%s)" % (", ".join(str(n) for n in shape), "," if len(shape) == 1 else "")


def _parts(result: Any) -> List[Tuple[str, Any]]:
    """A result that is not a table, as named parts: a dict's keys, a list's positions, or itself."""
    if isinstance(result, dict):
        return [("[%r]" % (k,), v) for k, v in result.items()]
    if isinstance(result, (list, tuple)) and any(
        isinstance(v, (list, tuple, dict)) or (np is not None and isinstance(v, np.ndarray)) for v in result
    ):
        return [("[%d]" % i, v) for i, v in enumerate(result)]
    return [("result", result)]


def _flat(value: Any) -> List[Any]:
    if np is not None and isinstance(value, np.ndarray):
        return _values(value.reshape(-1))
    if isinstance(value, (list, tuple)):
        try:
            return _values(np.asarray(value).reshape(-1)) if np is not None else [_value(v) for v in value]
        except Exception:  # ragged or mixed: each value as it is
            return [_value(v) for v in value]
    return [_value(value)]


def render_output(result: Any, out: Dict[str, Any]) -> None:
    """``out`` gains the output's rows, missing values, columns, dtypes, shapes, values, fingerprint."""
    if pd is not None and isinstance(result, pd.Series):
        result = result.to_frame()
    if hasattr(result, "toarray") and hasattr(result, "nnz"):  # a scipy sparse matrix (an encoder's)
        result = result.toarray()
    table = _is_frame(result) or _columns(result) is not None
    out["kind"] = "table" if table else "values"
    out["fingerprint"] = _digest(canonical(result))
    if table:
        columns = (
            [(str(c), result.iloc[:, i]) for i, c in enumerate(result.columns)]
            if _is_frame(result)
            else _columns(result) or []
        )
        rows = len(result)
        out["rows_out"] = rows
        out["nan_out"] = _nan_counts(result)
        out["columns"] = [name for name, _ in columns]
        if _is_frame(result):
            out["dtypes"] = [[str(c), str(t)] for c, t in result.dtypes.items()]
        elif result.dtype.names:
            out["dtypes"] = [[name, str(column.dtype)] for name, column in columns]
        else:
            out["dtypes"] = [["result", str(result.dtype)]]
            out["shapes"] = [["result", _shape(result)]]
        cells = rows * max(1, len(columns))
        out["truncated"] = cells > MAX_CELLS
        limit = max(1, MAX_CELLS // max(1, len(columns))) if out["truncated"] else None
        index = result.index if _is_frame(result) else range(rows)
        out["index"] = json.dumps(_values(index, limit))
        out["values"] = json.dumps([[name, _values(column, limit)] for name, column in columns])
        return
    parts = _parts(result)
    out["columns"] = [name for name, _ in parts]
    out["dtypes"] = [[name, _type_name(v)] for name, v in parts]
    out["shapes"] = [[name, _shape(v)] for name, v in parts]
    flat = [(name, _flat(v)) for name, v in parts]
    out["nan_out"] = [[name, sum(1 for x in values if x in ("NaN", "NaT", "None"))] for name, values in flat]
    out["truncated"] = sum(len(values) for _, values in flat) > MAX_CELLS
    out["values"] = json.dumps([[name, values[:MAX_CELLS]] for name, values in flat])


# --- the user's function ------------------------------------------------------------------------


def _base(spec: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "name": spec["name"],
        "data": spec["data_name"],
        "data_sha256": spec.get("data_sha256", ""),
        "status": "ok",
        "warnings": [],
    }


def _read(spec: Dict[str, Any], out: Dict[str, Any]) -> Any:
    """The input, with rows and missing values noted in ``out``; None (and ``out`` says why) if unread."""
    try:
        table = load_input(spec["data_name"], spec["format"], base64.b64decode(spec["data"]))
    except NotRun as exc:
        out.update(status="not-run", error_type="NotRun", error=str(exc))
        return None
    except Exception as exc:  # this target cannot read the data: that is the result
        out.update(
            status="error",
            error_type=type(exc).__name__,
            error="reading %s: %s" % (spec["data_name"], _clean_message(exc)),
        )
        return None
    if _is_frame(table) or _columns(table) is not None:
        out["rows_in"] = len(table)
        out["nan_in"] = _nan_counts(table)
        out["missing_rows"] = _gap_rows(table)
    return table


def _failed(out: Dict[str, Any], record: Dict[str, Any]) -> None:
    status = record["status"]
    if record.get("error_type") in ("ModuleNotFoundError", "ImportError"):
        # The code needs a library this target lacks: it cannot run here, which is not a result.
        status = "not-run"
        record = dict(record, error="its code needs a library missing here: %s" % record["error"])
    out.update(status=status, error_type=record["error_type"], error=record["error"])


def run_user(spec: Dict[str, Any]) -> Dict[str, Any]:
    """A user's function on the user's data: rows and missing values in and out, dtypes, values."""
    out = _base(spec)
    table = _read(spec, out)
    if out["status"] != "ok":
        return out
    module = types.ModuleType("envaudit_user_probe")
    module.__file__ = spec["file"]

    def call() -> Any:
        # The user asked for their own function to run here: --function FILE.py:NAME.
        exec(compile(spec["source"], spec["file"], "exec"), module.__dict__)  # noqa: S102
        fn = getattr(module, spec["function"], None)
        if not callable(fn):
            raise AttributeError("%s defines no function %s" % (spec["file"], spec["function"]))
        result = fn(table)
        return table if result is None else result  # a function that works in place returns nothing

    record = _guarded(call, spec.get("timeout", 60))
    out["warnings"] = record["warnings"]
    if record["status"] != "ok":
        _failed(out, record)
        return out
    try:
        render_output(record["value"], out)
    except Exception as exc:  # a result we cannot render is reported, not fatal
        out.update(
            status="error", error_type=type(exc).__name__, error="cannot render: %s" % _clean_message(exc)
        )
    return out


# --- the user's model ---------------------------------------------------------------------------


def _unpickle(spec: Dict[str, Any]) -> Any:
    # The user's own model file (--model), trusted as their own code: unpickling runs code.
    data = base64.b64decode(spec["model"])
    try:
        import joblib  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        if spec.get("model_format") == "joblib":
            raise
        return pickle.loads(data)  # noqa: S301
    return joblib.load(io.BytesIO(data))


def _pickled_with(warnings_seen: List[Dict[str, str]]) -> List[List[str]]:
    """[estimator, pickled with, loaded with] from scikit-learn's unpickling warnings."""
    found = []
    for w in warnings_seen:
        match = _PICKLED_WITH.search(w["message"] + " ")
        if match and list(match.groups()) not in found:
            found.append(list(match.groups()))
    return found


def _has(model: Any, method: str) -> bool:
    try:  # scikit-learn's available_if raises AttributeError from hasattr's probe: not available
        return callable(getattr(model, method, None))
    except Exception:
        return False


def _model_input(model: Any, table: Any) -> Any:
    """What the model is fed: a DataFrame if it was fitted on one (it knows the column names), else
    a 2-D float array."""
    if _is_frame(table):
        return table if hasattr(model, "feature_names_in_") else table.to_numpy()
    if np is not None and isinstance(table, np.ndarray) and table.dtype.names:
        try:
            return np.column_stack([table[name].astype(float) for name in table.dtype.names])
        except (TypeError, ValueError):  # text columns: the model decides what it makes of them
            return table
    return table


def _calling(method: Any, features: Any) -> Any:
    """A function of no arguments calling ``method(features)``: what _guarded runs."""
    return lambda: method(features)


def run_model(spec: Dict[str, Any]) -> Dict[str, Any]:
    """The user's fitted model, loaded here and run on the user's data: each method's output."""
    out = _base(spec)
    out.update(estimator="", pickled_with=[], outputs=[])
    table = _read(spec, out)
    if out["status"] != "ok":
        return out
    timeout = spec.get("timeout", 60)
    loaded = _guarded(lambda: _unpickle(spec), timeout)
    out["warnings"] = loaded["warnings"]
    out["pickled_with"] = _pickled_with(loaded["warnings"])
    if loaded["status"] != "ok":
        out.update(status=loaded["status"], error_type=loaded["error_type"], error=loaded["error"])
        return out
    model = loaded["value"]
    out["estimator"] = "%s.%s" % (type(model).__module__, type(model).__name__)
    features = _model_input(model, table)
    for method in MODEL_METHODS:
        if not _has(model, method):
            continue
        result: Dict[str, Any] = {"name": method, "data": spec["data_name"], "status": "ok", "warnings": []}
        record = _guarded(_calling(getattr(model, method), features), timeout)
        result["warnings"] = record["warnings"]
        if record["status"] != "ok":
            result.update(status=record["status"], error_type=record["error_type"], error=record["error"])
        else:
            try:
                render_output(record["value"], result)
            except Exception as exc:  # reported, not fatal
                result.update(status="error", error_type=type(exc).__name__, error="cannot render: %s" % exc)
        out["outputs"].append(result)
    if not out["outputs"]:
        out.update(
            status="error",
            error_type="TypeError",
            error="%s has no predict, predict_proba or transform" % out["estimator"],
        )
    return out
