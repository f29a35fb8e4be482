"""``probe``: the behavioural probes in every target, each compared with the reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envaudit.errors import UsageError
from envaudit.verbs.common import Judged, ScanOptions, labels, located, with_probe_locations, with_reference
from envaudit.verbs.fanout import scan

if TYPE_CHECKING:
    from envaudit.findings import Environment, Labelled
    from envaudit.probe.run import ProbeOptions


def probe_options(
    options: ScanOptions,
    *,
    functions: Sequence[str] = (),
    data: Sequence[Path] = (),
    canonical: bool | None = None,
    cases: Sequence[str] = (),
    tolerance: float | None = None,
) -> ProbeOptions:
    """``[tool.envaudit.probe]`` of the config, with flags added or overriding; files checked now."""
    from envaudit import config
    from envaudit.inprocess.probe_runner import CASES
    from envaudit.probe import user
    from envaudit.probe.run import ProbeOptions

    if len(functions) != len(data):
        raise UsageError("each --function needs its --data (give them in pairs)")
    cfg = config.load(options.config_file, options.project or Path.cwd())
    section = cfg.probe
    specs = [
        user.load(entry.function, Path(entry.data), timeout=entry.timeout, base=cfg.folder)
        for entry in section.user
    ]
    specs += [user.load(f, d, timeout=section.timeout) for f, d in zip(functions, data, strict=True)]
    known = {c.id for c in CASES}
    unknown = [c for c in cases if c not in known]
    if unknown:
        raise UsageError(f"--case {unknown[0]}: no such canonical case", tip="envaudit probe --list-cases")
    return ProbeOptions(
        canonical=canonical if canonical is not None else section.canonical,
        user=tuple(specs),
        cases=tuple(cases),
        tolerance=tolerance if tolerance is not None else section.tolerance,
    )


def _environment(item: Labelled) -> Environment:
    """An environment as the probe report introduces it: its interpreter and its pandas stack."""
    from envaudit.diff import environment_of

    p = item.snapshot.probes
    if p is None:
        stack = "not probed"
    elif not p.applicable:
        stack = "no pandas"
    else:
        stack = f"pandas {p.pandas}, numpy {p.numpy}" + (f", pyarrow {p.pyarrow}" if p.pyarrow else "")
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
            findings.extend(diff_probes(ref_item, item, opts.tolerance))
            checks.append(Check(f"probes: {ref_label} → {item.label}", "probes", (ref_label, item.label)))
    report = Report(
        command="probe",
        environments=tuple(environments),
        findings=tuple(findings),
        checks=tuple(checks),
        summary=tuple(summary([i.snapshot for i in items])),
    )
    report = located(with_probe_locations(report, opts, options), options)
    return Judged(report, failures)  # an unreachable reference: exit 3, and nothing compared
