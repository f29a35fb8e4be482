from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from envaudit import api
from envaudit.diff import diff_pair
from envaudit.errors import InputError
from envaudit.findings import Labelled, Severity
from envaudit.policy import GatePolicy, Ignore, evaluate, parse_gate
from envaudit.severity import FailOn
from tests.support.snapshots import snapshot

BAD = Path(__file__).resolve().parents[2] / "fixtures" / "configs" / "bad"
TODAY = dt.date(2026, 12, 1)


def findings() -> tuple:  # type: ignore[type-arg]
    dev = snapshot({"pandas": "2.2.2", "numpy": "1.26.4", "six": "1.16.0", "urllib3": "2.0.0"})
    prod = snapshot(
        {"pandas": "2.2.3", "numpy": "2.0.0", "six": "1.17.0", "urllib3": "2.0.0", "extra": "1.0"}
    )
    return tuple(diff_pair(Labelled("dev", dev), Labelled("prod", prod)))


def rules_of(fs: tuple) -> list[str]:  # type: ignore[type-arg]
    return sorted(f.rule for f in fs)


def test_threshold_and_allowed_drift() -> None:
    fs = findings()
    assert rules_of(fs) == ["EA101", "EA103", "EA104", "EA105"]
    _, verdict = evaluate(fs, GatePolicy(fail_on=FailOn.ERROR), TODAY)
    assert not verdict.passed and [f.subject for f in verdict.failing] == ["numpy"]
    _, verdict = evaluate(
        fs, GatePolicy(fail_on=FailOn.INFO, allow_drift=frozenset({"patch", "minor", "major"})), TODAY
    )
    assert [f.rule for f in verdict.failing] == ["EA101"]
    assert {s.finding.subject: s.reason for s in verdict.suppressed}[
        "pandas"
    ] == "patch drift is allowed (allow_drift)"
    _, verdict = evaluate(fs, GatePolicy(fail_on=FailOn.NEVER), TODAY)
    assert verdict.passed


def test_rules_off_and_severity_overrides() -> None:
    kept, verdict = evaluate(
        findings(),
        GatePolicy(fail_on=FailOn.ERROR, rule_overrides=(("EA103", "off"), ("EA101", "error"))),
        TODAY,
    )
    assert "EA103" not in rules_of(kept)
    assert [f.rule for f in verdict.failing] == ["EA101"]
    assert verdict.failing[0].severity is Severity.ERROR


def test_ignores_apply_until_they_expire_and_then_say_so() -> None:
    policy = GatePolicy(
        fail_on=FailOn.WARNING,
        ignores=(
            Ignore(reason="numpy 2 is tested", package="numpy", expires=dt.date(2027, 1, 1)),
            Ignore(reason="six is harmless", package="six", expires=dt.date(2026, 11, 30)),
            Ignore(reason="extras come and go", rule="EA101"),
        ),
    )
    _, verdict = evaluate(findings(), policy, TODAY)
    assert [f.subject for f in verdict.failing] == ["six"]
    reasons = {s.finding.subject: s.reason for s in verdict.suppressed}
    assert reasons == {
        "numpy": "ignored until 2027-01-01: numpy 2 is tested",
        "extra": "ignored: extras come and go",
    }
    assert verdict.notes == ("ignore 'six' (six is harmless) expired on 2026-11-30 and no longer applies",)
    _, later = evaluate(findings(), policy, dt.date(2027, 1, 2))
    assert {f.subject for f in later.failing} == {"numpy", "six"}


def test_parse_gate_accepts_a_full_table() -> None:
    policy = parse_gate(
        "pyproject.toml",
        {
            "baseline": "prod.json",
            "target": "python:.venv",
            "fail_on": "error",
            "allow_drift": ["patch"],
            "rules": {"EA303": "off", "EA110": "error"},
            "fail_on_unpinned": True,
            "ignore": [
                {"package": "urllib3", "reason": "r", "expires": dt.date(2027, 1, 1)},
                {"rule": "EA101", "reason": "r", "expires": "2027-02-01"},
            ],
        },
    )
    assert policy.fail_on is FailOn.ERROR and policy.allow_drift == frozenset({"patch"})
    assert policy.ignores[1].expires == dt.date(2027, 2, 1)
    assert dict(policy.rule_overrides) == {"EA303": "off", "EA110": "error"}


@pytest.mark.parametrize("fixture", sorted(p.name for p in BAD.glob("*.toml")))
def test_each_bad_config_is_refused_naming_the_key(tmp_path: Path, fixture: str) -> None:
    text = (BAD / fixture).read_text()
    expected = text.splitlines()[0].removeprefix("# expect: ")
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(InputError) as caught:
        api.gate(api.ScanOptions(project=tmp_path), baseline="x.json", target=None, fail_on=None)
    message = str(caught.value).replace(str(tmp_path) + "/", "")
    assert message.startswith(expected), message


def test_the_config_is_read_once_and_every_section_validated(tmp_path: Path) -> None:
    from envaudit import config

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.envaudit.gate]\nbaseline = "prod.json"\n[tool.envaudit.probe]\ntolerance = 0.1\n'
    )
    first = config.load(None, tmp_path)
    assert first is config.load(None, tmp_path)  # parsed once for the command's many readers
    assert (first.gate.baseline, first.probe.tolerance, first.audit.service) == ("prod.json", 0.1, "osv")
    for section, line, problem in [
        ("gate", 'fail_on = "sometimes"', "tool.envaudit.gate.fail_on: expected one of"),
        ("probe", "timeout = -1", "tool.envaudit.probe.timeout: must be more than 0"),
        ("audit", 'service = "snyk"', 'tool.envaudit.audit.service: expected "osv" or "pypi"'),
        ("env", "include = 3", "tool.envaudit.env.include: expected a list of strings"),
    ]:
        pyproject.write_text(f"[tool.envaudit.{section}]\n{line}\n")
        with pytest.raises(InputError, match=re.escape(problem)):
            config.load(None, tmp_path)
