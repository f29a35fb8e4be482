"""The reference docs are generated from the code: current, and true to what envaudit writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from envaudit import snapshot_io
from envaudit.rules import RULES
from tests.support.snapshots import snapshot

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current() -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generator().expected().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], "run `make docs`"


def test_every_rule_is_in_the_rules_page() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert all(f"| {rule_id} |" in page for rule_id in RULES)
    assert "EA701" in page and "EA702" in page


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "docs" / "snapshot.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_golden_snapshot_validates_against_the_schema() -> None:
    golden = json.loads((ROOT / "fixtures" / "golden" / "scan-pinned-venv.json").read_text())
    validator().validate(golden)


def test_the_schema_refuses_what_envaudit_refuses() -> None:
    data = snapshot_io.to_jsonable(snapshot({"pandas": "2.2.2"}))
    validator().validate(data)
    del data["distributions"][0]["version"]
    with pytest.raises(jsonschema.ValidationError, match="'version' is a required property"):
        validator().validate(data)
    with pytest.raises(snapshot_io.SchemaError, match=r"distributions\[0\].version: missing field"):
        snapshot_io.from_jsonable(data)


def test_help_blocks_are_filled_from_the_parser() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "usage: envaudit [-h] [--version] COMMAND ..." in readme
    for page, command in [("targets", "scan"), ("diff", "diff"), ("gate", "gate"), ("pin", "pin")]:
        text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
        assert f"usage: envaudit {command} " in text, page
