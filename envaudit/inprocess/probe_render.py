"""Canonical rendering of probe results, and running one probe under a time limit.

Spliced into the probe runner (see probe_cases). Results are rendered canonically (the same text
for the same value whatever the numpy version carries it) and fingerprinted, so two environments
can be compared case by case. pandas may be absent (a numpy- or scikit-learn-only target): every
pandas type test is guarded. Standard library only until the runner sets ``pd`` and ``np``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import time
import warnings
from typing import Any, Callable

pd: Any = None  # set by the runner: the target's pandas, or None where it has none
np: Any = None  # the target's numpy, or None

MAX_SHOWN = 40  # values kept per column for display; the fingerprint covers them all
CASE_SECONDS = 20  # the most any canonical case may take


# --- canonical rendering -------------------------------------------------------------------------


def _value(v: Any) -> Any:
    """One value as JSON, the same whatever numpy or pandas scalar type carries it."""
    if v is None:
        return "None"
    if pd is not None and v is pd.NaT:
        return "NaT"
    if pd is not None and v is pd.NA:
        return "<NA>"
    if isinstance(v, bool) or (np is not None and isinstance(v, np.bool_)):
        return bool(v)
    if isinstance(v, int) or (np is not None and isinstance(v, np.integer)):
        return int(v)
    if isinstance(v, float) or (np is not None and isinstance(v, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if f in (float("inf"), float("-inf")):
            return "inf" if f > 0 else "-inf"
        return float("%.12g" % f)
    if isinstance(v, str):
        return v
    if pd is not None and isinstance(v, pd.Timestamp):
        return "Timestamp(%s)" % v.isoformat()
    if pd is not None and isinstance(v, pd.Timedelta):
        return "Timedelta(%s)" % v.isoformat()
    if np is not None and isinstance(v, np.datetime64):
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
    if pd is not None and isinstance(obj, pd.DataFrame):
        return {
            "kind": "DataFrame",
            "shape": list(obj.shape),
            "columns": _index(obj.columns),
            "dtypes": [str(t) for t in obj.dtypes],
            "index": _index(obj.index),
            "values": [_values(obj.iloc[:, i], limit) for i in range(obj.shape[1])],
        }
    if pd is not None and isinstance(obj, pd.Series):
        return {
            "kind": "Series",
            "shape": [len(obj)],
            "name": _value(obj.name),
            "dtype": str(obj.dtype),
            "index": _index(obj.index),
            "values": _values(obj, limit),
        }
    if pd is not None and isinstance(obj, pd.Index):
        return {"kind": "Index", **_index(obj)}
    if np is not None and isinstance(obj, np.ndarray):
        return {
            "kind": "ndarray",
            "dtype": str(obj.dtype),
            "shape": list(obj.shape),
            "values": _values(obj.reshape(-1), limit),
        }
    if isinstance(obj, (list, tuple)):
        return {"kind": "list", "values": [canonical(x, limit) for x in obj]}
    if isinstance(obj, dict):
        return {"kind": "dict", "values": [[_value(k), canonical(v, limit)] for k, v in obj.items()]}
    kind = type(obj).__name__
    if isinstance(obj, float) or (np is not None and isinstance(obj, np.floating)):
        kind = "float"
    elif isinstance(obj, bool) or (np is not None and isinstance(obj, np.bool_)):
        kind = "bool"
    elif isinstance(obj, int) or (np is not None and isinstance(obj, np.integer)):
        kind = "int"
    return {"kind": kind, "value": _value(obj)}


def typed(value: Any) -> dict[str, Any]:
    """A result whose type is part of it: numpy's float64 and Python's float render alike in
    canonical(), so a case that is about the type (a metric's, a promotion's) says it."""
    dtype = getattr(value, "dtype", None)
    return {"type": type(value).__name__, "dtype": "" if dtype is None else str(dtype), "value": value}


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


def run_case(c: Any) -> dict[str, Any]:
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
