"""Known vulnerabilities of the distributions in a snapshot: offline from an OSV database, or online
through pip-audit's own services (OSV and PyPI). Unknown is not clean: whatever could not be
checked is reported as such, with the reason, and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from packaging.version import InvalidVersion, Version

from envaudit.advisories import SEVERITIES, AdvisoryIndex
from envaudit.findings import Finding, Location, Severity, finding
from envaudit.model import Distribution, RequirementKind, Snapshot
from envaudit.rules import FIXED_BY_DISTRIBUTION, NOT_CHECKED, NOT_DECIDED, VULNERABILITY
from envaudit.vulnerability import Verdict, Vulnerability, preferred

PYPI_JSON = "https://pypi.org/pypi/"


class Service(StrEnum):
    OSV = "osv"
    PYPI = "pypi"


@dataclass(frozen=True, slots=True)
class NotChecked:
    package: str
    name: str
    version: str
    reason: str


@dataclass(frozen=True, slots=True)
class Audit:
    label: str
    source: str  # what answered, for the report
    checked: int
    vulnerabilities: tuple[Vulnerability, ...]
    not_checked: tuple[NotChecked, ...]


# --- merging aliases ---------------------------------------------------------------------------------


@dataclass
class _Group:
    ids: set[str]
    fixes: list[Version]
    summaries: list[str]
    severities: list[str]
    scores: list[str]


Hit = tuple[str, Iterable[str], Version | None, str, str, str]  # id, aliases, fix, summary, rating, CVSS


def merge(dist: Distribution, hits: Iterable[Hit]) -> list[Vulnerability]:
    """One vulnerability per group of advisories that name each other (ids and aliases overlap)."""
    groups: list[_Group] = []
    for id_, aliases, fix, summary, severity, score in hits:
        names = {id_, *aliases}
        joined = [g for g in groups if g.ids & names]
        group = _Group(names, [fix] if fix else [], [summary] if summary else [], [], [])
        group.severities += [severity] if severity else []
        group.scores += [score] if score else []
        for other in joined:
            groups.remove(other)
            group.ids |= other.ids
            group.fixes += other.fixes
            group.summaries += other.summaries
            group.severities += other.severities
            group.scores += other.scores
        groups.append(group)
    out = []
    for g in groups:
        shown = preferred(g.ids)
        out.append(
            Vulnerability(
                package=dist.canonical_name,
                name=dist.name,
                version=dist.version,
                id=shown,
                aliases=tuple(sorted(g.ids - {shown})),
                fix=str(min(g.fixes)) if g.fixes else None,
                summary=g.summaries[0] if g.summaries else "",
                severity=max(g.severities, key=SEVERITIES.index, default=""),
                score=max(g.scores, key=float, default=""),
            )
        )
    return sorted(out, key=lambda v: v.id)


def by_os_package(
    dist: Distribution, upstream: list[Vulnerability], snapshot: Snapshot, index: AdvisoryIndex | None
) -> list[Vulnerability]:
    """Upstream matches as they stand, or for a distribution an OS package owns, as the OS
    package's advisories and changelog decide (see ``backports``)."""
    if dist.os_package is None:
        return upstream
    from envaudit.backports import judge

    return judge(dist, upstream, snapshot.distro, index)


# --- offline ---------------------------------------------------------------------------------------------


def audit_offline(label: str, snapshot: Snapshot, index: AdvisoryIndex) -> Audit:
    vulns: list[Vulnerability] = []
    unchecked: list[NotChecked] = []
    for dist in snapshot.distributions:
        advisories = index.for_package(dist.canonical_name)
        if not advisories:
            # The distribution's advisories for its OS package may still report it.
            vulns.extend(by_os_package(dist, [], snapshot, index))
            continue
        try:
            version = Version(dist.version)
        except InvalidVersion:
            unchecked.append(
                NotChecked(
                    dist.canonical_name,
                    dist.name,
                    dist.version,
                    "not a PEP 440 version: advisory ranges cannot be applied",
                )
            )
            continue
        hits = [
            (a.id, a.aliases, a.fixed_after(version), a.summary, a.severity, a.score)
            for a in advisories
            if a.affects(version)
        ]
        vulns.extend(by_os_package(dist, merge(dist, hits), snapshot, index))
    source = f"advisory database {index.source} ({index.records} records)"
    return Audit(label, source, len(snapshot.distributions) - len(unchecked), tuple(vulns), tuple(unchecked))


# --- online -----------------------------------------------------------------------------------------------


def make_service(service: Service, *, url: str | None, timeout: float, cache: str | None) -> Any:
    """A pip-audit vulnerability service; ``url`` points PyPI's JSON API or OSV at a mirror."""
    from pathlib import Path

    from pip_audit._service import OsvService, PyPIService

    cache_dir = Path(cache) if cache else None
    if service is Service.OSV:
        kwargs: dict[str, Any] = {"osv_url": url} if url else {}
        return OsvService(cache_dir=cache_dir, timeout=timeout, **kwargs)
    pypi = PyPIService(cache_dir=cache_dir, timeout=timeout)
    if url:
        pypi.session.mount(PYPI_JSON, _rebased_adapter(url))
    return pypi


