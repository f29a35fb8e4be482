"""``probe``: the behavioural probes in every target, each compared with the reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envaudit.errors import UsageError
from envaudit.verbs.common import Judged, ScanOptions, labels, located, with_probe_locations, with_reference
from envaudit.verbs.fanout import scan

if TYPE_CHECKING:
    from envaudit.findings import Environment, Labelled
    from envaudit.probe.run import ProbeOptions


def pair_with_data(probes: Sequence[tuple[str, Any]]) -> list[tuple[str, Any, Path]]:
    """--function / --model each with its --data, in command-line order: each --data serves the
    probes given since the previous one (``--function f.py:a --model m.pkl --data x.csv --function
    f.py:b --data y.csv``); one --data alone serves them all; and probes all given before as many
    --data pair up in order (``--function a --function b --data x --data y``: a with x, b with y)."""
    wanted = [(kind, value) for kind, value in probes if kind != "data"]
    data = [value for kind, value in probes if kind == "data"]
    if not wanted:
        if data:
            raise UsageError("--data needs a --function or --model to run on it")
        return []
    if len(data) == 1:
        return [(kind, value, data[0]) for kind, value in wanted]
    given = [kind == "data" for kind, _ in probes]
    if len(data) == len(wanted) and given == sorted(given):
        return [(kind, value, d) for (kind, value), d in zip(wanted, data, strict=True)]
    paired: list[tuple[str, Any, Path]] = []
    pending: list[tuple[str, Any]] = []
    for kind, value in probes:
        if kind != "data":
            pending.append((kind, value))
            continue
        if not pending:
            raise UsageError(
                f"--data {value} follows no --function or --model (each --data serves those before it)"
            )
        paired += [(k, v, value) for k, v in pending]
        pending = []
    if pending:
        kind, value = pending[0]
        raise UsageError(f"--{kind} {value} has no --data after it (each --data serves those before it)")
    return paired


def probe_options(
    options: ScanOptions,
    *,
    probes: Sequence[tuple[str, Any]] = (),
    canonical: bool | None = None,
    cases: Sequence[str] = (),
    tolerance: float | None = None,
    suites: Sequence[str] | None = None,
    strict: bool | None = None,
) -> ProbeOptions:
    """``[tool.envaudit.probe]`` of the config, with flags added or overriding; files checked now.

    ``probes``: ("function", "FILE.py:NAME"), ("model", path) and ("data", path) in command-line order.
    """
    from envaudit import config
    from envaudit.inprocess.probe_cases import SUITES
    from envaudit.inprocess.probe_runner import CASES  # importing the runner registers every suite
    from envaudit.probe import user
    from envaudit.probe.run import ProbeOptions

    paired = pair_with_data(probes)
    cfg = config.load(options.config_file, options.project or Path.cwd())
    section = cfg.probe
    specs = [
        user.load(entry.function, Path(entry.data), timeout=entry.timeout, base=cfg.folder)
        for entry in section.user
    ]
    specs += [user.load(v, d, timeout=section.timeout) for kind, v, d in paired if kind == "function"]
    models = [
        user.load_model(Path(entry.file), Path(entry.data), timeout=entry.timeout, base=cfg.folder)
        for entry in section.models
    ]
    models += [
        user.load_model(Path(v), d, timeout=section.timeout) for kind, v, d in paired if kind == "model"
    ]
    known = {c.id: c for c in CASES}
    unknown = [c for c in cases if c not in known]
    if unknown:
        raise UsageError(f"--case {unknown[0]}: no such canonical case", tip="envaudit probe --list-cases")
    chosen = tuple(suites) if suites is not None else section.suites
    if chosen is None and cases:  # --case alone: only the suites those cases belong to
        chosen = tuple(s for s in SUITES if any(known[c].suite == s for c in cases))
    return ProbeOptions(
        canonical=canonical if canonical is not None else section.canonical,
        user=tuple(specs),
        cases=tuple(cases),
        tolerance=tolerance if tolerance is not None else section.tolerance,
        suites=chosen,
        models=tuple(models),
        strict=strict if strict is not None else section.strict,
    )


def _environment(item: Labelled) -> Environment:
    """An environment as the probe report introduces it: its interpreter and the libraries probed."""
    from envaudit.diff import environment_of

    p = item.snapshot.probes
    if p is None:
        stack = "not probed"
    elif not p.applicable:
        stack = "no numpy"
    else:
        stack = ", ".join(f"{name} {version}" for name, version in p.libraries())
    environment = environment_of(item)
    return replace(environment, python=f"{environment.python}, {stack}")


def probe(
    spellings: Sequence[str], options: ScanOptions, opts: ProbeOptions, *, baseline: str | None = None
) -> Judged:
    """Behavioural drift: the probes run in every target, each compared with the reference."""
    from envaudit.findings import Check, Labelled, Report
    from envaudit.probe.compare import diff_probes, summary

    spellings, reference = with_reference(spellings, baseline)
    if len(spellings) < 2:
        raise UsageError("probe needs at least two targets to compare (or one target and --baseline)")
    results = scan(spellings, replace(options, probe=opts))
    names = labels([r.spec for r in results])
    items = [Labelled(name, r.snapshot) for name, r in zip(names, results, strict=True) if r.snapshot]
    failures = tuple(r for r in results if r.error is not None)
    environments = [_environment(item) for item in items]
    findings = []
    checks = []
    ref_label = names[reference]
    ref_item = next((i for i in items if i.label == ref_label), None)
    if ref_item is not None:
        environments.sort(key=lambda e: e.label != ref_label)
        for item in items:
            if item is ref_item:
                continue
            findings.extend(diff_probes(ref_item, item, opts.tolerance, strict=opts.strict))
            checks.append(Check(f"probes: {ref_label} → {item.label}", "probes", (ref_label, item.label)))
    report = Report(
        command="probe",
        environments=tuple(environments),
        # A finding about the reference alone (its model's unpickling warning) is said once, not once
        # per environment compared with it.
        findings=tuple(dict.fromkeys(findings)),
        checks=tuple(checks),
        summary=tuple(summary([i.snapshot for i in items])),
    )
    report = located(with_probe_locations(report, opts, options), options)
    return Judged(report, failures)  # an unreachable reference: exit 3, and nothing compared
