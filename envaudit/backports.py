"""Judging a distribution an OS package owns: by the OS package, not by its upstream version.

Distributions backport security fixes without changing the upstream version (``urllib3 1.26.12``
is Debian's ``1.26.12-1+deb12u4``, which fixes CVE-2023-43804), so an upstream range match says
little. In order, as trivy and grype do and then some:

1. the distribution's own advisories, when the database holds its release (``Debian:12``): compared
   with the OS package's version in the distribution's order, they decide both ways;
2. else the OS package's changelog: an advisory whose id or alias an entry at or below the
   installed version names is fixed by the distribution, the entry quoted;
3. else not decided: a warning, never silently clean and never a plain error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from envaudit import osversions
from envaudit.vulnerability import Verdict, Vulnerability, preferred

if TYPE_CHECKING:
    from envaudit.advisories import Advisory, AdvisoryIndex
    from envaudit.model import Distribution, Distro


def _ids(v: Vulnerability | Advisory) -> set[str]:
    return {v.id, *v.aliases}


def _affects(advisory: Advisory, manager: str, version: str) -> bool:
    if version in advisory.versions:
        return True
    return any(osversions.in_range(manager, events, version) for events in advisory.ranges)


def _fixed(advisory: Advisory) -> list[str]:
    return [value for events in advisory.ranges for kind, value in events if kind == "fixed"]


def _fix_at_or_below(advisory: Advisory, manager: str, version: str) -> str:
    """The fixed version the installed one is at or above (the evidence that it is fixed)."""
    fixes = [f for f in _fixed(advisory) if osversions.compare(manager, f, version) <= 0]
    return osversions.highest(manager, fixes) if fixes else ""


def _fix_above(advisory: Advisory, manager: str, version: str) -> str | None:
    """The smallest fixed version above the installed one: what to upgrade to."""
    fixes = [f for f in _fixed(advisory) if osversions.compare(manager, f, version) > 0]
    return osversions.lowest(manager, fixes) if fixes else None


def judge(
    dist: Distribution,
    upstream: Sequence[Vulnerability],
    distro: Distro | None,
    index: AdvisoryIndex | None,
) -> list[Vulnerability]:
    """The upstream matches of an OS-owned distribution, each with its verdict and evidence, plus
    what the distribution's own advisories report for the OS package."""
    package = dist.os_package
    assert package is not None
    manager = package.manager
    release = osversions.distro_key(distro)
    ordered = osversions.comparable(manager)
    # Does the database hold this release's own advisories, in an order envaudit can apply?
    covered = (
        index is not None
        and release is not None
        and ordered
        and osversions.manager_of(release) == manager
        and index.covers(release)
    )
    records: list[Advisory] = []
    if covered:
        assert index is not None and release is not None
        records = index.for_os_package(release, package.source)
        if package.name != package.source:
            records += index.for_os_package(release, package.name)
    # Advisories name source packages and their versions (the same as the binary's but for binNMUs).
    version = package.source_version
    where = f"{package.name} {package.version} ({manager})"
    out: list[Vulnerability] = []
    affecting = [r for r in records if _affects(r, manager, version)]
    reported: set[str] = set()
    for record in affecting:  # the distribution says the installed OS package is vulnerable
        same = [v for v in upstream if _ids(v) & _ids(record)]
        ids = _ids(record).union(*(_ids(v) for v in same))
        if ids & reported:
            continue
        reported |= ids
        fix = _fix_above(record, manager, version)
        base = same[0] if same else None
        summary = (base.summary if base else "") or record.summary
        out.append(
            _make(
                dist,
                preferred(ids),
                ids,
                fix=fix,
                summary=summary,
                base=base,
                verdict=Verdict.VULNERABLE,
                os_package=where,
                evidence=f"{release} advisory {record.id}: "
                + (f"fixed in {fix}" if fix else f"no fixed version in {release}"),
            )
        )
    for vuln in upstream:
        if _ids(vuln) & reported:
            continue
        naming = [r for r in records if _ids(r) & _ids(vuln)]
        if naming:  # the distribution's advisories name it, and none says the package is affected
            record = naming[0]
            fixed = _fix_at_or_below(record, manager, version)
            said = f"fixed in {fixed}" if fixed else "not affected"
            out.append(
                replace(
                    vuln,
                    verdict=Verdict.FIXED_BY_DISTRIBUTION,
                    os_package=where,
                    evidence=f"{release} advisory {record.id}: {said}",
                    fix=fixed or None,
                )
            )
            continue
        entries = [
            f
            for f in package.fixes
            if f.id in _ids(vuln)
            and (not ordered or osversions.compare(manager, f.version, package.version) <= 0)
        ]
        if entries:
            entry = entries[0]
            out.append(
                replace(
                    vuln,
                    verdict=Verdict.FIXED_BY_DISTRIBUTION,
                    os_package=where,
                    evidence=f"changelog of {package.name}, {entry.version}: {entry.text}",
                    fix=entry.version,
                )
            )
            continue
        if covered:
            why = f"the database's {release} advisories do not name it"
        elif release is not None and ordered:
            why = f"the database has no {release} advisories"
        else:
            why = "no advisories of this distribution are read"
        out.append(
            replace(
                vuln,
                verdict=Verdict.NOT_DECIDED,
                os_package=where,
                evidence=f"{why}; the changelog of {package.name} does not name it either",
            )
        )
    return sorted(out, key=lambda v: v.id)


def _make(
    dist: Distribution,
    shown: str,
    ids: set[str],
    *,
    fix: str | None,
    summary: str,
    base: Vulnerability | None,
    verdict: Verdict,
    os_package: str,
    evidence: str,
) -> Vulnerability:
    return Vulnerability(
        package=dist.canonical_name,
        name=dist.name,
        version=dist.version,
        id=shown,
        aliases=tuple(sorted(ids - {shown})),
        fix=fix,
        summary=summary,
        severity=base.severity if base else "",
        score=base.score if base else "",
        verdict=verdict,
        os_package=os_package,
        evidence=evidence,
    )
