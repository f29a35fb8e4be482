"""Probe results of two environments, compared case by case, as findings.

Silent drift (a different result and no warning in either environment) is the worst kind: nothing
in the logs announces it. Each finding says what differs (values, dtype, shape, an exception) and
the version change behind it, from the suite's own notes on when each behaviour changed (each
suite's notes name versions of its own library: pandas, numpy or scikit-learn). The user's probes
and models are compared output by output; one that could not run somewhere is said so, never
passed over.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from envaudit import defaults
from envaudit.findings import Finding, Labelled, Severity, finding
from envaudit.inprocess.probe_cases import SUITES
from envaudit.inprocess.probe_runner import CASES  # importing the runner registers every suite
from envaudit.model import (
    PROBED_LIBRARIES,
    ModelProbe,
    ProbeCase,
    ProbeRun,
    ProbeStatus,
    Snapshot,
    StrPairs,
    UserProbe,
)
from envaudit.rules import (
    MODEL_NOT_LOADED,
    MODEL_PICKLED_WITH,
    MODEL_PREDICTIONS,
    MODEL_PROBABILITIES,
    PROBE_DRIFT,
    PROBE_EXCEPTION,
    PROBE_SILENT_DRIFT,
    PROBE_WARNINGS,
    PROBES_NOT_COMPARED,
    USER_PROBE_DTYPES,
    USER_PROBE_FAILED,
    USER_PROBE_MISSING_VALUES,
    USER_PROBE_NOT_RUN,
    USER_PROBE_ROWS,
    USER_PROBE_SHAPE,
    USER_PROBE_VALUES,
    USER_PROBE_WARNINGS,
)

CHECK = "probes"
SHOWN = 6  # values shown per side in a message
_CASES = {c.id: c for c in CASES}


def _minor(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    parts = version.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (ValueError, IndexError):
        return None


def _versions(ref: ProbeRun, other: ProbeRun, first: str) -> str:
    """``pandas 2.2.3 → 3.0.6, numpy 2.1.3 → 2.3.5``: the suite's library first, then what else moved."""
    keys = [first, *(k for k in PROBED_LIBRARIES if k != first)]
    parts = []
    for key in keys:
        a, b = ref.version(key), other.version(key)
        name = PROBED_LIBRARIES[key]
        if key == first:
            parts.append(f"{name} {a} → {b}" if a != b else f"{name} {a}")
        elif a != b and (a or b):
            parts.append(f"{name} {a or 'absent'} → {b or 'absent'}")
    return ", ".join(parts)


def explanation(case_id: str, ref: ProbeRun, other: ProbeRun, what: str = "the result differs") -> str:
    """``pandas 2.2.3 → 3.0.6: <what changed>``, from the case's notes on the versions crossed."""
    case = _CASES.get(case_id)
    suite = SUITES[case.suite] if case is not None else SUITES["pandas"]
    versions = _versions(ref, other, suite.key)
    known = sorted(
        v for v in (_minor(ref.version(suite.key)), _minor(other.version(suite.key))) if v is not None
    )
    notes = []
    if case is not None and len(known) == 2:
        low, high = known
        for boundary, note in sorted(case.changes.items(), key=lambda kv: _minor(kv[0]) or (0, 0)):
            b = _minor(boundary)
            if b is not None and low < b <= high:
                notes.append(f"{boundary}: {note}")
    if not notes and case is not None and case.runtime:
        return f"{versions}: {what}: {case.runtime} (see the runtime findings)"
    if not notes:
        others = "numpy, the platform" if suite.key != "numpy" else "the platform, the CPU"
        return f"{versions}: {what} (no known {suite.library} change explains it: see {others})"
    return f"{versions}: " + "; ".join(notes)


def _load(result: str) -> dict[str, Any]:
    try:
        data = json.loads(result) if result else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _short(values: Any) -> str:
    if isinstance(values, list):
        shown = ", ".join(_short(v) for v in values[:SHOWN])
        return f"[{shown}{', …' if len(values) > SHOWN else ''}]"
    return json.dumps(values, ensure_ascii=False) if isinstance(values, str) else str(values)


