"""Adding a kind of target is one module and one registry line: nothing else in envaudit changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from envaudit import api
from envaudit.errors import UsageError
from envaudit.targets import parse_target, registry


@pytest.fixture
def this_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    line = registry.Kind("this", "tests.support.extra_kind:ThisInterpreter", exact="this")
    monkeypatch.setattr(registry, "KINDS", (line, *registry.KINDS))
    monkeypatch.setattr(registry, "BY_NAME", {**registry.BY_NAME, "this": line})
    # A fixed key keeps the user's key file out of the tests (as the CLI tests do).
    monkeypatch.setenv("ENVAUDIT_FINGERPRINT_KEY", "envaudit-tests-fingerprint-key-0123456789")


def test_every_registered_class_exists() -> None:
    for kind in registry.KINDS:
        cls = registry.target_class(kind.name)
        assert cls.__name__ == kind.implementation.rpartition(":")[2]


def test_an_unregistered_spelling_is_refused() -> None:
    with pytest.raises(UsageError, match="unknown target 'this'"):
        parse_target("this")


def test_a_new_kind_scans_diffs_and_probes_through_the_verbs(this_kind: None, tmp_path: Path) -> None:
    options = api.ScanOptions(project=tmp_path)
    (result,) = api.scan(["this"], options)
    assert result.error is None and result.snapshot is not None
    assert result.snapshot.provenance.target_kind == "this"
    assert any(d.canonical_name == "pytest" for d in result.snapshot.distributions)
    judged = api.diff(["this", "again=this"], options)
    assert judged.failures == () and [e.label for e in judged.report.environments] == ["this", "again"]
    probed = api.scan(["this"], api.ScanOptions(project=tmp_path, probe=api.probe_options(options)))
    assert probed[0].snapshot is not None and probed[0].snapshot.probes is not None
