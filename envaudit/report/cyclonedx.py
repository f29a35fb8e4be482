"""CycloneDX 1.6 JSON: an SBOM of what ``scan`` read, or of what ``audit`` checked with its
vulnerabilities and their analysis (see ``envaudit.sbom``)."""

from __future__ import annotations

from envaudit import sbom
from envaudit.findings import Report
from envaudit.report.documents import Scanned


def render(document: Scanned | Report, *, compact: bool = False) -> str:
    if isinstance(document, Report):
        return sbom.render(sbom.build(document.inventory, document.findings), compact=compact)
    return sbom.render(sbom.build(document.snapshots), compact=compact)
