"""Output formats, one family: every document envaudit prints goes through one of these.

Three kinds of document: a findings ``Report`` (diff, gate, probe, audit), the snapshots of a
``scan`` (``Scanned``), and a ``pin`` plan (``api.Pinned``). Each format is a module with
``render(document, *, compact=False) -> str``, listed below by kind and name; text formats also have
``write(document, stream)``, which colours a terminal. A new format is one module plus one line in
``FORMATS``. Modules are imported only when used: the CLI starts without them.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import Any, Protocol, TextIO

from envaudit.report.documents import Scanned

__all__ = ["FINDINGS_FORMATS", "FORMATS", "ReportFormat", "ScanFormat", "Scanned", "render", "write"]


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"
    CYCLONEDX = "cyclonedx-json"  # an SBOM with the audit's vulnerabilities: audit only
    HTML = "html"

    @property
    def suffix(self) -> str:
        """The file name ending a report in this format gets (``--output-dir``)."""
        return {"text": "txt", "markdown": "md", "junit": "xml", "cyclonedx-json": "cdx.json"}.get(
            self.value, self.value
        )


# The formats of a findings report; an SBOM (cyclonedx-json) lists an inventory, which only scan
# and audit have.
FINDINGS_FORMATS = tuple(f for f in ReportFormat if f is not ReportFormat.CYCLONEDX)


class ScanFormat(StrEnum):
    """Formats of ``scan`` (all) and ``pin`` (text and json) output."""

    TEXT = "text"
    JSON = "json"
    CYCLONEDX = "cyclonedx-json"
    HTML = "html"


class Renderer(Protocol):
    def __call__(self, document: Any, *, compact: bool = False) -> str: ...


FORMATS: dict[tuple[str, str], str] = {
    ("report", "text"): "envaudit.report.text",
    ("report", "json"): "envaudit.report.json_report",
    ("report", "markdown"): "envaudit.report.markdown",
    ("report", "sarif"): "envaudit.report.sarif",
    ("report", "junit"): "envaudit.report.junit",
    ("report", "cyclonedx-json"): "envaudit.report.cyclonedx",
    ("report", "html"): "envaudit.report.html",
    ("scan", "text"): "envaudit.report.scan_text",
    ("scan", "json"): "envaudit.report.scan_json",
    ("scan", "cyclonedx-json"): "envaudit.report.cyclonedx",
    ("scan", "html"): "envaudit.report.scan_html",
    ("pin", "text"): "envaudit.report.pin_text",
    ("pin", "json"): "envaudit.report.pin_json",
}


def format_module(kind: str, fmt: str) -> Any:
    return importlib.import_module(FORMATS[(kind, fmt)])


def render(document: Any, fmt: str, *, kind: str = "report", compact: bool = False) -> str:
    """The document as text in ``fmt`` (text: plain, uncoloured; ``compact``: JSON without
    indentation, for a program reading a pipe, and ~10x faster to encode)."""
    renderer: Renderer = format_module(kind, fmt).render
    return renderer(document, compact=compact)


def write(document: Any, fmt: str, stream: TextIO, *, kind: str = "report", compact: bool = False) -> None:
    """The document on ``stream``: coloured on a terminal where the format can, else ``render``."""
    module = format_module(kind, fmt)
    if hasattr(module, "write"):
        module.write(document, stream)
    else:
        stream.write(module.render(document, compact=compact))
