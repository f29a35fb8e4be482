"""JSON: versioned and stable; findings in the order the command produced them."""

from __future__ import annotations

import json
from typing import Any

from envaudit import __version__
from envaudit.findings import Report
from envaudit.report.summary import counts
from envaudit.snapshot_io import to_jsonable

REPORT_VERSION = 1


def as_data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "envaudit_version": __version__,
        "command": report.command,
        "reference": report.reference,
        "summary": {**{k.value: v for k, v in counts(report).items()}, **dict(report.summary)},
    }
    body = to_jsonable(report)
    del body["summary"]
    data.update(body)
    return data


def render(report: Report, *, compact: bool = False) -> str:
    indent = None if compact else 2
    return json.dumps(as_data(report), indent=indent, ensure_ascii=False) + "\n"