def outcome(case: ProbeCase) -> str:
    """One line for what a case gave in one environment: the side-by-side view."""
    if case.status is not ProbeStatus.OK:
        return f"raises {case.error_type}: {case.error}"
    data = _load(case.result)
    kind = data.get("kind", "")
    if kind in ("DataFrame",):
        cols = data.get("columns", {}).get("values", [])
        dtypes = data.get("dtypes", [])
        body = "; ".join(
            f"{c} ({t}) {_short(v)}" for c, t, v in zip(cols, dtypes, data.get("values", []), strict=False)
        )
        return f"DataFrame {tuple(data.get('shape', []))}: {body}"
    if kind == "Series":
        name = data.get("name")
        named = f" {name!r}" if name not in (None, "None") else ""
        index = data.get("index", {})
        idx_name = index.get("name")
        named_index = f" {idx_name!r}" if idx_name not in (None, "None") else ""
        idx = f", index{named_index} {_short(index.get('values'))}"
        return f"Series{named} ({data.get('dtype')}) {_short(data.get('values'))}{idx}"
    if kind == "ndarray":
        return (
            f"ndarray ({data.get('dtype')}) shape {tuple(data.get('shape', []))} {_short(data.get('values'))}"
        )
    if kind == "list":
        return "[" + ", ".join(_brief(v) for v in data.get("values", [])) + "]"
    if kind == "dict":
        return "{" + ", ".join(f"{k}: {_brief(v)}" for k, v in data.get("values", [])) + "}"
    if "value" in data:
        return f"{kind} {_short(data['value'])}"
    return case.result[:200]


def _brief(data: Any) -> str:
    """One rendered value inside a list or dict, in a few words."""
    if not isinstance(data, dict):
        return _short(data)
    if data.get("kind") == "ndarray":
        return f"array({data.get('dtype')}, {_short(data.get('values'))})"
    if data.get("kind") == "list":
        items = [_brief(v) for v in data.get("values", [])]
        return "[" + ", ".join(items[:SHOWN]) + (", …" if len(items) > SHOWN else "") + "]"
    if data.get("kind") == "dict":
        return "{" + ", ".join(f"{k}: {_brief(v)}" for k, v in data.get("values", [])[:SHOWN]) + "}"
    return _short(data.get("value", data.get("values")))


def what_differs(ref: ProbeCase, other: ProbeCase) -> str:
    if ref.status is not ProbeStatus.OK or other.status is not ProbeStatus.OK:
        if ref.status is ProbeStatus.OK:
            return f"now raises {other.error_type}"
        if other.status is ProbeStatus.OK:
            return f"no longer raises {ref.error_type}"
        return f"raises {other.error_type} instead of {ref.error_type}"
    a, b = _load(ref.result), _load(other.result)
    parts = []
    for key, label in (("kind", "type"), ("shape", "shape"), ("dtype", "dtype"), ("dtypes", "dtypes")):
        if a.get(key) != b.get(key):
            parts.append(f"{label} {_fmt(a.get(key))} → {_fmt(b.get(key))}")
    if a.get("name") != b.get("name"):
        parts.append(f"name {a.get('name')!r} → {b.get('name')!r}")
    if a.get("index") != b.get("index"):
        parts.append("index")
    if a.get("values", a.get("value")) != b.get("values", b.get("value")):
        parts.append("values")
    return ", ".join(parts) or "the result"


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _warning_text(case: ProbeCase | UserProbe) -> str:
    return "; ".join(f"{w.category}: {w.message}" for w in case.warnings)


