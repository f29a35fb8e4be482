"""Every report format, golden-tested on one deterministic diff and one gate verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from envaudit import __version__
from envaudit.diff import diff
from envaudit.findings import Labelled, Location, Report
from envaudit.hygiene import requirement_findings
from envaudit.model import PinKind, RequirementStatus
from envaudit.policy import GatePolicy, Ignore, evaluate
from envaudit.report import FINDINGS_FORMATS, ReportFormat, render
from envaudit.report.text import render_to_string
from envaudit.severity import FailOn
from tests.support.snapshots import dist, requirement, secret, snapshot, var

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GOLDEN = FIXTURES / "golden"


def diff_report() -> Report:
    reqs = [
        requirement(
            "pandas", ">=1.5", PinKind.LOWER_BOUND_ONLY, RequirementStatus.SATISFIED, "1.5.3", line=2
        ),
        requirement("numpy", "==1.26.4", PinKind.PINNED, RequirementStatus.SATISFIED, "1.26.4", line=3),
    ]
    prod_reqs = [
        dataclasses.replace(reqs[0], installed_version="2.2.3"),
        dataclasses.replace(reqs[1], status=RequirementStatus.WRONG_VERSION, installed_version="2.0.0"),
    ]
    dev = snapshot(
        [dist("pandas", "1.5.3"), dist("numpy", "1.26.4"), dist("tzdata", "2024.1")],
        requirements=reqs,
        env=[var("TZ", "UTC", relevant=True), secret("API_TOKEN", "hmac-sha256:00")],
        target="python:.venv",
    )
    staging = snapshot(
        [dist("pandas", "2.2.3"), dist("numpy", "1.26.4"), dist("tzdata", "2024.1")],
        requirements=[dataclasses.replace(reqs[0], installed_version="2.2.3"), reqs[1]],
        env=[var("TZ", "UTC", relevant=True), secret("API_TOKEN", "hmac-sha256:00")],
        target="staging.json",
    )
    prod = snapshot(
        [
            dist("pandas", "2.2.3", requires=["tzdata>=2022.7"]),
            dist("numpy", "2.0.0"),
            dist("tzdata", "2025.2"),
            dist("pyarrow", "17.0.0"),
        ],
        requirements=prod_reqs,
        python="3.12.1",
        env=[var("TZ", "Europe/Berlin", relevant=True), secret("API_TOKEN", "hmac-sha256:01")],
        target="prod.json",
    )
    report = diff([Labelled("dev", dev), Labelled("staging", staging), Labelled("prod", prod)])
    return dataclasses.replace(report, anchor=Location("requirements.txt"))


def gate_report() -> Report:
    base = diff_report()
    prod_findings = [f for f in base.findings if f.environments[-1] == "prod"]
    extra = requirement_findings(
        "prod",
        snapshot(
            {},
            requirements=[
                requirement(
                    "pandas", ">=1.5", PinKind.LOWER_BOUND_ONLY, RequirementStatus.SATISFIED, "2.2.3", line=2
                )
            ],
        ),
        fail_unpinned=False,
        fail_loose=False,
    )
    policy = GatePolicy(
        fail_on=FailOn.WARNING,
        allow_drift=frozenset({"minor"}),
        ignores=(
            Ignore(reason="numpy 2 verified in staging", package="numpy", expires=dt.date(2027, 3, 1)),
            Ignore(reason="temporary", package="pyarrow", expires=dt.date(2026, 1, 1)),
        ),
    )
    findings, verdict = evaluate((*prod_findings, *extra), policy, dt.date(2026, 12, 1))
    envs = tuple(e for e in base.environments if e.label in ("dev", "prod"))
    checks = tuple(c for c in base.checks if c.environments == ("dev", "prod"))
    return dataclasses.replace(
        base,
        command="gate",
        environments=envs,
        findings=findings,
        checks=checks,
        matrix=(),
        fleet=None,
        verdict=verdict,
    )


def probe_report() -> Report:
    """Canonical drift of each kind and a user probe losing rows, as `envaudit probe` reports them."""
    from envaudit.model import ColumnCount, ProbeCase, ProbeRun, ProbeStatus, ProbeWarning, UserProbe

    def run(pandas: str, numpy: str, *cases: ProbeCase, user: UserProbe) -> ProbeRun:
        return ProbeRun("2026.12.1", True, pandas=pandas, numpy=numpy, cases=cases, user=(user,))

    frame = '{"kind": "DataFrame", "shape": [2, 1], "columns": {"values": ["a"]}, "dtypes": ["float64"], '
    filled = ProbeCase("fillna_inplace_variable", ProbeStatus.OK, "f1", frame + '"values": [[1.0, 0.0]]}')
    unfilled = ProbeCase("fillna_inplace_variable", ProbeStatus.OK, "f2", frame + '"values": [[1.0, "NaN"]]}')
    ffill = ProbeCase(
        "fillna_method_ffill",
        ProbeStatus.OK,
        "m1",
        '{"kind": "Series", "dtype": "float64", "values": [1.0, 1.0], "index": {"values": [0, 1]}}',
        warnings=(ProbeWarning("FutureWarning", "Series.fillna with 'method' is deprecated"),),
    )
    raises = ProbeCase(
        "fillna_method_ffill", ProbeStatus.ERROR, error_type="TypeError", error="unexpected keyword 'method'"
    )

    def user(rows_out: int, index: str, nan_out: int) -> UserProbe:
        return UserProbe(
            "preprocess.py:clean",
            "customers.csv",
            "",
            ProbeStatus.OK,
            rows_in=4,
            rows_out=rows_out,
            nan_in=(ColumnCount("age", 2),),
            nan_out=(ColumnCount("age", nan_out),),
            dtypes=(("age", "float64"),),
            columns=("age",),
            fingerprint=index,
            index=index,
            values="[]",
            missing_rows='[[1, ["age"]], [3, ["age"]]]',
        )

    train = dataclasses.replace(
        snapshot([dist("pandas", "2.2.3")], target="python:.venv"),
        probes=run("2.2.3", "2.1.3", filled, ffill, user=user(4, "[0, 1, 2, 3]", 0)),
    )
    serve = dataclasses.replace(
        snapshot([dist("pandas", "3.0.6")], target="docker:churn-api:1.4"),
        probes=run("3.0.6", "2.3.5", unfilled, raises, user=user(2, "[0, 2]", 0)),
    )
    base = diff([Labelled("train", train), Labelled("serve", serve)])
    return dataclasses.replace(
        base,
        command="probe",
        findings=tuple(f for f in base.findings if f.check == "probes"),
        checks=tuple(c for c in base.checks if c.check == "probes"),
        anchor=Location("pyproject.toml"),
    )


def rendered(report: Report, fmt: ReportFormat) -> str:
    out = render_to_string(report, width=80) if fmt is ReportFormat.TEXT else render(report, fmt)
    return out.replace(f'"{__version__}"', '"<version>"')


CASES = [(name, fmt) for name in ("diff", "gate", "probe") for fmt in FINDINGS_FORMATS]
REPORTS = {"diff": diff_report, "gate": gate_report, "probe": probe_report}


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=[f"{n}-{f.value}" for n, f in CASES])
def test_golden(name: str, fmt: ReportFormat) -> None:
    report = REPORTS[name]()
    got = rendered(report, fmt)
    path = GOLDEN / f"{name}.{fmt.suffix}"
    if os.environ.get("ENVAUDIT_UPDATE_GOLDEN"):
        path.write_text(got)
    assert got == path.read_text()


@pytest.mark.parametrize("report", [diff_report(), gate_report(), probe_report()], ids=list(REPORTS))
def test_sarif_is_valid_against_the_2_1_0_schema(report: Report) -> None:
    schema = json.loads((FIXTURES / "schemas" / "sarif-2.1.0.json").read_text())
    log = json.loads(render(report, ReportFormat.SARIF))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    assert len(run["results"]) == len(report.findings)
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    if report.command == "probe":  # anchored at the project file; each side's outcome travels along
        silent = next(r for r in run["results"] if r["ruleId"] == "EA801")
        assert "Copy-on-Write" in silent["properties"]["why"]
        return
    numpy = next(
        r for r in run["results"] if r["properties"]["subject"] == "numpy" and r["ruleId"] == "EA401"
    )
    assert numpy["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}


def test_junit_has_a_case_per_check_and_a_failure_per_finding() -> None:
    report = diff_report()
    root = ET.fromstring(render(report, ReportFormat.JUNIT))
    failures = root.findall(".//failure")
    assert len(failures) == len(report.findings)
    passing = [c for c in root.iter("testcase") if not list(c)]
    checks_with_findings = {(f.check, f.environments) for f in report.findings}
    assert len(passing) == sum(
        1 for c in report.checks if (c.check, c.environments) not in checks_with_findings
    )
    assert int(root.get("tests", "0")) == len(passing) + len(failures)


def test_junit_for_the_gate_skips_what_is_not_counted() -> None:
    report = gate_report()
    assert report.verdict is not None
    root = ET.fromstring(render(report, ReportFormat.JUNIT))
    assert len(root.findall(".//failure")) == len(report.verdict.failing)
    skipped = [s.get("message") for s in root.findall(".//skipped")]
    assert "ignored until 2027-03-01: numpy 2 verified in staging" in skipped


def test_text_fits_in_80_columns_except_the_summary() -> None:
    for report in (diff_report(), gate_report()):
        lines = render_to_string(report, width=80).splitlines()
        assert all(len(line) <= 80 for line in lines if not line.startswith("summary:"))
        assert lines[-1].startswith("summary: ")


def test_json_report_is_versioned_and_counts() -> None:
    data = json.loads(render(gate_report(), ReportFormat.JSON))
    assert data["report_version"] == 1 and data["command"] == "gate"
    assert data["verdict"]["passed"] is False
    assert data["summary"]["error"] + data["summary"]["warning"] + data["summary"]["info"] == len(
        data["findings"]
    )
