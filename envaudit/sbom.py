"""A CycloneDX SBOM of scanned environments, built with cyclonedx-python-lib.

Each installed distribution is a ``pkg:pypi`` component; one an OS package owns is also listed as
that OS package (``pkg:deb/debian/python3-urllib3@1.26.12-1%2Bdeb12u4?arch=all&distro=debian-12``),
the distribution naming it in an ``envaudit:os-package`` property and depending on it. With an
audit's findings, its vulnerabilities are listed with their analysis: fixed by the distribution is
``resolved`` (the evidence in the detail), not decided is ``in_triage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from envaudit import __version__

if TYPE_CHECKING:
    from cyclonedx.model.bom import Bom

    from envaudit.findings import Finding
    from envaudit.model import Distribution, Distro, OSPackage, Snapshot

SPEC = "1.6"
PURL_TYPES = {"dpkg": "deb", "apk": "apk", "rpm": "rpm"}


def os_purl(package: OSPackage, distro: Distro | None) -> Any:
    from packageurl import PackageURL

    namespace = distro.id if distro is not None and distro.id != "linux" else None
    qualifiers: dict[str, str] = {}
    if package.architecture:
        qualifiers["arch"] = package.architecture
    if distro is not None and distro.version_id:
        qualifiers["distro"] = f"{distro.id}-{distro.version_id}"
    if package.source != package.name:
        qualifiers["upstream"] = package.source  # syft's and trivy's spelling of the source package
    return PackageURL(
        PURL_TYPES.get(package.manager, package.manager), namespace, package.name, package.version, qualifiers
    )


def pypi_purl(dist: Distribution) -> Any:
    from packageurl import PackageURL

    return PackageURL("pypi", None, dist.canonical_name, dist.version)


def build(snapshots: Sequence[tuple[str, Snapshot]], findings: Sequence[Finding] = ()) -> Bom:
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.tool import ToolRepository

    tools = ToolRepository(
        components=[Component(name="envaudit", version=__version__, type=ComponentType.APPLICATION)]
    )
    bom = Bom(metadata=BomMetaData(tools=tools))
    refs: dict[tuple[str, str], Component] = {}  # (environment, canonical name) -> its component
    several = len(snapshots) > 1
    for label, snapshot in snapshots:
        root = None
        if not several:
            root = bom.metadata.component = _environment(label, snapshot)
        os_components: dict[str, Component] = {}
        for dist in snapshot.distributions:
            prefix = f"{label}|" if several else ""
            properties = [Property(name="envaudit:location", value=dist.location)]
            if several:
                properties.append(Property(name="envaudit:environment", value=label))
            owner = None
            if dist.os_package is not None:
                purl = os_purl(dist.os_package, snapshot.distro)
                owner = os_components.get(str(purl))
                if owner is None:
                    owner = Component(
                        name=dist.os_package.name,
                        version=dist.os_package.version,
                        type=ComponentType.LIBRARY,
                        purl=purl,
                        bom_ref=prefix + str(purl),
                    )
                    os_components[str(purl)] = owner
                    bom.components.add(owner)
                properties.append(Property(name="envaudit:os-package", value=str(purl)))
            purl = pypi_purl(dist)
            component = Component(
                name=dist.name,
                version=dist.version,
                type=ComponentType.LIBRARY,
                purl=purl,
                bom_ref=prefix + str(purl),
                properties=properties,
            )
            bom.components.add(component)
            if owner is not None:
                bom.register_dependency(component, [owner])
            refs[(label, dist.canonical_name)] = component
        if root is not None:  # what the environment has installed: the graph's first level
            bom.register_dependency(root, [refs[(label, d.canonical_name)] for d in snapshot.distributions])
    _vulnerabilities(bom, refs, findings)
    return bom


def _environment(label: str, snapshot: Snapshot) -> Any:
    """The thing the SBOM describes: an image, or an interpreter's environment."""
    from cyclonedx.model.component import Component, ComponentType

    if snapshot.image is not None:
        image = snapshot.image
        name = image.repo_tags[0] if image.repo_tags else label
        return Component(name=name, version=image.id, type=ComponentType.CONTAINER, bom_ref="environment")
    interpreter = snapshot.interpreter
    return Component(
        name=label,
        version=f"{interpreter.implementation} {interpreter.version}",
        type=ComponentType.PLATFORM,
        bom_ref="environment",
    )


def _vulnerabilities(bom: Bom, refs: dict[tuple[str, str], Any], findings: Sequence[Finding]) -> None:
    from cyclonedx.model.impact_analysis import ImpactAnalysisState
    from cyclonedx.model.vulnerability import BomTarget, Vulnerability, VulnerabilityAnalysis

    from envaudit.rules import FIXED_BY_DISTRIBUTION, NOT_DECIDED, VULNERABILITY

    states = {
        VULNERABILITY: None,
        FIXED_BY_DISTRIBUTION: ImpactAnalysisState.RESOLVED,
        NOT_DECIDED: ImpactAnalysisState.IN_TRIAGE,
    }
    for f in findings:
        if f.rule not in states or not f.environments:
            continue
        component = refs.get((f.environments[0], f.subject))
        if component is None:
            continue
        state = states[f.rule]
        analysis = VulnerabilityAnalysis(state=state, detail=f.detail("evidence") or None) if state else None
        fix = f.detail("fix")
        vuln_id = f.detail("id") or "unknown"
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=f"{component.bom_ref.value}|{vuln_id}",
                id=vuln_id,
                description=f.detail("summary") or None,
                recommendation=f"upgrade to {fix}" if fix and f.rule == VULNERABILITY else None,
                analysis=analysis,
                affects=[BomTarget(ref=component.bom_ref.value)],
            )
        )


def render(bom: Bom, *, compact: bool = False) -> str:
    from cyclonedx.output.json import JsonV1Dot6

    return JsonV1Dot6(bom).output_as_string(indent=None if compact else 2) + "\n"
