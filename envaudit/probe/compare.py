"""Probe results of two environments, compared case by case, as findings.

Silent drift (a different result and no warning in either environment) is the worst kind: nothing
in the logs announces it. Each finding says what differs (values, dtype, shape, an exception) and
the version change behind it, from the suite's own notes on when each behaviour changed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from envaudit import defaults
from envaudit.findings import Finding, Labelled, Severity, finding
from envaudit.inprocess import probe_runner
from envaudit.model import ProbeCase, ProbeRun, ProbeStatus, Snapshot, UserProbe
from envaudit.rules import (
    PROBE_DRIFT,
    PROBE_EXCEPTION,
    PROBE_SILENT_DRIFT,
    PROBE_WARNINGS,
    PROBES_NOT_COMPARED,
    USER_PROBE_DTYPES,
    USER_PROBE_FAILED,
    USER_PROBE_MISSING_VALUES,
    USER_PROBE_ROWS,
    USER_PROBE_VALUES,
    USER_PROBE_WARNINGS,
)

CHECK = "probes"
SHOWN = 6  # values shown per side in a message
_CASES = {c.id: c for c in probe_runner.CASES}


def _minor(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    parts = version.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (ValueError, IndexError):
        return None


def explanation(case_id: str, ref: ProbeRun, other: ProbeRun, what: str = "the result differs") -> str:
    """``pandas 2.2.3 → 3.0.6: <what changed>``, from the case's notes on the versions crossed."""
    versions = (
        f"pandas {ref.pandas} → {other.pandas}" if ref.pandas != other.pandas else f"pandas {ref.pandas}"
    )
    if ref.numpy != other.numpy:
        versions += f", numpy {ref.numpy} → {other.numpy}"
    if ref.pyarrow != other.pyarrow:
        versions += f", pyarrow {ref.pyarrow or 'absent'} → {other.pyarrow or 'absent'}"
    known = sorted(v for v in (_minor(ref.pandas), _minor(other.pandas)) if v is not None)
    case = _CASES.get(case_id)
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
        return f"{versions}: {what} (no known pandas change explains it: see numpy, the platform)"
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
    if kind == "list":
        return "[" + ", ".join(_short(v.get("value", v.get("values"))) for v in data.get("values", [])) + "]"
    if "value" in data:
        return f"{kind} {_short(data['value'])}"
    return case.result[:200]


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


def diff_probes(ref: Labelled, other: Labelled, tolerance: float = defaults.TOLERANCE) -> list[Finding]:
    a, b = ref.snapshot.probes, other.snapshot.probes
    envs = (ref.label, other.label)
    if a is None or b is None:
        if a is None and b is None:
            return []
        missing = ref.label if a is None else other.label
        return [
            finding(
                PROBES_NOT_COMPARED,
                CHECK,
                "probes",
                f"probes were not run in {missing}, so behaviour was not compared (scan it with --probe)",
                envs,
            )
        ]
    if not a.applicable or not b.applicable:
        if a.applicable == b.applicable:
            return []
        missing, reason = (ref.label, a.reason) if not a.applicable else (other.label, b.reason)
        return [
            finding(
                PROBES_NOT_COMPARED, CHECK, "pandas", f"probes not applicable in {missing}: {reason}", envs
            )
        ]
    findings = _canonical(a, b, envs)
    findings += _user(a, b, envs, tolerance)
    return findings


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
    """How many cells differ on rows and columns both outputs have, and the first few, by label."""
    ia, ib = _index(a), _index(b)
    ca, cb = _columns(a), _columns(b)
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
    """User probes run on one side only (e.g. a snapshot saved before the probe existed)."""
    mine = {(u.name, u.data) for u in a.user}
    theirs = {(u.name, u.data) for u in b.user}
    out = []
    for name, data in sorted(mine ^ theirs):
        absent = envs[0] if (name, data) not in mine else envs[1]
        subject = f"{name}({data})"
        message = f"{subject} was not run in {absent}: nothing to compare"
        out.append(finding(PROBES_NOT_COMPARED, CHECK, subject, message, envs))
    return out


def _failed(ours: UserProbe, other: UserProbe, envs: tuple[str, str], subject: str) -> list[Finding]:
    """A finding for each side whose probe raised (nothing else is compared then)."""
    out = []
    for label, probe in ((envs[0], ours), (envs[1], other)):
        if probe.status is not ProbeStatus.OK:
            out.append(
                finding(
                    USER_PROBE_FAILED,
                    CHECK,
                    subject,
                    f"{subject} failed in {label}: {probe.error_type}: {probe.error}",
                    envs,
                    details={"environment": label},
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
            out.extend(_failed(ours, other, envs, subject))
            continue
        silent = not ours.warnings and not other.warnings
        quiet = " — silently, no warning" if silent else ""
        if ours.rows_out != other.rows_out:
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
            out.append(
                finding(
                    USER_PROBE_ROWS,
                    CHECK,
                    subject,
                    f"{subject}: {ours.rows_in} rows in, {ours.rows_out} out in {envs[0]} "
                    f"but {other.rows_out} in {envs[1]}: {verb}{which}{quiet}",
                    envs,
                    details={
                        "rows_in": str(ours.rows_in),
                        "reference_rows_out": str(ours.rows_out),
                        "rows_out": str(other.rows_out),
                        "silent": "yes" if silent else "no",
                    },
                )
            )
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
        da, db = dict(ours.dtypes), dict(other.dtypes)
        changed = [
            f"{c} {da.get(c, 'absent')} → {db.get(c, 'absent')}"
            for c in sorted(set(da) | set(db))
            if da.get(c) != db.get(c)
        ]
        if changed:
            out.append(
                finding(
                    USER_PROBE_DTYPES, CHECK, subject, f"{subject}: dtypes differ: {', '.join(changed)}", envs
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


def summary(snapshots: Sequence[Snapshot]) -> list[tuple[str, str]]:
    runs = [s.probes for s in snapshots if s.probes is not None]
    cases = max((len(r.cases) for r in runs), default=0)
    return [("probe cases", str(cases)), ("user probes", str(max((len(r.user) for r in runs), default=0)))]
