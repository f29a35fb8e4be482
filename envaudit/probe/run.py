"""Run the probe runner inside a target, the way the scanner runs, and read back a ProbeRun."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit import defaults
from envaudit.errors import TargetError
from envaudit.inprocess.probe_runner import MARKER
from envaudit.model import ColumnCount, ProbeCase, ProbeRun, ProbeStatus, ProbeWarning, UserProbe
from envaudit.probe.user import UserProbeSpec, payload

if TYPE_CHECKING:
    from envaudit.targets.base import Started

RUNNER = Path(__file__).resolve().parents[1] / "inprocess" / "probe_runner.py"
_PAYLOAD_LINE = "PAYLOAD: dict[str, Any] = {}  # replaced by envaudit with the user probes' code and data"


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    canonical: bool = True  # the canonical suite; False: only the user's probes
    user: tuple[UserProbeSpec, ...] = ()
    cases: tuple[str, ...] = ()  # only these canonical cases (default: all)
    tolerance: float = defaults.TOLERANCE  # relative, for comparing the values of user probes


@functools.cache
def _runner_text() -> str:
    return RUNNER.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=4)  # once per run, not per target: the data may be large
def runner_script(options: ProbeOptions) -> str:
    """The runner, with the user probes' source and data embedded (stdin carries only the script)."""
    text = _runner_text()
    if not options.user:
        return text
    data = {"user": [payload(spec) for spec in options.user]}
    if _PAYLOAD_LINE not in text:  # the runner was edited: user probes would silently not travel
        raise AssertionError(f"{RUNNER} no longer has the line {_PAYLOAD_LINE!r}")
    return text.replace(_PAYLOAD_LINE, f"PAYLOAD: dict[str, Any] = json.loads({json.dumps(data)!r})")


def runner_args(options: ProbeOptions) -> list[str]:
    """The runner's command-line argument: which canonical cases to run."""
    return [json.dumps({"canonical": options.canonical, "cases": list(options.cases)})]


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
        user=tuple(
            UserProbe(
                name=str(u["name"]),
                data=str(u["data"]),
                data_sha256=str(u.get("data_sha256") or ""),  # as sent: the data is read once
                status=ProbeStatus(u["status"]),
                rows_in=u.get("rows_in"),
                rows_out=u.get("rows_out"),
                nan_in=_counts(u.get("nan_in")),
                nan_out=_counts(u.get("nan_out")),
                missing_rows=str(u.get("missing_rows") or ""),
                dtypes=tuple(sorted((str(c), str(t)) for c, t in u.get("dtypes") or ())),
                columns=tuple(str(c) for c, _ in u.get("dtypes") or ()),
                fingerprint=str(u.get("fingerprint") or ""),
                index=str(u.get("index") or ""),
                values=str(u.get("values") or ""),
                truncated=bool(u.get("truncated")),
                warnings=_warnings(u.get("warnings") or ()),
                error_type=str(u.get("error_type") or ""),
                error=str(u.get("error") or ""),
            )
            for u in raw.get("user") or ()
        ),
        seconds=float(raw.get("seconds") or 0.0),
    )
