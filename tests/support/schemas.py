"""The real schemas our reports are read against (SARIF 2.1.0 as GitHub code scanning takes it)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.venvs import FIXTURES

SCHEMAS = FIXTURES / "schemas"
SARIF = ("sarif-2.1.0.json", "sarif-schema-2.1.0-errata01.json")  # the standard and its errata


def valid_sarif(text: str) -> dict[str, Any]:
    """The SARIF log in ``text``, validated against both schemas (jsonschema raises if not)."""
    import jsonschema

    log: dict[str, Any] = json.loads(text)
    for name in SARIF:
        jsonschema.Draft4Validator(json.loads((SCHEMAS / name).read_text())).validate(log)
    return log