def _rebased_adapter(base: str) -> Any:
    """A requests adapter that sends pip-audit's PyPI JSON requests to a mirror of that API."""
    from requests.adapters import HTTPAdapter

    class Rebased(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            request.url = base.rstrip("/") + "/" + request.url[len(PYPI_JSON) :]
            return super().send(request, *args, **kwargs)

    return Rebased()


def _one_line(exc: BaseException) -> str:
    """A network failure as one line: the innermost cause says what actually happened."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        inner = exc.__cause__ or exc.__context__
        assert inner is not None
        if not str(inner):
            break
        exc = inner
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def query_one(
    service: Any, dist: Distribution, snapshot: Snapshot
) -> tuple[list[Vulnerability], NotChecked | None]:
    import requests
    from pip_audit._service import ResolvedDependency, ServiceError, SkippedDependency

    try:
        version = Version(dist.version)
    except InvalidVersion:
        return [], NotChecked(dist.canonical_name, dist.name, dist.version, "not a PEP 440 version")
    try:
        dep, results = service.query(ResolvedDependency(name=dist.name, version=version))
    except (ServiceError, requests.RequestException, ValueError, KeyError, TypeError) as exc:
        kind = "timed out" if isinstance(exc, requests.Timeout) else "the service failed"
        return [], NotChecked(dist.canonical_name, dist.name, dist.version, f"{kind}: {_one_line(exc)}")
    if isinstance(dep, SkippedDependency):
        return [], NotChecked(dist.canonical_name, dist.name, dist.version, dep.skip_reason)
    hits = [
        (
            r.id,
            sorted(r.aliases),
            min(r.fix_versions) if r.fix_versions else None,
            r.description or "",
            "",
            "",
        )
        for r in results
    ]
    return by_os_package(dist, merge(dist, hits), snapshot, None), None


def audit_online(
    label: str,
    snapshot: Snapshot,
    service: Any,
    service_name: str,
    *,
    jobs: int,
    progress: Callable[[], None] | None = None,
) -> Audit:
    def one(dist: Distribution) -> tuple[list[Vulnerability], NotChecked | None]:
        result = query_one(service, dist, snapshot)
        if progress is not None:
            progress()
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        answers = list(pool.map(one, snapshot.distributions))
    vulns = [v for found, _ in answers for v in found]
    unchecked = [n for _, n in answers if n is not None]
    return Audit(
        label, f"{service_name} service", len(answers) - len(unchecked), tuple(vulns), tuple(unchecked)
    )


# --- findings --------------------------------------------------------------------------------------------


def findings(result: Audit, snapshot: Snapshot, *, strict: bool, describe: bool = False) -> list[Finding]:
    """One finding per vulnerability (``describe``: with the advisory's whole summary, not its first
    sentence) and per distribution that could not be checked."""
    declared = {
        r.canonical_name: Location(r.source, r.line)
        for r in reversed(snapshot.requirements)
        if r.kind is RequirementKind.REQUIREMENT
    }
    out: list[Finding] = []
    for v in result.vulnerabilities:
        aka = f" ({', '.join(v.aliases[:3])}{', ...' if len(v.aliases) > 3 else ''})" if v.aliases else ""
        summary = f": {v.summary if describe else first_sentence(v.summary)}" if v.summary else ""
        details = {
            "id": v.id,
            "aliases": ",".join(v.aliases),
            "severity": v.severity,
            "cvss": v.score,
            "version": v.version,
            "fix": v.fix or "",
            "summary": v.summary,
        }
        if v.os_package:
            details.update(verdict=str(v.verdict), os_package=v.os_package, evidence=v.evidence)
        owner = f" (OS package {v.os_package})" if v.os_package else ""
        if v.verdict is Verdict.FIXED_BY_DISTRIBUTION:
            rule, severity = FIXED_BY_DISTRIBUTION, None
            text = f"{v.name} {v.version}{owner}: {v.id}{aka} is fixed by the distribution: {v.evidence}"
        elif v.verdict is Verdict.NOT_DECIDED:
            rule, severity = NOT_DECIDED, Severity.ERROR if strict else None
            text = (
                f"{v.name} {v.version}{owner}: {v.id}{aka}: upstream version in the affected range; the OS "
                f"package may carry a backported fix; not decided ({v.evidence}){summary}"
            )
        else:
            rule, severity = VULNERABILITY, None
            fix = f"fixed in {v.fix}" if v.fix else "no fixed version known"
            text = f"{v.name} {v.version}{owner}: {v.id}{aka}, {v.evidence or fix}{summary}"
        out.append(
            finding(
                rule,
                "vulnerabilities",
                v.package,
                text,
                (result.label,),
                location=declared.get(v.package),
                severity=severity,
                details=details,
            )
        )
    for n in result.not_checked:
        out.append(
            finding(
                NOT_CHECKED,
                "vulnerabilities",
                n.package,
                f"{n.name} {n.version} was not checked: {n.reason}",
                (result.label,),
                severity=Severity.ERROR if strict else None,
                details={"reason": n.reason},
            )
        )
    return out


def first_sentence(text: str, limit: int = 100) -> str:
    """The advisory's first sentence, for a one-line message; the details keep the whole summary."""
    end = text.find(". ")
    sentence = text[: end + 1] if 0 < end < limit else text
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."
