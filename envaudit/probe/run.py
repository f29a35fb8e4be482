"""Run the probe runner inside a target, the way the scanner runs, and read back a ProbeRun."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envaudit import defaults
from envaudit.errors import TargetError
from envaudit.inprocess.probe_runner import MARKER
from envaudit.model import (
    ColumnCount,
    ModelProbe,
    PickledWith,
    ProbeCase,
    ProbeRun,
    ProbeStatus,
    ProbeWarning,
    SuiteRun,
    UserProbe,
)
from envaudit.probe.user import ModelSpec, UserProbeSpec, model_payload, payload

if TYPE_CHECKING:
    from envaudit.targets.base import Started

_PAYLOAD_LINE = "PAYLOAD: Dict[str, Any] = {}  # replaced by envaudit with the user probes' code and data"


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    canonical: bool = True  # the canonical suites; False: only the user's probes
    user: tuple[UserProbeSpec, ...] = ()
    cases: tuple[str, ...] = ()  # only these canonical cases (default: all)
    tolerance: float = defaults.TOLERANCE  # relative, for comparing the values of user probes
    suites: tuple[str, ...] | None = None  # None: every suite whose library the target has
    models: tuple[ModelSpec, ...] = ()
    strict: bool = False  # a probe that could not run (or was not compared) fails the command


@functools.lru_cache(maxsize=4)  # once per run, not per target: the data may be large
def runner_script(options: ProbeOptions) -> str:
    """The runner, with the user probes' source and data embedded (stdin carries only the script)."""
    from envaudit.targets.scripts import PROBE_SCRIPT, probe_script

    text = probe_script()
    if not options.user and not options.models:
        return text
    data = {
        "user": [payload(spec) for spec in options.user],
        "models": [model_payload(spec) for spec in options.models],
    }
    if _PAYLOAD_LINE not in text:  # the runner was edited: user probes would silently not travel
        raise AssertionError(f"{PROBE_SCRIPT} no longer has the line {_PAYLOAD_LINE!r}")
    return text.replace(_PAYLOAD_LINE, f"PAYLOAD: Dict[str, Any] = json.loads({json.dumps(data)!r})")


def runner_args(options: ProbeOptions) -> list[str]:
    """The runner's command-line argument: which suites and canonical cases to run."""
    suites = list(options.suites) if options.suites is not None else None
    return [json.dumps({"canonical": options.canonical, "cases": list(options.cases), "suites": suites})]


def finish(run: Started, target: str) -> ProbeRun:
    from envaudit.scan import parse_marked

    raw = parse_marked(
        run.result(), target, marker=MARKER, what="probe runner", protocol_key="probe_protocol"
    )
    try:
        return _probe_run(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TargetError(target, f"the probe runner's output was not understood ({exc!r})") from None


def _warnings(items: Sequence[Mapping[str, Any]]) -> tuple[ProbeWarning, ...]:
    return tuple(ProbeWarning(str(w["category"]), str(w["message"])) for w in items)


def _counts(items: Sequence[Sequence[Any]] | None) -> tuple[ColumnCount, ...]:
    return tuple(ColumnCount(str(c), int(n)) for c, n in items or ())


def _pairs(items: Sequence[Sequence[Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in items or ())


def _user_probe(u: Mapping[str, Any]) -> UserProbe:
    pairs = u.get("dtypes") or ()
    return UserProbe(
        name=str(u["name"]),
        data=str(u["data"]),
        data_sha256=str(u.get("data_sha256") or ""),  # as sent: the data is read once
        status=ProbeStatus(u["status"]),
        rows_in=_count(u.get("rows_in")),
        rows_out=_count(u.get("rows_out")),
        nan_in=_counts(u.get("nan_in")),
        nan_out=_counts(u.get("nan_out")),
        missing_rows=str(u.get("missing_rows") or ""),
        dtypes=tuple(sorted(_pairs(pairs))),
        columns=tuple(str(c) for c in u.get("columns") or [c for c, _ in pairs]),
        fingerprint=str(u.get("fingerprint") or ""),
        index=str(u.get("index") or ""),
        values=str(u.get("values") or ""),
        truncated=bool(u.get("truncated")),
        warnings=_warnings(u.get("warnings") or ()),
        error_type=str(u.get("error_type") or ""),
        error=str(u.get("error") or ""),
        kind="values" if u.get("kind") == "values" else "table",
        shapes=tuple(sorted(_pairs(u.get("shapes")))),
    )


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _model_probe(m: Mapping[str, Any]) -> ModelProbe:
    return ModelProbe(
        name=str(m["name"]),
        data=str(m["data"]),
        data_sha256=str(m.get("data_sha256") or ""),
        status=ProbeStatus(m["status"]),
        estimator=str(m.get("estimator") or ""),
        pickled_with=tuple(PickledWith(str(e), str(p), str(c)) for e, p, c in m.get("pickled_with") or ()),
        outputs=tuple(_user_probe(o) for o in m.get("outputs") or ()),
        warnings=_warnings(m.get("warnings") or ()),
        error_type=str(m.get("error_type") or ""),
        error=str(m.get("error") or ""),
    )


def _probe_run(raw: Mapping[str, Any]) -> ProbeRun:
    return ProbeRun(
        suite_version=str(raw["suite_version"]),
        applicable=bool(raw["applicable"]),
        reason=str(raw.get("reason") or ""),
        pandas=raw.get("pandas"),
        numpy=raw.get("numpy"),
        pyarrow=raw.get("pyarrow"),
        cases=tuple(
            ProbeCase(
                id=str(c["id"]),
                status=ProbeStatus(c["status"]),
                fingerprint=str(c.get("fingerprint") or ""),
                result=str(c.get("result") or ""),
                warnings=_warnings(c.get("warnings") or ()),
                error_type=str(c.get("error_type") or ""),
                error=str(c.get("error") or ""),
            )
            for c in raw.get("cases") or ()
        ),
        user=tuple(_user_probe(u) for u in raw.get("user") or ()),
        seconds=float(raw.get("seconds") or 0.0),
        sklearn=raw.get("sklearn"),
        scipy=raw.get("scipy"),
        suites=tuple(
            SuiteRun(str(x["name"]), bool(x["ran"]), str(x.get("reason") or ""))
            for x in raw.get("suites") or ()
        ),
        models=tuple(_model_probe(m) for m in raw.get("models") or ()),
    )