def diff_probes(
    ref: Labelled, other: Labelled, tolerance: float = defaults.TOLERANCE, *, strict: bool = False
) -> list[Finding]:
    """Behaviour in ``other`` against ``ref``. With ``strict``, what could not be compared (a probe
    not run, a suite on one side only) is an error: unknown is not clean."""
    a, b = ref.snapshot.probes, other.snapshot.probes
    envs = (ref.label, other.label)
    if a is None or b is None:
        if a is None and b is None:
            return []
        missing = ref.label if a is None else other.label
        findings = [
            finding(
                PROBES_NOT_COMPARED,
                CHECK,
                "probes",
                f"probes were not run in {missing}, so behaviour was not compared (scan it with --probe)",
                envs,
            )
        ]
    else:
        findings = [*_suites(a, b, envs), *_canonical(a, b, envs), *_user(a, b, envs, tolerance)]
        findings += _models(a, b, envs, tolerance)
    if strict:
        unknown = {PROBES_NOT_COMPARED, USER_PROBE_NOT_RUN}
        findings = [replace(f, severity=Severity.ERROR) if f.rule in unknown else f for f in findings]
    return findings


def _suites(a: ProbeRun, b: ProbeRun, envs: tuple[str, str]) -> list[Finding]:
    """A canonical suite that ran on one side only: its library is missing (or broken) on the other."""
    out = []
    for name, suite in SUITES.items():
        ran = (a.suite_state(name), b.suite_state(name))
        if None in ran or ran[0] == ran[1]:  # not asked for on a side (--suite, --case), or alike
            continue
        where, run = (envs[1], b) if ran[0] else (envs[0], a)
        # Its own reason; a snapshot from before suites says only why nothing ran (if it did not).
        reason = next((s.reason for s in run.suites if s.name == name), "") or run.reason
        out.append(
            finding(
                PROBES_NOT_COMPARED,
                CHECK,
                suite.library,
                f"the {name} suite did not run in {where}"
                + (f": {reason}" if reason else "")
                + f", so {suite.library} behaviour was not compared",
                envs,
                details={"suite": name, "environment": where},
            )
        )
    return out


def _canonical(a: ProbeRun, b: ProbeRun, envs: tuple[str, str]) -> list[Finding]:
    out = []
    theirs = {c.id: c for c in b.cases}
    for ours in a.cases:
        other = theirs.get(ours.id)
        if other is None:
            continue
        same_result = (ours.status, ours.fingerprint, ours.error_type) == (
            other.status,
            other.fingerprint,
            other.error_type,
        )
        warned = {(w.category, w.message) for w in ours.warnings} != {
            (w.category, w.message) for w in other.warnings
        }
        case = _CASES.get(ours.id)
        title = case.title if case else ours.id
        why = explanation(ours.id, a, b, "the result differs" if not same_result else "the warnings differ")
        details = {
            "case": ours.id,
            "reference_result": outcome(ours),
            "result": outcome(other),
            "why": why,
        }
        if not same_result:
            silent = not ours.warnings and not other.warnings
            raised = (ours.status is ProbeStatus.OK) != (other.status is ProbeStatus.OK)
            rule = PROBE_EXCEPTION if raised else PROBE_SILENT_DRIFT if silent else PROBE_DRIFT
            details["silent"] = "yes" if silent else "no"
            if ours.warnings or other.warnings:
                details["warnings"] = _warning_text(other) or _warning_text(ours)
            message = f"{title}: {what_differs(ours, other)}" + (" — silently, no warning" if silent else "")
            # A last-bits case (numpy_dot_threads) shows a runtime difference: worth a look, not a failure.
            runtime = ours.id in _CASES and bool(_CASES[ours.id].runtime) and not raised
            severity = Severity.WARNING if runtime else None
            out.append(finding(rule, CHECK, ours.id, message, envs, details=details, severity=severity))
        elif warned:
            details["warnings"] = _warning_text(other) or "(none)"
            details["reference_warnings"] = _warning_text(ours) or "(none)"
            shown = _warning_text(other) or f"no longer warns ({_warning_text(ours)})"
            out.append(
                finding(
                    PROBE_WARNINGS,
                    CHECK,
                    ours.id,
                    f"{title}: same result, but {shown}",
                    envs,
                    details=details,
                )
            )
    return out


