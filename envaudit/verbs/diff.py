"""``diff``: every target against the reference, in one report."""

from __future__ import annotations

from collections.abc import Sequence

from envaudit import defaults
from envaudit.errors import UsageError
from envaudit.verbs.common import Judged, ScanOptions, labels, located, with_probe_locations, with_reference
from envaudit.verbs.fanout import scan


def diff(spellings: Sequence[str], options: ScanOptions, *, baseline: str | None = None) -> Judged:
    """Every target against the reference: ``baseline`` (one of the targets, or another) or the first."""
    from envaudit import diff as differ
    from envaudit.findings import Labelled

    spellings, reference = with_reference(spellings, baseline)
    if len(spellings) < 2:
        raise UsageError("diff needs at least two targets (or one target and --baseline)")
    results = scan(spellings, options)
    names = labels([r.spec for r in results])
    items = [Labelled(name, r.snapshot) for name, r in zip(names, results, strict=True) if r.snapshot]
    failures = tuple(r for r in results if r.error is not None)
    if results[reference].snapshot is None or len(items) < 2:
        # Nothing to compare against: the failures say why.
        raise failures[0].error if failures and failures[0].error else UsageError("nothing to compare")
    ref_label = names[reference]
    ref_index = next(i for i, item in enumerate(items) if item.label == ref_label)
    tolerance = options.probe.tolerance if options.probe is not None else defaults.TOLERANCE
    strict = options.probe is not None and options.probe.strict
    report = differ.diff(items, ref_index, tolerance=tolerance, strict=strict)
    report = located(with_probe_locations(report, options.probe, options), options)
    return Judged(report, failures)