# --- user probes -------------------------------------------------------------------------------


def _nan(probe: UserProbe, which: str) -> dict[str, int]:
    return {c.column: c.count for c in (probe.nan_in if which == "in" else probe.nan_out)}


def _columns(probe: UserProbe) -> dict[str, list[Any]]:
    try:
        return {str(c): list(v) for c, v in json.loads(probe.values or "[]")}
    except (ValueError, TypeError):
        return {}


def _index(probe: UserProbe) -> list[Any]:
    try:
        index = json.loads(probe.index or "[]")
    except ValueError:
        return []
    return index if isinstance(index, list) else []


def _input_gaps(probe: UserProbe, labels: Sequence[str]) -> str:
    """The input columns that were missing in these rows, e.g. "'age' (3 of 3 rows)"."""
    try:
        rows = {json.dumps(label): columns for label, columns in json.loads(probe.missing_rows or "[]")}
    except (ValueError, TypeError):
        return ""
    counts: dict[str, int] = {}
    for label in labels:
        for column in rows.get(label, ()):
            counts[column] = counts.get(column, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{c!r} ({n} of {len(labels)} rows)" for c, n in ranked[:4])


def _close(x: Any, y: Any, tolerance: float) -> bool:
    if x == y:
        return True
    if (
        isinstance(x, int | float)
        and isinstance(y, int | float)
        and not isinstance(x, bool)
        and not isinstance(y, bool)
    ):
        return math.isclose(float(x), float(y), rel_tol=tolerance, abs_tol=tolerance)
    return False


def value_differences(a: UserProbe, b: UserProbe, tolerance: float, limit: int = 5) -> tuple[int, list[str]]:
    """How many cells differ on rows and columns both outputs have, and the first few, by label
    (outputs that are not tables: by position within each part both have in the same shape)."""
    ca, cb = _columns(a), _columns(b)
    if a.kind == "values" or b.kind == "values":
        shapes_a, shapes_b = dict(a.shapes), dict(b.shapes)
        count, shown = 0, list[str]()
        for part, values in ca.items():
            other = cb.get(part)
            if other is None or shapes_a.get(part) != shapes_b.get(part):
                continue
            for i, (x, y) in enumerate(zip(values, other, strict=False)):
                if not _close(x, y, tolerance):
                    count += 1
                    if len(shown) < limit:
                        where = f"{part} element {i}" if len(values) > 1 else part
                        shown.append(f"{where}: {x!r} → {y!r}")
        return count, shown
    ia, ib = _index(a), _index(b)
    position_b = {json.dumps(label): i for i, label in enumerate(ib)}
    count, shown = 0, list[str]()
    for i, label in enumerate(ia):
        j = position_b.get(json.dumps(label))
        if j is None:
            continue
        for column, values in ca.items():
            other = cb.get(column)
            if other is None or i >= len(values) or j >= len(other):
                continue
            if not _close(values[i], other[j], tolerance):
                count += 1
                if len(shown) < limit:
                    shown.append(f"row {label!r} column {column!r}: {values[i]!r} → {other[j]!r}")
    return count, shown


def _not_compared(a: ProbeRun, b: ProbeRun, envs: tuple[str, str]) -> list[Finding]:
    """User probes and models run on one side only (e.g. a snapshot saved before the probe existed)."""
    mine = {(u.name, u.data) for u in a.user} | {(m.name, m.data) for m in a.models}
    theirs = {(u.name, u.data) for u in b.user} | {(m.name, m.data) for m in b.models}
    out = []
    for name, data in sorted(mine ^ theirs):
        absent = envs[0] if (name, data) not in mine else envs[1]
        subject = f"{name}({data})"
        message = f"{subject} was not run in {absent}: nothing to compare"
        out.append(finding(PROBES_NOT_COMPARED, CHECK, subject, message, envs))
    return out


def _failed(
    ours: UserProbe | ModelProbe,
    other: UserProbe | ModelProbe,
    envs: tuple[str, str],
    subject: str,
    rule: str,
) -> list[Finding]:
    """A finding for each side whose probe did not give a result (nothing else is compared then):
    not run (a library missing there) or failed (an exception, the time limit)."""
    out = []
    for label, probe in ((envs[0], ours), (envs[1], other)):
        if probe.status is ProbeStatus.NOT_RUN:
            out.append(
                finding(
                    USER_PROBE_NOT_RUN,
                    CHECK,
                    subject,
                    f"{subject} could not run in {label}: {probe.error}; it was not compared",
                    envs,
                    details={"environment": label, "reason": probe.error},
                )
            )
        elif probe.status is not ProbeStatus.OK:
            what = "cannot be loaded" if rule == MODEL_NOT_LOADED else "failed"
            out.append(
                finding(
                    rule,
                    CHECK,
                    subject,
                    f"{subject} {what} in {label}: {probe.error_type}: {probe.error}",
                    envs,
                    details={"environment": label, "exception": probe.error_type},
                )
            )
    return out


def _user(a: ProbeRun, b: ProbeRun, envs: tuple[str, str], tolerance: float) -> list[Finding]:
    out = _not_compared(a, b, envs)
    theirs = {(u.name, u.data): u for u in b.user}  # the same function may run on several data files
    for ours in a.user:
        other = theirs.get((ours.name, ours.data))
        if other is None:
            continue
        subject = f"{ours.name}({ours.data})"
        if ours.status is not ProbeStatus.OK or other.status is not ProbeStatus.OK:
            out.extend(_failed(ours, other, envs, subject, USER_PROBE_FAILED))
            continue
        out.extend(_outputs(ours, other, envs, subject, tolerance))
    return out


def _outputs(
    ours: UserProbe, other: UserProbe, envs: tuple[str, str], subject: str, tolerance: float
) -> list[Finding]:
    """Two outputs of the same probe: rows, missing values, dtypes, shapes, values, warnings."""
    out = []
    silent = not ours.warnings and not other.warnings
    quiet = " — silently, no warning" if silent else ""
    if ours.rows_out != other.rows_out and ours.kind == other.kind == "table":
        out.append(_rows(ours, other, envs, subject, silent))
    na, nb = _nan(ours, "out"), _nan(other, "out")
    before = _nan(ours, "in")
    for column in sorted(set(na) | set(nb)):
        if na.get(column) == nb.get(column):
            continue
        after_a, after_b = na.get(column, "no column"), nb.get(column, "no column")
        if column in before:
            said = f"has {before[column]} missing values before; after, {after_a} in {envs[0]}"
        else:
            said = f"(made by the function) has {after_a} missing values in {envs[0]}"
        out.append(
            finding(
                USER_PROBE_MISSING_VALUES,
                CHECK,
                f"{subject}[{column}]",
                f"{subject}: column {column!r} {said} but {after_b} in {envs[1]}{quiet}",
                envs,
                details={
                    "column": column,
                    "nan_before": str(before.get(column, 0)),
                    "reference_nan_after": str(na.get(column)),
                    "nan_after": str(nb.get(column)),
                },
            )
        )
    changed = _changed(ours.dtypes, other.dtypes)
    if changed:
        out.append(
            finding(
                USER_PROBE_DTYPES, CHECK, subject, f"{subject}: dtypes differ: {', '.join(changed)}", envs
            )
        )
    reshaped = _changed(ours.shapes, other.shapes)
    if reshaped:
        out.append(
            finding(
                USER_PROBE_SHAPE,
                CHECK,
                subject,
                f"{subject}: shapes differ: {', '.join(reshaped)}{quiet}",
                envs,
            )
        )
    if ours.fingerprint != other.fingerprint:
        count, shown = value_differences(ours, other, tolerance)
        if count:
            out.append(
                finding(
                    USER_PROBE_VALUES,
                    CHECK,
                    subject,
                    f"{subject}: {count} values differ beyond a relative tolerance of {tolerance:g}; "
                    "first: " + "; ".join(shown) + quiet,
                    envs,
                    severity=Severity.ERROR,
                )
            )
    theirs_w = {(w.category, w.message) for w in other.warnings}
    if {(w.category, w.message) for w in ours.warnings} != theirs_w:
        out.append(
            finding(
                USER_PROBE_WARNINGS,
                CHECK,
                subject,
                f"{subject}: warnings differ: {_warning_text(other) or 'none'} "
                f"(was {_warning_text(ours) or 'none'})",
                envs,
            )
        )
    return out


def _changed(ours: StrPairs, theirs: StrPairs) -> list[str]:
    """``column float64 → float32`` for each column (or part) whose dtype (or shape) differs."""
    a, b = dict(ours), dict(theirs)
    return [
        f"{k} {a.get(k, 'absent')} → {b.get(k, 'absent')}"
        for k in sorted(set(a) | set(b))
        if a.get(k) != b.get(k)
    ]


def _rows(ours: UserProbe, other: UserProbe, envs: tuple[str, str], subject: str, silent: bool) -> Finding:
    lost = (ours.rows_out or 0) - (other.rows_out or 0)
    dropped = sorted(set(map(json.dumps, _index(ours))) - set(map(json.dumps, _index(other))))
    which = ""
    if dropped:
        gaps = _input_gaps(ours, dropped)
        more = ", …" if len(dropped) > 8 else ""
        which = f" (labels {', '.join(dropped[:8])}{more}" + (
            f"; in the input they miss {gaps})" if gaps else ")"
        )
    verb = f"{lost} rows dropped" if lost > 0 else f"{-lost} more rows"
    return finding(
        USER_PROBE_ROWS,
        CHECK,
        subject,
        f"{subject}: {ours.rows_in} rows in, {ours.rows_out} out in {envs[0]} "
        f"but {other.rows_out} in {envs[1]}: {verb}{which}" + (" — silently, no warning" if silent else ""),
        envs,
        details={
            "rows_in": str(ours.rows_in),
            "reference_rows_out": str(ours.rows_out),
            "rows_out": str(other.rows_out),
            "silent": "yes" if silent else "no",
        },
    )


# --- the user's model ---------------------------------------------------------------------------


def _models(a: ProbeRun, b: ProbeRun, envs: tuple[str, str], tolerance: float) -> list[Finding]:
    out = []
    theirs = {(m.name, m.data): m for m in b.models}
    for ours in a.models:
        other = theirs.get((ours.name, ours.data))
        if other is None:
            continue  # said by _not_compared
        subject = f"{ours.name}({ours.data})"
        out.extend(_pickled_with(ours, other, envs, subject))
        if ours.status is not ProbeStatus.OK or other.status is not ProbeStatus.OK:
            out.extend(_failed(ours, other, envs, subject, MODEL_NOT_LOADED))
            continue
        outputs = {o.name: o for o in other.outputs}
        for mine in ours.outputs:
            counterpart = outputs.get(mine.name)
            if counterpart is None:
                continue
            method = f"{ours.name}.{mine.name}({ours.data})"
            if mine.status is not ProbeStatus.OK or counterpart.status is not ProbeStatus.OK:
                out.extend(_failed(mine, counterpart, envs, method, USER_PROBE_FAILED))
                continue
            out.extend(_model_output(mine, counterpart, envs, method, tolerance))
    return out


def _pickled_with(ours: ModelProbe, other: ModelProbe, envs: tuple[str, str], subject: str) -> list[Finding]:
    """scikit-learn's InconsistentVersionWarning, on either side, with both versions: one finding per
    environment and pair of versions, naming every estimator of the model it was said for."""
    out = []
    for label, model in ((envs[0], ours), (envs[1], other)):
        versions: dict[tuple[str, str], list[str]] = {}
        for p in model.pickled_with:
            versions.setdefault((p.pickled, p.loaded), []).append(p.estimator)
        for (pickled, loaded), estimators in versions.items():
            out.append(
                finding(
                    MODEL_PICKLED_WITH,
                    CHECK,
                    subject,
                    f"{subject}: pickled with scikit-learn {pickled}, loaded with {loaded} in {label} "
                    f"(InconsistentVersionWarning for {', '.join(estimators)})",
                    envs,
                    details={
                        "environment": label,
                        "estimators": ", ".join(estimators),
                        "pickled_with": pickled,
                        "loaded_with": loaded,
                    },
                )
            )
    return out


def _model_output(
    ours: UserProbe, other: UserProbe, envs: tuple[str, str], subject: str, tolerance: float
) -> list[Finding]:
    """predict: the rows whose prediction changed; predict_proba and transform: the largest shift."""
    method = ours.name  # a model's outputs are named by the method that made them
    generic = _outputs(ours, other, envs, subject, tolerance)
    if ours.kind != "table" or other.kind != "table":
        return generic  # not rows and columns: compared part by part, as a function's output
    generic = [f for f in generic if f.rule != USER_PROBE_VALUES]  # said below, as a model's
    if ours.fingerprint == other.fingerprint or ours.rows_out != other.rows_out:
        return generic
    if method == "predict":
        rows = _row_values(ours), _row_values(other)
        changed = [(i, x, y) for i, (x, y) in enumerate(zip(*rows, strict=False)) if x != y]
        if not changed:
            return generic
        first = "; ".join(f"row {i}: {_short(x)} → {_short(y)}" for i, x, y in changed[:5])
        return [
            *generic,
            finding(
                MODEL_PREDICTIONS,
                CHECK,
                subject,
                f"{subject}: {len(changed)} of {len(rows[0])} rows predict another value in {envs[1]}; "
                f"first: {first}",
                envs,
                details={"rows_changed": str(len(changed)), "rows": str(len(rows[0]))},
            ),
        ]
    shift, where = 0.0, ""
    theirs = _columns(other)
    for column, values in _columns(ours).items():
        for i, (u, v) in enumerate(zip(values, theirs.get(column, ()), strict=False)):
            numbers = isinstance(u, int | float) and isinstance(v, int | float)
            if numbers and not _close(u, v, tolerance) and abs(float(u) - float(v)) > shift:
                shift, where = abs(float(u) - float(v)), f"row {i} column {column}: {u!r} → {v!r}"
    if not where:
        return generic
    what = "probability" if method == "predict_proba" else "value"
    return [
        *generic,
        finding(
            MODEL_PROBABILITIES,
            CHECK,
            subject,
            f"{subject}: the largest {what} shift is {shift:.3g} ({where})",
            envs,
            details={"largest_shift": f"{shift:.6g}"},
        ),
    ]


def _row_values(probe: UserProbe) -> list[Any]:
    """An output's rows: a value each for a single column, else a list of the row's values."""
    columns = list(_columns(probe).values())
    if len(columns) == 1:
        return list(columns[0])
    return [list(row) for row in zip(*columns, strict=False)]


def summary(snapshots: Sequence[Snapshot]) -> list[tuple[str, str]]:
    runs = [s.probes for s in snapshots if s.probes is not None]
    cases = max((len(r.cases) for r in runs), default=0)
    rows = [("probe cases", str(cases)), ("user probes", str(max((len(r.user) for r in runs), default=0)))]
    models = max((len(r.models) for r in runs), default=0)
    if models:
        rows.append(("models", str(models)))
    not_run = sum(1 for r in runs for p in r.user if p.status is ProbeStatus.NOT_RUN)
    not_run += sum(1 for r in runs for m in r.models if m.status is ProbeStatus.NOT_RUN)
    if not_run:
        rows.append(("probes not run", str(not_run)))
    return rows
